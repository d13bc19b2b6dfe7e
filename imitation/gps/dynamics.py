"""Time-varying linear-Gaussian dynamics fitted from samples, optionally with a prior.

Levine & Abbeel 2014 (Sec. 3.1) fit ``p(x_{t+1} | x_t, u_t) = N(F_t [x_t; u_t] + f_t, Sigma_t)``
by linear regression at each time step; Levine et al. 2016 (Appendix A.3) make it work
with few samples by fitting the joint Gaussian of ``[x_t; u_t; x_{t+1}]`` under a
normal-inverse-Wishart prior (from :mod:`imitation.gps.gmm`) and conditioning.
:func:`fit_linear_gaussian` is the general conditional fit, also used for a policy's
linearisation (:func:`fit_policy_linearisation`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imitation.gps.controller import LinearGaussianController
from imitation.gps.gmm import GMMPrior, NIWPrior

# Ridge added to the [x; u] block of the joint covariance before conditioning (the GPS
# codebase's dynamics ``regularization = 1e-6``); it only matters in directions the
# samples (and prior) leave empty.
DYNAMICS_RIDGE = 1e-6
# Floor on the variance of the initial state (the GPS codebase's ``initial_state_var``).
INITIAL_STATE_VAR = 1e-6


@dataclass
class LinearGaussianDynamics:
    """``x_{t+1} ~ N(Fm_t [x_t; u_t] + fv_t, dyn_covar_t)``, ``x_0 ~ N(x0_mu, x0_Sigma)``.

    Fm: [T, dX, dX + dU];  fv: [T, dX];  dyn_covar: [T, dX, dX];
    x0_mu: [dX];  x0_Sigma: [dX, dX].
    """

    Fm: np.ndarray
    fv: np.ndarray
    dyn_covar: np.ndarray
    x0_mu: np.ndarray
    x0_Sigma: np.ndarray

    @property
    def dX(self) -> int:
        return self.Fm.shape[1]


def fit_linear_gaussian(Z: np.ndarray, Y: np.ndarray, prior: NIWPrior | None = None,
                        ridge: float = DYNAMICS_RIDGE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit ``y ~ N(F z + f, S)`` at every step, batched over steps.

    Z: [T, N, dz] inputs, Y: [T, N, dy] outputs. Returns F: [T, dy, dz], f: [T, dy],
    S: [T, dy, dy]. The joint covariance of ``[z; y]`` is the empirical one or, with a
    prior, the normal-inverse-Wishart posterior mode
    ``(N S_emp + Phi + N m / (N + m) (mean - mu0)(mean - mu0)^T) / (N + n0)``;
    the mean is the empirical mean (as the GPS codebase does). ``ridge`` is added to the
    ``z`` block, then the Gaussian is conditioned on ``z``.
    """
    T, N, dz = Z.shape
    P = np.concatenate([Z, Y], axis=2)                                     # [T, N, D]
    mean = P.mean(axis=1)                                                   # [T, D]
    diff = P - mean[:, None]
    Sigma = np.einsum("tni,tnj->tij", diff, diff) / N
    if prior is not None:
        dm = mean - prior.mu0
        shrink = (N * prior.m / (N + prior.m))[:, None, None]
        Sigma = (N * Sigma + prior.Phi + shrink * dm[:, :, None] * dm[:, None, :]) \
            / (N + prior.n0)[:, None, None]
    Sigma = 0.5 * (Sigma + Sigma.transpose(0, 2, 1))
    Sigma[:, :dz, :dz] += ridge * np.eye(dz)
    Szz, Szy, Syy = Sigma[:, :dz, :dz], Sigma[:, :dz, dz:], Sigma[:, dz:, dz:]
    F = np.linalg.solve(Szz, Szy).transpose(0, 2, 1)                        # [T, dy, dz]
    f = mean[:, dz:] - np.einsum("tij,tj->ti", F, mean[:, :dz])
    S = Syy - F @ Szy
    return F, f, 0.5 * (S + S.transpose(0, 2, 1))


def transition_points(X: np.ndarray, U: np.ndarray) -> np.ndarray:
    """``[x_t, u_t, x_{t+1}]`` per sample and step: ``X: [N, T+1, dX]``, ``U: [N, T, dU]``
    -> ``[N, T, 2 dX + dU]`` (the points the dynamics prior's GMM is fitted on)."""
    return np.concatenate([X[:, :-1], U, X[:, 1:]], axis=2)


def fit_dynamics(X: np.ndarray, U: np.ndarray, prior: GMMPrior | None = None,
                 ridge: float = DYNAMICS_RIDGE) -> LinearGaussianDynamics:
    """Local dynamics from ``X: [N, T+1, dX]``, ``U: [N, T, dU]``.

    With ``prior`` (already updated with these samples, as the GPS codebase does) each
    step's fit uses that step's NIW prior from the GMM. The initial state is the
    samples' mean with the variance floored at :data:`INITIAL_STATE_VAR`.
    """
    dX = X.shape[2]
    points = transition_points(X, U).transpose(1, 0, 2)                     # [T, N, D]
    niw = prior.evaluate(points) if prior is not None else None
    Fm, fv, dyn_covar = fit_linear_gaussian(points[..., :-dX], points[..., -dX:], niw, ridge)
    x0 = X[:, 0]
    return LinearGaussianDynamics(Fm=Fm, fv=fv, dyn_covar=dyn_covar, x0_mu=x0.mean(axis=0),
                                  x0_Sigma=np.diag(np.maximum(x0.var(axis=0), INITIAL_STATE_VAR)))


def fit_policy_linearisation(X: np.ndarray, U: np.ndarray, prior: GMMPrior | None = None,
                             ridge: float = DYNAMICS_RIDGE) -> LinearGaussianController:
    """A policy's local linearisation ``u_t ~ N(K_t x_t + k_t, Sigma_t)`` from its actions.

    X: [N, T, dX] states the policy was queried at;  U: [N, T, dU] its (sampled or mean)
    actions there. The same conditional fit as the dynamics, with an optional GMM prior
    over the points ``[x_t, u_t]`` (update it with ``np.concatenate([X, U], -1)`` first);
    MDGPS's C-step constrains the controllers to this linearisation (Montgomery & Levine
    2016; the GPS codebase's ``PolicyPriorGMM``).
    """
    dX = X.shape[2]
    points = np.concatenate([X, U], axis=2).transpose(1, 0, 2)              # [T, N, dX + dU]
    niw = prior.evaluate(points) if prior is not None else None
    K, k, Sigma = fit_linear_gaussian(points[..., :dX], points[..., dX:], niw, ridge)
    return LinearGaussianController(K, k, Sigma)
