"""The gymnasium wrapper around a task."""
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from envs.control import make_task
from envs.control.gym_env import TaskEnv


@pytest.mark.parametrize("name", ["pointmass", "arm", "pendulum", "reacher"])
def test_passes_gymnasium_env_checker(name):
    check_env(TaskEnv(make_task(name)), skip_render_check=True)


def test_episode_is_T_steps_from_the_chosen_condition_and_costs_add_up():
    task = make_task("arm")
    env = TaskEnv(task, split="test")
    obs, info = env.reset(seed=0, options={"condition": 2})
    assert np.array_equal(info["state"], task.test_conditions[2])
    assert np.allclose(obs, task.observation(task.test_conditions[2]))
    rng = np.random.default_rng(0)
    X, U, total, steps, truncated = [info["state"]], [], 0.0, 0, False
    while not truncated:
        u = rng.uniform(-1, 1, size=2)
        obs, reward, terminated, truncated, info = env.step(u)
        assert not terminated
        X.append(info["state"])
        U.append(u)
        total += reward
        steps += 1
    assert steps == task.T
    X, U = np.array(X), np.array(U)
    # the default reward is -l(x, u); the final cost comes in info at the end
    assert -total + info["final_cost"] == pytest.approx(task.trajectory_cost(X, U), rel=1e-12)
    assert info["distance"] == pytest.approx(task.distance(X[-1]))


def test_unknown_split_is_rejected():
    with pytest.raises(ValueError):
        TaskEnv(make_task("pointmass"), split="validation")
