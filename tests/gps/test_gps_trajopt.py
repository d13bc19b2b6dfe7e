"""Trajectory optimisation with local models from the zero-mean initial controller, 1
condition, 5 samples per iteration: what the 2017 GPS codebase documents for its point
mass (goal by about iteration 4) and 2-link arm (about iteration 6)."""
import numpy as np
import pytest

from envs.control import make_task
from imitation.gps.trajopt import TrajOptConfig, run_trajopt


@pytest.mark.parametrize("seed", [0, 1])
def test_pointmass_reaches_the_goal_by_iteration_4(seed):
    task = make_task("pointmass")
    result = run_trajopt(task, TrajOptConfig(conditions=1, samples=5, iterations=4),
                         np.random.default_rng(seed))
    cost = np.array(result.cost)
    assert cost[4] < 0.1 * cost[0]
    assert result.final_distance[0][0] > 10 * task.success_threshold     # iteration 0 is untrained
    assert result.final_distance[4][0] <= task.success_threshold
    assert result.success == [True]
    assert result.samples == 5 * 5 * task.T


@pytest.mark.parametrize("seed", [0, 1])
def test_arm_reaches_the_goal_by_iteration_6(seed):
    task = make_task("arm")
    result = run_trajopt(task, TrajOptConfig(conditions=1, samples=5, iterations=6),
                         np.random.default_rng(seed))
    assert result.final_distance[0][0] > 10 * task.success_threshold
    assert result.final_distance[6][0] <= task.success_threshold
    assert result.cost[6] < 0.05 * result.cost[0]


def test_kl_steps_respect_their_targets():
    task = make_task("pointmass")
    result = run_trajopt(task, TrajOptConfig(conditions=2, samples=5, iterations=3),
                         np.random.default_rng(0))
    for it in result.iterations[:-1]:
        active = it.eta > 1e-8 * 1.0001
        assert np.all(it.kl[active] <= 1.1 * it.kl_target[active])
    assert len(result.final_distance[0]) == 2 and len(result.success) == 2
    # the first update starts from step multiplier 1 and adapts afterwards
    assert np.all(result.iterations[0].step_mult == 1.0)
    assert not np.all(result.iterations[2].step_mult == 1.0)


def test_too_many_conditions_is_rejected():
    task = make_task("arm")
    with pytest.raises(ValueError, match="training conditions"):
        run_trajopt(task, TrajOptConfig(conditions=len(task.train_conditions) + 1), np.random.default_rng(0))
