"""KL-constrained LQR: the Riccati limit, the KL bound, the KL formula, Quu repair, step size."""
import numpy as np
import pytest

from imitation.gps.controller import LinearGaussianController, zero_mean_controller
from imitation.gps.dynamics import LinearGaussianDynamics
from imitation.gps.lqr import (ETA_MIN, KL_TOLERANCE, LQRError, NotPositiveDefinite, QuadraticCost,
                               backward_with_eta_repair, controller_kl, expected_cost, forward,
                               kl_constrained_lqr, lqr_backward)
from imitation.gps.step_size import adapted_step_mult


def random_problem(rng, T=12, dX=4, dU=2, noise=0.0):
    """A random controllable time-varying linear system with offsets and a convex cost."""
    A = np.eye(dX) + 0.1 * rng.normal(size=(T, dX, dX))
    B = rng.normal(size=(T, dX, dU))
    f = 0.1 * rng.normal(size=(T, dX))
    W = noise * np.eye(dX) * np.ones((T, 1, 1))
    dyn = LinearGaussianDynamics(Fm=np.concatenate([A, B], axis=2), fv=f, dyn_covar=W,
                                 x0_mu=rng.normal(size=dX), x0_Sigma=0.01 * np.eye(dX))
    G = rng.normal(size=(T + 1, dX + dU, dX + dU))
    C = G @ G.transpose(0, 2, 1) / (dX + dU) + 0.1 * np.eye(dX + dU)
    C[T, dX:, :] = 0.0
    C[T, :, dX:] = 0.0
    c = rng.normal(size=(T + 1, dX + dU))
    c[T, dX:] = 0.0
    return dyn, QuadraticCost(C=C, c=c, cc=np.zeros(T + 1))


def random_controller(rng, T, dX, dU, scale=1.0):
    L = rng.normal(size=(T, dU, dU))
    return LinearGaussianController(scale * rng.normal(size=(T, dU, dX)), scale * rng.normal(size=(T, dU)),
                                    L @ L.transpose(0, 2, 1) + 0.5 * np.eye(dU))


def riccati_affine(dyn, cost):
    """Textbook finite-horizon Riccati on the augmented state z = [x; 1], with the cross
    term N: returns the gains [K, k] of u = K x + k."""
    T, dX = dyn.Fm.shape[0], dyn.dX
    dU = cost.C.shape[1] - dX
    gains = np.empty((T, dU, dX + 1))
    CT = cost.C[T]
    P = np.block([[CT[:dX, :dX], cost.c[T, :dX, None]], [cost.c[T, None, :dX], np.zeros((1, 1))]])
    for t in range(T - 1, -1, -1):
        A, B, f = dyn.Fm[t, :, :dX], dyn.Fm[t, :, dX:], dyn.fv[t]
        Az = np.block([[A, f[:, None]], [np.zeros((1, dX)), np.ones((1, 1))]])
        Bz = np.vstack([B, np.zeros((1, dU))])
        C, c = cost.C[t], cost.c[t]
        Qz = np.block([[C[:dX, :dX], c[:dX, None]], [c[None, :dX], np.zeros((1, 1))]])
        N = np.vstack([C[:dX, dX:], c[None, dX:]])
        R = C[dX:, dX:]
        S = R + Bz.T @ P @ Bz
        M = Bz.T @ P @ Az + N.T
        gains[t] = -np.linalg.solve(S, M)
        P = Qz + Az.T @ P @ Az - M.T @ np.linalg.solve(S, M)
    return gains[:, :, :dX], gains[:, :, dX]


def test_eta_to_zero_is_the_riccati_solution():
    rng = np.random.default_rng(0)
    dyn, cost = random_problem(rng)
    K_ric, k_ric = riccati_affine(dyn, cost)
    reference = random_controller(rng, 12, 4, 2)
    errors = []
    for eta in (1e-4, 1e-8, 1e-12):
        ctrl, used = backward_with_eta_repair(dyn, cost, reference, eta)
        assert used == eta
        errors.append(max(np.abs(ctrl.K - K_ric).max(), np.abs(ctrl.k - k_ric).max()))
    assert errors[0] > 1e-6                       # the reference does pull at a finite eta
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-8
    plain = lqr_backward(dyn, cost)
    assert np.allclose(plain.K, K_ric, atol=1e-10) and np.allclose(plain.k, k_ric, atol=1e-10)


def joint_trajectory_gaussian(ctrl, dyn):
    """Mean and covariance of tau = [x0, u0, x1, ..., xT] by writing tau as an affine map
    of all noise sources (initial state, action noise, dynamics noise)."""
    T, dU, dX = ctrl.K.shape
    n = T * (dX + dU) + dX
    sources = dX + T * (dU + dX)
    G, h = np.zeros((n, sources)), np.zeros(n)
    G[:dX, :dX], h[:dX] = np.linalg.cholesky(dyn.x0_Sigma), dyn.x0_mu
    s = dX
    for t in range(T):
        ix = slice(t * (dX + dU), t * (dX + dU) + dX)
        iu = slice(ix.stop, ix.stop + dU)
        ixn = slice(iu.stop, iu.stop + dX)
        G[iu] = ctrl.K[t] @ G[ix]
        h[iu] = ctrl.K[t] @ h[ix] + ctrl.k[t]
        G[iu, s:s + dU] = np.linalg.cholesky(ctrl.Sigma[t])
        s += dU
        F = dyn.Fm[t]
        G[ixn] = F[:, :dX] @ G[ix] + F[:, dX:] @ G[iu]
        h[ixn] = F[:, :dX] @ h[ix] + F[:, dX:] @ h[iu] + dyn.fv[t]
        G[ixn, s:s + dX] = np.linalg.cholesky(dyn.dyn_covar[t])
        s += dX
    return h, G @ G.T


