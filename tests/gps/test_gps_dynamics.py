"""Local dynamics: recovering a known linear-Gaussian system, the NIW prior, the GMM, and
the GMM prior's advantage with 5 samples on the arm."""
import numpy as np

from envs.control import make_task
from imitation.gps.controller import pd_controller, zero_mean_controller
from imitation.gps.dynamics import (fit_dynamics, fit_linear_gaussian, fit_policy_linearisation,
                                    transition_points)
from imitation.gps.gmm import GMMPrior, GMMPriorConfig, NIWPrior, fit_gmm
from imitation.gps.lqr import lqr_initial_controller
from imitation.gps.sampling import sample_controller


def test_fit_recovers_a_known_linear_gaussian_system():
    rng = np.random.default_rng(0)
    T, dX, dU, N = 4, 3, 2, 2000
    Fm = np.concatenate([np.eye(dX) + 0.2 * rng.normal(size=(T, dX, dX)), rng.normal(size=(T, dX, dU))], 2)
    fv = rng.normal(size=(T, dX))
    L = 0.1 * rng.normal(size=(T, dX, dX))
    W = L @ L.transpose(0, 2, 1) + 0.01 * np.eye(dX)
    X = np.empty((N, T + 1, dX))
    U = rng.normal(size=(N, T, dU))
    X[:, 0] = rng.normal(size=(N, dX))
    for t in range(T):
        XU = np.concatenate([X[:, t], U[:, t]], 1)
        X[:, t + 1] = XU @ Fm[t].T + fv[t] + rng.multivariate_normal(np.zeros(dX), W[t], size=N)
    dyn = fit_dynamics(X, U)
    assert np.abs(dyn.Fm - Fm).max() < 0.03
    assert np.abs(dyn.fv - fv).max() < 0.03
    assert np.allclose(dyn.dyn_covar, W, atol=0.01, rtol=0.15)
    assert np.allclose(dyn.x0_mu, X[:, 0].mean(0))


def test_policy_linearisation_recovers_a_linear_gaussian_policy():
    rng = np.random.default_rng(5)
    N, T, dX, dU = 3000, 3, 4, 2
    K, k = rng.normal(size=(T, dU, dX)), rng.normal(size=(T, dU))
    Sigma = np.array([[0.2, 0.05], [0.05, 0.1]])
    X = rng.normal(size=(N, T, dX))
    U = np.einsum("tij,ntj->nti", K, X) + k + rng.multivariate_normal(np.zeros(dU), Sigma, size=(N, T))
    lin = fit_policy_linearisation(X, U)
    assert np.abs(lin.K - K).max() < 0.03 and np.abs(lin.k - k).max() < 0.03
    assert np.allclose(lin.Sigma, Sigma, atol=0.02)


def test_a_strong_prior_dominates_a_few_samples():
    """With the true joint Gaussian as a very strong NIW prior, three samples give the true
    slopes and noise (the line still passes through the samples' mean, as in the GPS
    codebase); with a zero-strength prior the fit is the samples' own."""
    rng = np.random.default_rng(1)
    dz, dy = 3, 2
    F, f = rng.normal(size=(dy, dz)), rng.normal(size=dy)
    Szz = np.eye(dz) + 0.3 * np.ones((dz, dz))
    S_noise = 0.05 * np.eye(dy)
    mean = np.r_[np.zeros(dz), f]
    joint = np.block([[Szz, Szz @ F.T], [F @ Szz, F @ Szz @ F.T + S_noise]])
    Z = rng.normal(size=(1, 3, dz))
    Y = rng.normal(size=(1, 3, dy))                          # samples unrelated to F
    strong = NIWPrior(mu0=mean[None], Phi=1e8 * joint[None], m=np.array([1e8]), n0=np.array([1e8]))
    F_hat, f_hat, S_hat = fit_linear_gaussian(Z, Y, strong, ridge=0.0)
    assert np.allclose(F_hat[0], F, atol=1e-4)
    assert np.allclose(f_hat[0], Y[0].mean(0) - F_hat[0] @ Z[0].mean(0))
    assert np.allclose(S_hat[0], S_noise, atol=1e-4)
    weak = NIWPrior(mu0=mean[None], Phi=1e-12 * joint[None], m=np.array([1e-12]), n0=np.array([1e-12]))
    ridge = 1e-3
    assert np.allclose(fit_linear_gaussian(Z, Y, weak, ridge)[0], fit_linear_gaussian(Z, Y, None, ridge)[0],
                       atol=1e-6)


def test_gmm_finds_separated_clusters():
    rng = np.random.default_rng(2)
    centres = np.array([[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    P = np.concatenate([c + 0.3 * rng.normal(size=(300, 2)) for c in centres])
    gmm = fit_gmm(P, 3, rng)
    order = np.argsort(gmm.means[:, 0])
    assert np.allclose(gmm.means[order], centres[[2, 0, 1]], atol=0.1)
    assert np.allclose(gmm.weights, 1 / 3, atol=0.02)
    assert np.allclose(gmm.covs, 0.09 * np.eye(2), atol=0.03)


def test_gmm_prior_keeps_the_last_trajectories():
    rng = np.random.default_rng(3)
    prior = GMMPrior(GMMPriorConfig(max_trajectories=7), rng)
    for _ in range(3):
        prior.update(rng.normal(size=(5, 10, 4)))
    assert prior.buffer.shape == (7, 10, 4)
    niw = prior.evaluate(rng.normal(size=(10, 5, 4)))
    assert niw.mu0.shape == (10, 4) and niw.Phi.shape == (10, 4, 4)
    assert np.all(np.linalg.eigvalsh(niw.Phi) > 0)


def test_gmm_prior_beats_the_best_ridge_fit_with_5_samples_on_arm():
    """Levine et al. 2016's claim: with 5 samples per condition the GMM prior (over the
    last 20 trajectories: 15 from earlier controllers and these 5) predicts held-out
    transitions better than per-step regression with the best ridge."""
    task = make_task("arm")
    rng = np.random.default_rng(0)
    x0 = task.initial_state(0)
    earlier = [zero_mean_controller(task.T, 4, 2, 0.3),
               pd_controller(task.T, task.pd_gains, task.goal_state(x0), 0.3),
               lqr_initial_controller(task, x0, 0.3)]
    current = pd_controller(task.T, 0.5 * task.pd_gains, task.goal_state(x0), 0.3)
    prior = GMMPrior(GMMPriorConfig(), rng)
    for ctrl in earlier:
        s = sample_controller(task, ctrl, x0, 5, rng)
        prior.update(transition_points(s.X, s.U))
    train = sample_controller(task, current, x0, 5, rng)
    held_out = sample_controller(task, current, x0, 50, rng)

    def prediction_error(Fm, fv):
        XU = np.concatenate([held_out.X[:, :-1], held_out.U], axis=2)
        pred = np.einsum("tij,ntj->nti", Fm, XU) + fv
        return np.mean(np.sum((pred - held_out.X[:, 1:]) ** 2, axis=-1))

    points = transition_points(train.X, train.U).transpose(1, 0, 2)
    ridge_errors = [prediction_error(*fit_linear_gaussian(points[..., :6], points[..., 6:], None, lam)[:2])
                    for lam in 10.0 ** np.arange(-8, 3)]
    prior.update(transition_points(train.X, train.U))
    with_prior = fit_dynamics(train.X, train.U, prior)
    error = prediction_error(with_prior.Fm, with_prior.fv)
    assert error < 0.5 * min(ridge_errors)
