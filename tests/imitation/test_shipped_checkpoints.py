"""The policies shipped in checkpoints/ (their commands and scores: checkpoints/README.md)
load, name their game, fit in 10 MB, and are refused for another game."""
from pathlib import Path

import numpy as np
import pytest

from common.errors import DistillError
from envs.atari import AtariConfig
from imitation.checkpoint import load_checkpoint
from imitation.collect import label_spec

SHIPPED = Path(__file__).parents[2] / "checkpoints"
GAMES = {"pong.pt": "pong", "pong-compact.pt": "pong", "breakout.pt": "breakout"}


@pytest.mark.parametrize("name, game", sorted(GAMES.items()))
def test_a_shipped_checkpoint_loads_names_its_game_and_is_refused_for_another(name, game):
    path = SHIPPED / name
    assert path.stat().st_size <= 10 * 2**20
    ck = load_checkpoint(path, expect=label_spec(game, AtariConfig()), device="cpu")
    assert ck.spec.game == game
    assert name in (SHIPPED / "README.md").read_text()
    obs = np.zeros((2, 4, 84, 84), np.uint8)
    assert ck.policy.greedy(obs).shape == (2,)
    other = "breakout" if game != "breakout" else "pong"
    with pytest.raises(DistillError, match=f"is for game {game}, not {other}"):
        load_checkpoint(path, expect=label_spec(other, AtariConfig()), device="cpu")


def test_every_shipped_checkpoint_is_one_of_the_tested_ones():
    assert sorted(p.name for p in SHIPPED.glob("*.pt")) == sorted(GAMES)