def gaussian_kl(m1, S1, m0, S0):
    n = len(m1)
    d = m0 - m1
    return 0.5 * (np.trace(np.linalg.solve(S0, S1)) + d @ np.linalg.solve(S0, d) - n
                  + np.linalg.slogdet(S0)[1] - np.linalg.slogdet(S1)[1])


def test_kl_matches_the_kl_of_joint_trajectory_gaussians():
    rng = np.random.default_rng(1)
    dyn, _ = random_problem(rng, T=5, dX=3, dU=2, noise=0.05)
    new, ref = random_controller(rng, 5, 3, 2, 0.5), random_controller(rng, 5, 3, 2, 0.5)
    mu, sigma = forward(new, dyn)
    kl = controller_kl(mu, sigma, new, ref).sum()
    m1, S1 = joint_trajectory_gaussian(new, dyn)
    m0, S0 = joint_trajectory_gaussian(ref, dyn)
    assert kl == pytest.approx(gaussian_kl(m1, S1, m0, S0), rel=1e-8)
    # and the forward pass's marginals are the joint's
    T, dX, dU = 5, 3, 2
    idx = np.r_[np.arange(dX + dU)]
    assert np.allclose(mu[2], m1[2 * (dX + dU) + idx])
    assert np.allclose(sigma[2], S1[np.ix_(2 * (dX + dU) + idx, 2 * (dX + dU) + idx)])


def test_kl_bound_is_met_within_10_percent_when_active():
    rng = np.random.default_rng(2)
    dyn, cost = random_problem(rng, T=15, noise=0.01)
    reference = zero_mean_controller(15, 4, 2, 1.0)
    unconstrained, _ = backward_with_eta_repair(dyn, cost, reference, ETA_MIN)
    mu, sigma = forward(unconstrained, dyn)
    kl_free = controller_kl(mu, sigma, unconstrained, reference).sum()
    target = 0.05 * kl_free
    step = kl_constrained_lqr(dyn, cost, reference, target, eta=1.0)
    assert step.converged and step.eta > 10 * ETA_MIN          # the constraint is active
    mu, sigma = forward(step.controller, dyn)
    kl = controller_kl(mu, sigma, step.controller, reference).sum()
    assert kl == pytest.approx(step.kl)
    assert abs(kl - target) <= KL_TOLERANCE * target
    # a constrained step improves on the reference, but less than the free step
    J = {name: expected_cost(*forward(c, dyn), cost).sum()
         for name, c in [("ref", reference), ("step", step.controller), ("free", unconstrained)]}
    assert J["free"] < J["step"] < J["ref"]
    # a loose bound is inactive: eta goes to its lower end
    loose = kl_constrained_lqr(dyn, cost, reference, 10 * kl_free, eta=1.0)
    assert loose.converged and loose.eta == pytest.approx(ETA_MIN) and loose.kl < 10 * kl_free


def test_quu_not_positive_definite_raises_eta_and_fails_past_the_bound():
    rng = np.random.default_rng(3)
    dyn, cost = random_problem(rng, T=6)
    cost.C[3, 4:, 4:] -= 50.0 * np.eye(2)                 # concave in u at t = 3
    with pytest.raises(NotPositiveDefinite):
        lqr_backward(dyn, cost)
    reference = zero_mean_controller(6, 4, 2, 1.0)
    ctrl, eta = backward_with_eta_repair(dyn, cost, reference, 1e-3)
    assert eta > 1.0                                        # needs eta * I to outweigh -50 I
    assert np.all(np.linalg.eigvalsh(ctrl.Sigma) > 0)
    hopeless = zero_mean_controller(6, 4, 2, 1e12)          # precision 1e-24: eta would pass 1e16
    with pytest.raises(LQRError, match="not positive definite"):
        backward_with_eta_repair(dyn, cost, hopeless, 1e-3)


@pytest.mark.parametrize("predicted, actual, expected", [
    (1.0, 0.5, 1.0),       # improvement = half the prediction: keep the step
    (1.0, 1.0, 5.0),       # prediction exact: grow, clipped at 5
    (1.0, -3.0, 0.125),    # got worse: shrink
    (1.0, -10.0, 0.1),     # much worse: clipped at 0.1
    (-1.0, -2.0, 0.1),     # the model predicted no improvement
    (1.0, 0.75, 2.0),
])
def test_step_multiplier(predicted, actual, expected):
    assert adapted_step_mult(1.0, predicted, actual) == pytest.approx(expected)


def test_step_multiplier_stays_in_range():
    assert adapted_step_mult(8.0, 1.0, 1.0) == pytest.approx(10.0)
    assert adapted_step_mult(0.02, 1.0, -3.0) == pytest.approx(0.01)
