"""The continuous tasks: exact state cloning, cost derivatives, dynamics Jacobians,
conditions and the catastrophe predicates."""
import numpy as np
import pytest

from envs.control import TASKS, UnknownTaskError, make_task

ALL = list(TASKS)


@pytest.fixture(scope="module", params=ALL)
def task(request):
    return make_task(request.param)


def random_states(task, n, rng):
    """States around the task's conditions, with speeds the tasks actually reach."""
    x0 = task.train_conditions[rng.integers(len(task.train_conditions), size=n)]
    X = x0 + rng.normal(scale=0.3, size=x0.shape)
    if task.name == "reacher":          # keep the target where the condition put it
        X[:, 2:4] = x0[:, 2:4]
    return X


def random_actions(task, n, rng):
    return rng.uniform(0.8 * task.u_low, 0.8 * task.u_high, size=(n, task.dU))


def test_state_round_trip_is_exact(task):
    rng = np.random.default_rng(0)
    for x in random_states(task, 5, rng):
        task.set_state(x)
        assert np.array_equal(task.get_state(), x)


def test_restored_state_replays_identically(task):
    rng = np.random.default_rng(1)
    x = random_states(task, 1, rng)[0]
    U = random_actions(task, 10, rng)
    first = task.rollout(x, U)
    task.rollout(random_states(task, 1, rng)[0], random_actions(task, 7, rng))   # disturb
    second = task.rollout(x, U)
    assert np.array_equal(first, second)
    # batched dynamics agree with stepping one state at a time (to round-off: BLAS may
    # sum in another order for a batch)
    assert np.allclose(task.dynamics(first[:-1], U), first[1:], rtol=1e-12, atol=1e-12)


def test_cost_is_zero_at_goal_and_nonnegative(task):
    rng = np.random.default_rng(2)
    for x0 in task.train_conditions:
        goal = task.goal_state(x0)
        assert task.cost(goal, np.zeros(task.dU)) == pytest.approx(0.0, abs=1e-12)
        assert task.distance(goal) == pytest.approx(0.0, abs=1e-9)
    X, U = random_states(task, 50, rng), random_actions(task, 50, rng)
    assert np.all(task.cost(X, U) >= 0) and np.all(task.final_cost(X) >= 0)
    assert np.all(task.cost(X, U) > 0)


def test_cost_derivatives_match_finite_differences(task):
    rng = np.random.default_rng(3)
    X = random_states(task, 6, rng).reshape(2, 3, task.dX)          # batched over [2, 3]
    U = random_actions(task, 6, rng).reshape(2, 3, task.dU)
    exp = task.cost_expansion(X, U)
    dX, eps = task.dX, 1e-5
    XU = np.concatenate([X, U], axis=-1)
    E = eps * np.eye(dX + task.dU)

    def l(xu):
        return task.cost(xu[..., :dX], xu[..., dX:])

    g_fd = np.stack([(l(XU + e) - l(XU - e)) / (2 * eps) for e in E], axis=-1)
    assert np.allclose(exp.g, g_fd, rtol=1e-5, atol=1e-6)
    H_fd = np.stack([(task.cost_expansion(XU[..., :dX] + e[:dX], XU[..., dX:] + e[dX:]).g
                      - task.cost_expansion(XU[..., :dX] - e[:dX], XU[..., dX:] - e[dX:]).g) / (2 * eps)
                     for e in E], axis=-1)
    assert np.allclose(exp.H, H_fd, rtol=1e-4, atol=1e-5)
    assert np.allclose(exp.l, l(XU))
    fin = task.final_cost_expansion(X)
    assert np.allclose(fin.l, task.final_cost(X))
    assert np.allclose(fin.g[..., dX:], 0) and np.allclose(fin.H[..., dX:, :], 0)
    assert np.allclose(fin.g[..., :dX], task.final_weight * exp.g[..., :dX], rtol=1e-12)


@pytest.mark.parametrize("name", ["pointmass", "pendulum"])
def test_analytic_jacobians_match_finite_differences(name):
    task = make_task(name)
    rng = np.random.default_rng(4)
    X, U = random_states(task, 8, rng), random_actions(task, 8, rng)
    A, B = task.jacobians(X, U)
    A_fd, B_fd = type(task).__mro__[1].jacobians(task, X, U)         # the base class's central differences
    assert np.allclose(A, A_fd, atol=1e-7) and np.allclose(B, B_fd, atol=1e-7)
    # beyond the action bounds the action has no effect
    _, B_out = task.jacobians(X, np.full_like(U, 2 * task.u_high))
    assert np.all(B_out == 0)


def test_conditions_fixed_and_held_out(task):
    again = type(task)()
    assert np.array_equal(task.train_conditions, again.train_conditions)
    assert np.array_equal(task.test_conditions, again.test_conditions)
    train = {tuple(x) for x in task.train_conditions}
    assert not train & {tuple(x) for x in task.test_conditions}
    with pytest.raises(IndexError):
        task.initial_state(len(task.train_conditions))
    with pytest.raises(IndexError):
        task.initial_state(-1, "test")
    assert task.observation(task.train_conditions).shape == (len(train), task.dO)


def test_unknown_task_suggests_the_closest_name():
    with pytest.raises(UnknownTaskError, match="did you mean 'pendulum'"):
        make_task("pendlum")


def test_arm_joint_speed_limit_is_catastrophic():
    arm = make_task("arm")
    x = arm.train_conditions[0].copy()
    assert not arm.catastrophe(x, 0)
    x[3] = arm.joint_speed_limit + 0.1
    assert arm.catastrophe(x, 0)
    # a free, undamped arm keeps its energy: checks the mass matrix and Coriolis terms
    arm.damping = 0.0
    X = arm.rollout(np.array([0.3, 0.8, 2.0, -1.5]), np.zeros((20, 2)))
    m, l = arm.mass, arm.length
    lc, I = l / 2, m * l * l / 12

    def energy(x):
        q2, qd = x[1], x[2:]
        M = np.array([[2 * I + m * lc**2 + m * (l**2 + lc**2 + 2 * l * lc * np.cos(q2)),
                       I + m * (lc**2 + l * lc * np.cos(q2))],
                      [I + m * (lc**2 + l * lc * np.cos(q2)), I + m * lc**2]])
        return 0.5 * qd @ M @ qd

    energies = np.array([energy(x) for x in X])
    assert np.max(np.abs(energies / energies[0] - 1)) < 0.02


def test_pendulum_fall_counts_only_after_the_swing_up():
    pend = make_task("pendulum")
    down = np.array([np.pi, 0.0])
    late = int(pend.balance_from * pend.T)
    assert not pend.catastrophe(down, late - 1)
    assert pend.catastrophe(down, late)
    assert not pend.catastrophe(np.array([2 * np.pi + 0.2, 0.0]), late)     # upright, wrapped
