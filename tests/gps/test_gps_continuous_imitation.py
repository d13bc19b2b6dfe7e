"""Continuous DAgger and PLATO: what they count (environment steps, planning simulator
steps, catastrophic episodes, labels) on a small controlled case."""
import numpy as np
import pytest
import torch

from envs.control import make_task
from imitation.gps import continuous_imitation
from imitation.gps.continuous_imitation import ContinuousImitationConfig, run_imitation
from imitation.gps.mpc import MPCConfig
from imitation.gps.policy import GaussianPolicy
from imitation.gps.sstep import SStepConfig

T = 10
MPC = MPCConfig(horizon=6, first_iterations=5, iterations=1)


def _task(arena: float = 3.0):
    """Pointmass, T = 10, two training conditions: the first at rest inside the arena,
    the second outside it (so every episode from it is catastrophic from its first state)."""
    task = make_task("pointmass")
    task.T = T
    task.arena = arena
    task.train_conditions = np.array([[0.5, 0.0, 0.0, 0.0], [arena + 0.5, 0.0, 0.0, 0.0]])
    return task


def _config(algo, **kw):
    return ContinuousImitationConfig(algo, conditions=2, rounds=2, episodes_per_round=3,
                                     sstep=SStepConfig(steps=30), mpc=MPC, **kw)


def _evaluation_steps(task, config):
    """Evaluation rollouts: after every round and before the first, once per condition."""
    return (config.rounds + 1) * (config.conditions + len(task.test_conditions)) * task.T


def test_dagger_counts_with_the_expert_always_driving():
    torch.set_num_threads(1)
    task = _task()
    config = _config("dagger", schedule="exponential:1")           # beta_i = 1: the expert drives
    result = run_imitation(task, config, np.random.default_rng(0))
    last = result.rounds[-1]
    assert [r.env_steps for r in result.rounds] == [0, 3 * T, 6 * T]
    assert last.labels == 6 * T and last.expert_steps == 6 * T
    # episodes take the conditions in turn: 0, 1, 0 | 1, 0, 1 -> the second is catastrophic 3 times
    assert [r.catastrophes for r in result.rounds] == [0, 1, 3]
    # every simulator step is an environment step, a planning step or an evaluation step
    assert last.planning_simulator_steps > 0
    assert task.simulator_steps == last.env_steps + last.planning_simulator_steps + _evaluation_steps(task, config)


def test_dagger_indicator_lets_the_learner_drive_after_round_0():
    task = _task()
    config = _config("dagger")                                       # indicator: beta_0 = 1, then 0
    result = run_imitation(task, config, np.random.default_rng(1))
    assert [r.expert_steps for r in result.rounds] == [0, 3 * T, 3 * T]
    assert result.rounds[1].beta == 1.0 and result.rounds[2].beta == 0.0
    assert result.rounds[-1].labels == 6 * T                          # the expert labels every state


def test_plato_counts_both_planners():
    task = _task()
    config = _config("plato", lambda_schedule="0.5:2")
    result = run_imitation(task, config, np.random.default_rng(0))
    last = result.rounds[-1]
    assert [r.lam for r in result.rounds[1:]] == [0.5, 1.0]
    assert last.env_steps == 6 * T and last.labels == 6 * T and last.expert_steps == 0
    assert task.simulator_steps == last.env_steps + last.planning_simulator_steps + _evaluation_steps(task, config)
    assert last.planning_simulator_steps > 0
    assert result.rounds[-1].catastrophes == 3


class _PushingPolicy(GaussianPolicy):
    """A learner that always accelerates along +x at the bound."""

    def mean(self, obs):
        return np.tile([10.0, 0.0], (np.asarray(obs).shape[0], 1))

    def linearise(self, task, X):
        lin = super().linearise(task, X)
        lin.K[:] = 0.0
        lin.k[:] = [10.0, 0.0]
        return lin


@pytest.mark.parametrize("lam, catastrophes", [("1e6", 2), ("1e-6", 0)])
def test_plato_teacher_follows_the_learner_as_lambda_grows(monkeypatch, lam, catastrophes):
    """lambda -> infinity: the teacher executes the learner's mean action, which pushes the
    point out of the arena in both episodes; lambda -> 0: the expert's, which stays inside."""
    monkeypatch.setattr(continuous_imitation, "GaussianPolicy", _PushingPolicy)
    task = _task(arena=0.6)
    task.train_conditions = np.array([[0.5, 0.0, 0.0, 0.0], [0.0, 0.5, 0.0, 0.0]])
    config = ContinuousImitationConfig("plato", conditions=2, rounds=1, episodes_per_round=2,
                                       lambda_schedule=lam, sstep=SStepConfig(steps=5), mpc=MPC)
    result = run_imitation(task, config, np.random.default_rng(0))
    assert result.rounds[-1].catastrophes == catastrophes


@pytest.mark.parametrize("kw", [dict(algo="sac"), dict(algo="dagger", lambda_schedule="1.0"),
                                dict(algo="plato", schedule="indicator"), dict(algo="dagger", rounds=0)])
def test_bad_configs_are_rejected(kw):
    with pytest.raises(ValueError):
        ContinuousImitationConfig(**kw)
