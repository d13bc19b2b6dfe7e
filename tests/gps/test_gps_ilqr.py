"""iLQR on the true simulator and the MPC expert built on it."""
import numpy as np

from envs.control import make_task
from imitation.gps.controller import LinearGaussianController
from imitation.gps.dynamics import LinearGaussianDynamics
from imitation.gps.ilqr import ilqr
from imitation.gps.lqr import cost_from_samples, lqr_backward
from imitation.gps.mpc import MPC, MPCConfig, run_mpc_episode


def test_ilqr_swings_the_pendulum_up_with_monotone_cost():
    task = make_task("pendulum")
    result = ilqr(task, task.initial_state(0), np.zeros((task.T, 1)))
    costs = np.array(result.costs)
    assert len(costs) > 10
    assert np.all(np.diff(costs) < 0)
    assert costs[-1] < 0.5 * costs[0]
    assert task.distance(result.X[-1]) < 0.1
    # the plan is what the simulator does with its actions
    assert np.allclose(task.rollout(task.initial_state(0), result.U), result.X)


def test_ilqr_on_a_linear_quadratic_task_is_the_lqr_optimum():
    task = make_task("pointmass")
    x0 = task.initial_state(1)
    T = 30
    X0 = np.repeat(x0[None], T + 1, 0)
    U0 = np.zeros((T, 2))
    cost = cost_from_samples(task, X0[None], U0[None])          # exact: the cost is quadratic
    A, B = task.jacobians(X0[:-1], U0)
    dyn = LinearGaussianDynamics(np.concatenate([A, B], 2), np.zeros((T, 4)), np.zeros((T, 4, 4)),
                                 x0, np.zeros((4, 4)))
    sol = lqr_backward(dyn, cost)
    X, U = np.empty((T + 1, 4)), np.empty((T, 2))
    X[0] = x0
    for t in range(T):
        U[t] = sol.K[t] @ X[t] + sol.k[t]
        X[t + 1] = A[t] @ X[t] + B[t] @ U[t]
    result = ilqr(task, x0, U0)
    assert np.abs(U).max() < task.u_high[0]                     # bounds inactive
    assert np.allclose(result.U, U, atol=1e-6)
    assert result.converged


def test_mpc_reaches_the_goal_and_returns_a_precision():
    task = make_task("pointmass")
    episode = run_mpc_episode(task, MPC(task, MPCConfig(horizon=20, first_iterations=10, iterations=2)),
                              task.initial_state(0))
    assert episode.final_distance < task.success_threshold
    assert episode.simulator_steps > task.T * 20                # at least one rollout per step
    assert np.all(np.linalg.eigvalsh(episode.Quu) > 0)
    assert np.allclose(episode.X[-1], task.get_state())          # planning restored the state


def test_mpc_restores_the_simulator_state():
    task = make_task("reacher")
    x = task.train_conditions[1]
    task.set_state(x)
    MPC(task, MPCConfig(horizon=5, first_iterations=2, iterations=1)).act(x, 0)
    assert np.array_equal(task.get_state(), x)


def test_kl_term_pulls_the_mpc_towards_the_policy():
    task = make_task("arm")
    x = task.initial_state(0)
    target = np.array([0.5, -0.5])

    def policy(X):
        H = len(X)
        return LinearGaussianController(np.zeros((H, 2, 4)), np.tile(target, (H, 1)),
                                        np.tile(1e-3 * np.eye(2), (H, 1, 1)))

    config = MPCConfig(horizon=15, first_iterations=20, iterations=2)
    free = MPC(task, config).act(x, 0)
    near = MPC(task, config).act(x, 0, policy=policy, policy_weight=1.0)
    assert np.linalg.norm(free.u - target) > 1.0
    assert np.linalg.norm(near.u - target) < 0.05
    # the precision includes the policy's weight * Sigma^-1
    assert np.linalg.eigvalsh(near.Quu).min() > 1000.0 > np.linalg.eigvalsh(free.Quu).max()
