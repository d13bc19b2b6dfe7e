"""Checkpoints: exact round trip, refused for another game, clear errors when damaged."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from common.errors import DistillError
from imitation.checkpoint import load_checkpoint, save_checkpoint
from imitation.dataset import LabelSpec
from imitation.networks import NetworkConfig
from imitation.policy import DistilledPolicy, PolicyConfig
from imitation_fixtures import SPEC

torch.set_num_threads(1)


@pytest.fixture
def saved(tmp_path):
    config = PolicyConfig(head="regression", tau=0.3, q_weights="visits", network=NetworkConfig(arch="nature"))
    policy = DistilledPolicy(config, SPEC.num_actions, seed=4, device="cpu")
    path = save_checkpoint(tmp_path / "ckpt" / "round-2.pt", policy, SPEC, round=2)
    return policy, path


def test_round_trip_restores_policy_and_spec(saved):
    policy, path = saved
    ckpt = load_checkpoint(path, expect=SPEC, device="cpu")
    assert ckpt.spec == SPEC and ckpt.round == 2
    assert ckpt.policy.config == policy.config
    obs = np.random.default_rng(0).integers(0, 255, (3, 4, 84, 84), dtype=np.uint8)
    np.testing.assert_array_equal(ckpt.policy.outputs(obs), policy.outputs(obs))
    assert not list(path.parent.glob(".*.tmp"))  # no temporary file left behind


@pytest.mark.parametrize("other, words", [
    (LabelSpec("Breakout", SPEC.action_set, SPEC.preprocessing), "for game Pong, not Breakout"),
    (LabelSpec("Pong", (0, 1, 2, 3, 4, 5), SPEC.preprocessing), "action set"),
    (LabelSpec("Pong", SPEC.action_set, {**SPEC.preprocessing, "noop_max": 0}), "preprocessing"),
])
def test_checkpoint_for_another_game_is_refused(saved, other, words):
    _, path = saved
    with pytest.raises(DistillError, match=words) as err:
        load_checkpoint(path, expect=other, device="cpu")
    assert str(path) in str(err.value) and err.value.exit_code == 2


def test_truncated_checkpoint_is_a_clear_error(saved):
    _, path = saved
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DistillError, match="truncated or corrupted") as err:
        load_checkpoint(path, device="cpu")
    assert str(path) in str(err.value)


def test_flipped_weights_are_a_clear_error(saved):
    _, path = saved
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 16):  # inside the largest weight tensor
        data[i] ^= 0x55
    path.write_bytes(bytes(data))
    with pytest.raises(DistillError, match="corrupted") as err:
        load_checkpoint(path, device="cpu")
    assert str(path) in str(err.value)


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(DistillError, match="no checkpoint"):
        load_checkpoint(tmp_path / "nope.pt")


def test_checkpoint_keeps_the_input_centring(saved, tmp_path):
    policy, _ = saved
    policy.net.set_input_mean(np.full((4, 84, 84), 90.0))
    path = save_checkpoint(tmp_path / "centred.pt", policy, SPEC)
    loaded = load_checkpoint(path, device="cpu").policy
    torch.testing.assert_close(loaded.net.input_mean, policy.net.input_mean)
    obs = np.random.default_rng(1).integers(0, 255, (2, 4, 84, 84), dtype=np.uint8)
    np.testing.assert_array_equal(loaded.outputs(obs), policy.outputs(obs))


def test_checkpoint_from_before_input_centring_plays_uncentred(saved, tmp_path):
    """Checkpoints written before the network had ``input_mean`` load as what they were
    trained as: an uncentred network."""
    from imitation import checkpoint as ck

    policy, path = saved
    payload = torch.load(path, weights_only=True)
    del payload["state_dict"]["net.input_mean"], payload["state_dict"]["net.input_mean_set"]
    payload["weights_sha256"] = ck._weights_digest(payload["state_dict"])
    torch.save(payload, tmp_path / "old.pt")
    loaded = load_checkpoint(tmp_path / "old.pt", device="cpu").policy
    assert loaded.net.input_mean_fitted  # a later fit (resume) must not re-centre it
    assert not loaded.net.input_mean.any()
    obs = np.random.default_rng(2).integers(0, 255, (2, 4, 84, 84), dtype=np.uint8)
    np.testing.assert_array_equal(loaded.outputs(obs), policy.outputs(obs))
