"""imitation.compress: policy distillation of a trained policy into a compact student."""
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from common.errors import DistillError
from imitation.checkpoint import load_checkpoint
from imitation.compress import (CompressConfig, checkpoint_path, compress, distillation_loss, play_states,
                                round_path, teacher_targets)
from imitation.evaluate import EvalProtocol

PONG = Path(__file__).parents[2] / "checkpoints" / "pong.pt"
SMALL = CompressConfig(rounds=2, states_per_round=150, epochs=1, eval_episodes=0)


@pytest.fixture(scope="module")
def teacher():
    return load_checkpoint(PONG, device="cpu")


def test_the_loss_is_the_kl_divergence_plus_the_teachers_entropy():
    g = torch.Generator().manual_seed(0)
    teacher_logits, student_logits = torch.randn(5, 6, generator=g), torch.randn(5, 6, generator=g)
    for T in (0.5, 1.0, 2.0):
        log_p = F.log_softmax(teacher_logits / T, dim=-1)
        log_q = F.log_softmax(student_logits / T, dim=-1)
        kl = (log_p.exp() * (log_p - log_q)).sum(-1).mean()
        entropy = -(log_p.exp() * log_p).sum(-1).mean()
        assert torch.allclose(distillation_loss(student_logits, log_p, T), kl + entropy, atol=1e-6)
        assert torch.allclose(distillation_loss(teacher_logits, log_p, T), entropy, atol=1e-6)   # KL = 0
        assert kl > 0


def test_the_targets_are_the_teachers_softened_distribution(teacher):
    states = np.random.default_rng(0).integers(0, 256, (7, 4, 84, 84), dtype=np.uint8)
    with torch.no_grad():
        logits = teacher.policy(teacher.policy.obs_tensor(states))
    for T in (0.5, 2.0):
        log_p = teacher_targets(teacher.policy, states, T)
        assert log_p.shape == (7, 6)
        np.testing.assert_allclose(log_p, F.log_softmax(logits / T, -1).numpy(), atol=1e-5)
    assert (np.exp(teacher_targets(teacher.policy, states, 0.5)).max(-1)
            > np.exp(teacher_targets(teacher.policy, states, 2.0)).max(-1)).all()   # lower T is sharper


def _weights(path):
    return load_checkpoint(path, device="cpu").policy.state_dict()


def test_round_0_records_the_teachers_games_and_later_rounds_the_students(teacher, tmp_path):
    compress(teacher, SMALL, tmp_path, seed=3)
    env = EvalProtocol().env_config(teacher.spec)
    seeds = [int(np.random.SeedSequence([3, r]).generate_state(1)[0]) for r in range(2)]
    student = load_checkpoint(checkpoint_path(tmp_path, 0), device="cpu").policy
    for r, actor in enumerate((teacher.policy, student)):
        with np.load(round_path(tmp_path, r)) as saved:
            states, _, _ = play_states(actor, teacher.spec, env, SMALL.states_per_round, SMALL.epsilon, seeds[r])
            assert np.array_equal(saved["states"], states)
            np.testing.assert_array_equal(saved["log_p"], teacher_targets(teacher.policy, states, 1.0))


def test_a_stopped_run_resumes_to_the_same_student(teacher, tmp_path):
    whole, stopped = tmp_path / "whole", tmp_path / "stopped"
    entries = compress(teacher, SMALL, whole)
    compress(teacher, replace(SMALL, rounds=1), stopped)
    resumed = compress(teacher, SMALL, stopped)
    assert [e["new_state_agreement"] for e in resumed] == [e["new_state_agreement"] for e in entries]
    for name, tensor in _weights(whole / "policy.pt").items():
        assert torch.equal(tensor, _weights(stopped / "policy.pt")[name]), name


def test_a_damaged_round_file_is_named(teacher, tmp_path):
    compress(teacher, replace(SMALL, rounds=1), tmp_path)
    round_path(tmp_path, 0).write_bytes(b"not a zip")
    with pytest.raises(DistillError, match="round0000.npz is truncated or corrupted"):
        compress(teacher, SMALL, tmp_path)


def test_the_fit_moves_the_student_to_its_teacher(teacher, tmp_path):
    config = CompressConfig(rounds=1, states_per_round=300, epochs=100, eval_episodes=0)
    entry, = compress(teacher, config, tmp_path)
    assert entry["acting"] == "teacher"
    assert entry["fit_agreement"] > entry["new_state_agreement"] + 0.25
    assert entry["fit_loss"] < 1.79   # log 6: the uniform student's cross-entropy is at least the teacher's entropy


def test_bad_settings_are_refused():
    for bad in ({"rounds": 0}, {"temperature": 0.0}, {"epsilon": 1.5}, {"eval_episodes": -1}):
        with pytest.raises(ValueError):
            CompressConfig(**bad)
