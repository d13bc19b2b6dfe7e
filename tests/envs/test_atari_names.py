import pytest

from common.errors import DistillError
from envs.atari.names import canonical_game, list_games


@pytest.mark.parametrize("name", ["pong", "Pong", "ALE/Pong-v5", "PongNoFrameskip-v4"])
def test_pong_spellings(name):
    assert canonical_game(name) == "pong"


@pytest.mark.parametrize("name", ["space_invaders", "SpaceInvaders", "ALE/SpaceInvaders-v5"])
def test_space_invaders_spellings(name):
    assert canonical_game(name) == "space_invaders"


def test_unknown_game_names_close_matches():
    with pytest.raises(DistillError, match="did you mean.*pong"):
        canonical_game("pnog")


def test_games_are_bundled_with_ale_py():
    games = list_games()
    for g in ("pong", "breakout", "beam_rider", "enduro", "qbert", "seaquest", "space_invaders"):
        assert g in games
