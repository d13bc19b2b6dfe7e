"""Network resets inside a run (``--reset-every``, :mod:`imitation.resets`): which rounds
reset, that a reset round's network is exactly a fresh fit on all the labels, uncapped,
and which resumed runs may take a reset up."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from common.errors import ConfigError
from distill.cli import main
from imitation.checkpoint import load_checkpoint
from imitation.dataset import LabelDataset
from imitation.policy import DistilledPolicy
from imitation.resets import NetworkReset
from imitation.rounds import _train_seed
from imitation.train_policy import TrainConfig, train_policy

TINY = ["train", "--algo", "dagger", "--schedule", "exponential:0.5", "--episodes-per-round", "1",
        "--labels-per-episode", "30", "--game", "pong", "--sims", "4", "--depth", "5",
        "--max-episode-frames", "400", "--eval-episodes", "1", "--epochs", "1", "--batch-size", "10",
        "--max-train-steps", "1"]


def test_resets_fall_on_every_nth_round_and_lift_the_step_cap():
    reset = NetworkReset(every=3, epochs=4)
    assert [reset.at(r) for r in range(8)] == [False, False, False, True, False, False, True, False]
    assert not any(NetworkReset().at(r) for r in range(8))
    capped = TrainConfig(epochs=1, max_steps=7)
    assert reset.fit(capped, 3) == replace(capped, epochs=4, max_steps=None)
    assert reset.fit(capped, 4) is capped
    with pytest.raises(ConfigError, match="reset.every"):
        NetworkReset(every=-1)


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(path, device="cpu").policy.net.state_dict()


def test_a_reset_round_holds_a_fresh_network_fitted_on_all_labels(tmp_path):
    out = tmp_path / "run"
    assert main([*TINY, "--rounds", "2", "--reset-every", "1", "--reset-epochs", "2", "--out", str(out)]) == 0
    rounds = json.loads((out / "result.json").read_text())["rounds"]
    assert [r["network_reset"] for r in rounds] == [False, True]
    assert rounds[0]["train_steps"] == 1                       # round 0 keeps the cap
    dataset = LabelDataset.open(out / "labels")
    ckpt = load_checkpoint(out / "checkpoints" / "round0001.pt", device="cpu")
    per_epoch = -(-dataset.num_labels("train", 0.1) // 10)
    assert rounds[1]["train_steps"] == 2 * per_epoch > 1       # two passes, not capped at one step

    # The same fit by hand: a network initialised with round 1's seed, two uncapped passes.
    seed = _train_seed(0, 1)
    fresh = DistilledPolicy(ckpt.policy.config, ckpt.spec.num_actions, seed=seed, device="cpu")
    train_policy(fresh, dataset, TrainConfig(batch_size=10, epochs=2, seed=seed))
    expected, got = fresh.net.state_dict(), ckpt.policy.net.state_dict()
    assert all(torch.equal(expected[k], got[k]) for k in expected)
    warm = _weights(out / "checkpoints" / "round0000.pt")
    assert not all(torch.equal(warm[k], got[k]) for k in warm)


def test_a_resumed_run_takes_up_resets_only_where_no_fitted_round_changes(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*TINY, "--rounds", "1", "--out", str(out)]) == 0
    # Round 0 is fitted; a reset from round 1 on changes no fitted round.
    assert main([*TINY, "--rounds", "2", "--reset-every", "1", "--resume", "--out", str(out)]) == 0
    assert json.loads((out / "result.json").read_text())["rounds"][1]["network_reset"] is True
    capsys.readouterr()
    # Round 1 was fitted as a reset: dropping or moving the resets now would change it.
    assert main([*TINY, "--rounds", "3", "--reset-every", "2", "--resume", "--out", str(out)]) == 2
    assert "reset.every" in capsys.readouterr().err


def test_reset_epochs_without_resets_is_refused(cli_one_line_error):
    cli_one_line_error(["train", "--algo", "exit", "--game", "pong", "--reset-epochs", "3"],
                       "--reset-epochs needs --reset-every")
