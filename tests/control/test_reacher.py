"""Reacher: gymnasium's Reacher-v5 stepped through MuJoCo, with mjd_transitionFD Jacobians."""
import gymnasium as gym
import mujoco
import numpy as np
import pytest

from envs.control import make_task


@pytest.fixture(scope="module")
def reacher():
    return make_task("reacher")


def test_steps_reward_and_observation_match_gymnasium(reacher):
    """States match gymnasium's to round-off. Gymnasium computes its reward and observation
    from the kinematics ``mj_step`` leaves behind, which are one physics step stale; after
    refreshing them with ``mj_forward`` they equal ours, which use the state reached."""
    env = gym.make("Reacher-v5").unwrapped
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    x = reacher.train_conditions[2].copy()
    x[4:] = [1.5, -2.0]
    env.set_state(x[:4], np.r_[x[4:], 0.0, 0.0])
    reacher.set_state(x)
    for _ in range(20):
        u = rng.uniform(-1, 1, size=2)
        env.step(u)
        mujoco.mj_forward(env.model, env.data)
        reward, _ = env._get_rew(u)
        x_prev = reacher.get_state()
        reacher.step(u)
        x = reacher.get_state()
        assert np.allclose(x, np.r_[env.data.qpos, env.data.qvel[:2]], rtol=0, atol=1e-12)
        assert reacher.reward(x_prev, u, x) == pytest.approx(reward, abs=1e-12)
        assert np.allclose(reacher.observation(x), env._get_obs(), atol=1e-12)
    tip = env.data.body("fingertip").xpos[:2]
    assert np.allclose(reacher.fingertip(x), tip, atol=1e-12)


def test_transition_fd_jacobians_chain_the_frame_skip(reacher):
    """A = A2 A1, B = A2 B1 + B2 against central differences of the true (RK4) step; the
    Jacobians come from an Euler twin (MuJoCo 4 rejects RK4 there), within 2%."""
    rng = np.random.default_rng(1)
    X = reacher.train_conditions[:3].copy()
    X[:, :2] += rng.normal(scale=0.5, size=(3, 2))
    X[:, 4:] = rng.normal(scale=2.0, size=(3, 2))
    U = rng.uniform(-0.8, 0.8, size=(3, 2))
    A, B = reacher.jacobians(X, U)
    eps = 1e-6
    E = eps * np.eye(8)
    for h in range(3):
        J = np.stack([(reacher.dynamics(X[h:h + 1] + e[:6], U[h:h + 1] + e[6:])[0]
                       - reacher.dynamics(X[h:h + 1] - e[:6], U[h:h + 1] - e[6:])[0]) / (2 * eps)
                      for e in E], axis=1)                                   # [6, 8]
        err = np.abs(np.concatenate([A[h], B[h]], axis=1) - J).max()
        assert err < 0.02 * np.abs(J).max()
        # the chained B is not the one-physics-step B: it carries about 2 dt of effect
        assert np.abs(B[h, 4:, :]).max() > 3.0


def test_b_vanishes_beyond_the_control_limits(reacher):
    x = reacher.train_conditions[0]
    _, B_in = reacher.jacobians(x[None], np.array([[0.5, -0.5]]))
    _, B_out = reacher.jacobians(x[None], np.array([[1.5, -1.5]]))
    assert np.abs(B_in).max() > 1.0
    assert np.abs(B_out).max() < 1e-6


def test_jacobians_count_simulator_steps(reacher):
    before = reacher.simulator_steps
    reacher.jacobians(reacher.train_conditions[:2], np.zeros((2, 2)))
    assert reacher.simulator_steps - before == 2 * (2 * (8 + 2) + 1)
