"""LQR under a KL trust region to a reference linear-Gaussian controller.

Levine & Abbeel 2014 (Sec. 3.2): minimise the expected cost of the trajectory
distribution of a new linear-Gaussian controller ``p`` subject to
``KL(p(tau) || pbar(tau)) <= epsilon``, where ``pbar`` is the previous controller (or,
in MDGPS, the policy's local linearisation; Montgomery & Levine 2016). With Lagrange
multiplier ``eta`` the problem is maximum-entropy LQR with the modified cost

    l~(x, u) = l(x, u) - eta log pbar(u | x),

solved by a backward pass whose gains are ``K = -Quu^-1 Qux``, ``k = -Quu^-1 qu`` and whose
covariance is ``Sigma = eta Quu^-1`` (Levine et al. 2016, Appendix A.1, multiplied
through by ``eta`` so that ``eta -> 0`` is plain LQR). ``eta`` is found by a bracketed
search in log space until the KL is within 10% of its target.

Constants and where they come from (the 2017 GPS codebase, ``traj_opt_lqr_python.py``;
the first three are listed in ``shared/anchors.md``, the others are its code defaults):

* ``ETA_MIN = 1e-8``, ``ETA_MAX = 1e16``: the bracket of the search;
* ``KL_TOLERANCE = 0.1``: accept ``|KL - target| < 0.1 target``;
* ``ETA_MAX_STEP = 10``: the next ``eta`` is the geometric mean of the bracket (bisection
  in log space) but moves at most a factor of 10 from the end just set; until the
  other end has moved off its bound it moves by exactly that decade;
* ``ETA_SEARCH_ITERATIONS = 50``;
* ``PD_DELTA0 = 1e-4``: when ``Quu`` is not positive definite ``eta`` grows by ``delta``,
  ``delta`` doubling each time; past ``ETA_MAX`` this fails with :class:`LQRError`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imitation.gps.controller import LinearGaussianController
from imitation.gps.dynamics import LinearGaussianDynamics

ETA_MIN = 1e-8
ETA_MAX = 1e16
KL_TOLERANCE = 0.1
ETA_MAX_STEP = 10.0
ETA_SEARCH_ITERATIONS = 50
PD_DELTA0 = 1e-4


class LQRError(RuntimeError):
    """No positive-definite ``Quu`` even with ``eta`` at its bound."""


class NotPositiveDefinite(np.linalg.LinAlgError):
    """``Quu`` at step ``t`` is not positive definite."""

    def __init__(self, t: int):
        super().__init__(f"Quu not positive definite at t={t}")
        self.t = t


@dataclass
class QuadraticCost:
    """``l_t(xu) ~ 0.5 xu^T C_t xu + c_t^T xu + cc_t`` for ``t = 0..T`` (``t = T`` is the final
    cost; its ``u`` entries are zero). Coordinates are whatever the dynamics use
    (absolute for GPS, deviations from a nominal trajectory for iLQR).

    C: [T + 1, dX + dU, dX + dU];  c: [T + 1, dX + dU];  cc: [T + 1]
    """

    C: np.ndarray
    c: np.ndarray
    cc: np.ndarray


def cost_from_samples(task, X: np.ndarray, U: np.ndarray) -> QuadraticCost:
    """The task cost expanded at every sample ``X: [N, T+1, dX]``, ``U: [N, T, dU]``, moved to
    absolute coordinates and averaged over samples (as the GPS codebase's ``_eval_cost``)."""
    run = task.cost_expansion(X[:, :-1], U)                                 # [N, T, ...]
    fin = task.final_cost_expansion(X[:, -1])                               # [N, ...]
    xu = np.concatenate([X, np.concatenate([U, np.zeros_like(U[:, :1])], axis=1)], axis=2)
    l = np.concatenate([run.l, fin.l[:, None]], axis=1)                    # [N, T+1]
    g = np.concatenate([run.g, fin.g[:, None]], axis=1)
    H = np.concatenate([run.H, fin.H[:, None]], axis=1)
    Hxu = np.einsum("ntij,ntj->nti", H, xu)
    c = g - Hxu
    cc = l - np.einsum("nti,nti->nt", g, xu) + 0.5 * np.einsum("nti,nti->nt", xu, Hxu)
    return QuadraticCost(C=H.mean(axis=0), c=c.mean(axis=0), cc=cc.mean(axis=0))


def reference_quadratic(reference: LinearGaussianController) -> tuple[np.ndarray, np.ndarray]:
    """``-log pbar(u | x)`` up to a constant as a quadratic in ``xu = [x; u]``, per step.

    With ``M_t = [-K_t, I]``: ``0.5 (M xu - k)^T P (M xu - k)``, ``P = Sigma^-1``. Returns the
    Hessian ``M^T P M: [T, dXU, dXU]`` and gradient ``-M^T P k: [T, dXU]``.
    """
    T, dU, dX = reference.K.shape
    M = np.concatenate([-reference.K, np.broadcast_to(np.eye(dU), (T, dU, dU))], axis=2)
    P = reference.precision()
    PM = P @ M
    return M.transpose(0, 2, 1) @ PM, -np.einsum("tui,tu->ti", PM, reference.k)


@dataclass
class LQRSolution:
    """A backward pass's result.

    K: [T, dU, dX];  k: [T, dU];  Quu: [T, dU, dU] (of the modified cost, regulariser
    included);  expected_change: ``(d1, d2)``, the model's predicted cost change of the
    step ``alpha k`` is ``alpha d1 + alpha^2 d2``.
    """

    K: np.ndarray
    k: np.ndarray
    Quu: np.ndarray
    expected_change: tuple[float, float]


def lqr_backward(dynamics: LinearGaussianDynamics, cost: QuadraticCost, eta: float = 0.0,
                 reference: LinearGaussianController | None = None, mu: float = 0.0) -> LQRSolution:
    """The (maximum-entropy) LQR backward pass for the cost ``l + eta (-log pbar)``.

    ``mu`` is a Levenberg-Marquardt regulariser added to ``Quu`` (iLQR's; Tassa et al.
    2012), with the value function updated for the gains actually used. Raises
    :class:`NotPositiveDefinite` when ``Quu`` is not positive definite.
    """
    T, dX = dynamics.Fm.shape[0], dynamics.dX
    C, c = cost.C.copy(), cost.c.copy()
    if reference is not None and eta > 0:
        C_ref, c_ref = reference_quadratic(reference)
        C[:T] += eta * C_ref
        c[:T] += eta * c_ref
    dU = C.shape[1] - dX
    K = np.empty((T, dU, dX))
    k = np.empty((T, dU))
    Quu_all = np.empty((T, dU, dU))
    V, v = C[T, :dX, :dX], c[T, :dX]
    d1 = d2 = 0.0
    for t in range(T - 1, -1, -1):
        F, f = dynamics.Fm[t], dynamics.fv[t]
        Q = C[t] + F.T @ V @ F
        q = c[t] + F.T @ (V @ f + v)
        Quu = 0.5 * (Q[dX:, dX:] + Q[dX:, dX:].T) + mu * np.eye(dU)
        Qux, qu = Q[dX:, :dX], q[dX:]
        try:
            L = np.linalg.cholesky(Quu)
        except np.linalg.LinAlgError:
            raise NotPositiveDefinite(t) from None
        # Quu^-1 [Qux, qu] through the Cholesky factor
        sol = np.linalg.solve(L.T, np.linalg.solve(L, np.concatenate([Qux, qu[:, None]], axis=1)))
        K[t], k[t] = -sol[:, :dX], -sol[:, dX]
        Quu_all[t] = Quu
        Kt, kt = K[t], k[t]
        V = Q[:dX, :dX] + Kt.T @ Quu @ Kt + Kt.T @ Qux + Qux.T @ Kt
        V = 0.5 * (V + V.T)
        v = q[:dX] + Kt.T @ Quu @ kt + Kt.T @ qu + Qux.T @ kt
        d1 += float(kt @ qu)
        d2 += float(0.5 * kt @ Quu @ kt)
    return LQRSolution(K=K, k=k, Quu=Quu_all, expected_change=(d1, d2))


def forward(controller: LinearGaussianController,
            dynamics: LinearGaussianDynamics) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian trajectory distribution of a controller under linear-Gaussian dynamics.

    Returns mu: [T + 1, dX + dU], sigma: [T + 1, dX + dU, dX + dU] of ``[x_t; u_t]``
    (at ``t = T`` only the state entries are set, the action entries are zero).
    """
    T, dU, dX = controller.K.shape
    mu = np.zeros((T + 1, dX + dU))
    sigma = np.zeros((T + 1, dX + dU, dX + dU))
    mu_x, S_x = dynamics.x0_mu, dynamics.x0_Sigma
    for t in range(T):
        K = controller.K[t]
        mu[t, :dX], mu[t, dX:] = mu_x, K @ mu_x + controller.k[t]
        sigma[t, :dX, :dX] = S_x
        sigma[t, :dX, dX:] = S_x @ K.T
        sigma[t, dX:, :dX] = K @ S_x
        sigma[t, dX:, dX:] = K @ S_x @ K.T + controller.Sigma[t]
        F = dynamics.Fm[t]
        mu_x = F @ mu[t] + dynamics.fv[t]
        S_x = F @ sigma[t] @ F.T + dynamics.dyn_covar[t]
        S_x = 0.5 * (S_x + S_x.T)
    mu[T, :dX], sigma[T, :dX, :dX] = mu_x, S_x
    return mu, sigma


def controller_kl(mu: np.ndarray, sigma: np.ndarray, new: LinearGaussianController,
                  reference: LinearGaussianController) -> np.ndarray:
    """``E_{x_t ~ p}[KL(new(u|x_t) || reference(u|x_t))]`` per step, ``[T]``.

    ``mu``, ``sigma`` are the trajectory distribution of ``new`` (from :func:`forward`);
    since both trajectory distributions share the dynamics, the sum over steps is
    ``KL(p(tau) || pbar(tau))``.
    """
    T, dU, dX = new.K.shape
    P = reference.precision()
    dK, dk = new.K - reference.K, new.k - reference.k
    mean_diff = np.einsum("tuj,tj->tu", dK, mu[:T, :dX]) + dk                # [T, dU]
    S_x = sigma[:T, :dX, :dX]
    logdet_ref = np.linalg.slogdet(reference.Sigma)[1]
    logdet_new = np.linalg.slogdet(new.Sigma)[1]
    kl = 0.5 * (np.einsum("tij,tji->t", P, new.Sigma)
                + np.einsum("tu,tuv,tv->t", mean_diff, P, mean_diff)
                + np.einsum("tuv,tvi,tuj,tij->t", P, dK, dK, S_x)
                - dU + logdet_ref - logdet_new)
    return np.maximum(kl, 0.0)


def expected_cost(mu: np.ndarray, sigma: np.ndarray, cost: QuadraticCost) -> np.ndarray:
    """``E[l_t]`` per step under a Gaussian trajectory distribution, ``[T + 1]``."""
    return (0.5 * np.einsum("tij,tji->t", cost.C, sigma)
            + 0.5 * np.einsum("ti,tij,tj->t", mu, cost.C, mu)
            + np.einsum("ti,ti->t", cost.c, mu) + cost.cc)


def controller_from_solution(solution: LQRSolution, eta: float) -> LinearGaussianController:
    """``u ~ N(K x + k, eta Quu^-1)``, the maximum-entropy controller of the modified cost."""
    Sigma = eta * np.linalg.inv(solution.Quu)
    return LinearGaussianController(solution.K, solution.k, 0.5 * (Sigma + Sigma.transpose(0, 2, 1)))


def backward_with_eta_repair(dynamics: LinearGaussianDynamics, cost: QuadraticCost,
                             reference: LinearGaussianController, eta: float, nu: float = 0.0
                             ) -> tuple[LinearGaussianController, float]:
    """KL-regularised backward pass; while ``Quu`` is not positive definite, raise ``eta``
    by ``delta`` (``PD_DELTA0``, doubling). Returns the controller (covariance
    ``(eta + nu) Quu^-1``, see :func:`kl_constrained_lqr`) and the ``eta`` used."""
    delta = PD_DELTA0
    while True:
        try:
            return controller_from_solution(lqr_backward(dynamics, cost, eta, reference), eta + nu), eta
        except NotPositiveDefinite as exc:
            if eta >= ETA_MAX:
                raise LQRError(f"Quu not positive definite (t={exc.t}) even with eta={eta:.3g}; "
                               "the local cost or dynamics are degenerate") from None
            eta = min(eta + delta, ETA_MAX)
            delta *= 2.0


@dataclass
class KLStep:
    """The result of :func:`kl_constrained_lqr`.

    controller: the new controller;  eta: its multiplier;  kl: its KL to the reference
    (summed over steps);  kl_target: epsilon;  iterations: backward passes of the search;
    converged: whether ``|kl - target| < KL_TOLERANCE target``, or the constraint was
    inactive (kl below target at the smallest admissible eta).
    """

    controller: LinearGaussianController
    eta: float
    kl: float
    kl_target: float
    iterations: int
    converged: bool


def kl_constrained_lqr(dynamics: LinearGaussianDynamics, cost: QuadraticCost,
                       reference: LinearGaussianController, kl_target: float,
                       eta: float = 1.0, nu: float = 0.0) -> KLStep:
    """The new controller minimising expected cost with ``KL(p || pbar) <= kl_target``.

    ``nu > 0`` adds ``-nu H(p)`` to the objective, the entropy half of a penalty
    ``nu KL(p || pi)`` whose cross-entropy half ``nu E_p[-log pi]`` the caller has put in
    ``cost`` (BADMM's C-step, :mod:`imitation.gps.badmm`): the controller's covariance is
    then ``(eta + nu) Quu^-1``.

    Bracketed search on ``eta`` in log space between ``ETA_MIN`` and ``ETA_MAX``, started at
    ``eta`` (the previous iteration's, as a warm start): KL too large means ``eta`` too
    small (raise the lower end), KL too small means ``eta`` too large.
    """
    lo, hi = ETA_MIN, ETA_MAX
    eta = float(np.clip(eta, lo, hi))
    for it in range(1, ETA_SEARCH_ITERATIONS + 1):
        requested = eta
        controller, eta = backward_with_eta_repair(dynamics, cost, reference, eta, nu)
        mu, sigma = forward(controller, dynamics)
        kl = float(controller_kl(mu, sigma, controller, reference).sum())
        if abs(kl - kl_target) < KL_TOLERANCE * kl_target:
            return KLStep(controller, eta, kl, kl_target, it, True)
        if kl < kl_target:                 # eta too large: the step could be longer
            if eta > requested or eta <= lo:
                # eta at its lower end (or the least that keeps Quu positive definite):
                # the constraint is inactive
                return KLStep(controller, eta, kl, kl_target, it, True)
            hi = eta
            eta = max(np.sqrt(lo * hi), hi / ETA_MAX_STEP) if lo > ETA_MIN \
                else max(hi / ETA_MAX_STEP, ETA_MIN)
        else:                              # eta too small: the step is too long
            if eta >= ETA_MAX:
                return KLStep(controller, eta, kl, kl_target, it, False)
            lo = eta
            eta = min(np.sqrt(lo * hi), lo * ETA_MAX_STEP) if hi < ETA_MAX \
                else min(lo * ETA_MAX_STEP, ETA_MAX)
    return KLStep(controller, eta, kl, kl_target, ETA_SEARCH_ITERATIONS, False)


def lqr_initial_controller(task, x0: np.ndarray, noise_std: float | np.ndarray
                           ) -> LinearGaussianController:
    """A rough-model LQR initialisation: the task's dynamics linearised once at
    ``(x0, u = 0)`` and its cost expanded at the goal-free point ``x0`` with the state
    Hessian made positive semi-definite (eigenvalues clipped at 0), LQR over the horizon,
    exploration noise ``diag(noise_std^2)``."""
    T, dX, dU = task.T, task.dX, task.dU
    A, B = task.jacobians(x0[None], np.zeros((1, dU)))
    f0 = task.dynamics(x0[None], np.zeros((1, dU)))[0] - A[0] @ x0
    exp = task.cost_expansion(x0[None], np.zeros((1, dU)))
    fin = task.final_cost_expansion(x0[None])
    xu0 = np.concatenate([x0, np.zeros(dU)])

    def psd_absolute(e) -> tuple[np.ndarray, np.ndarray]:
        w, V = np.linalg.eigh(e.H[0])
        H = (V * np.maximum(w, 0.0)) @ V.T
        return H, e.g[0] - H @ xu0

    (Hr, cr), (Hf, cf) = psd_absolute(exp), psd_absolute(fin)
    cost = QuadraticCost(C=np.concatenate([np.repeat(Hr[None], T, 0), Hf[None]]),
                         c=np.concatenate([np.repeat(cr[None], T, 0), cf[None]]),
                         cc=np.zeros(T + 1))
    dyn = LinearGaussianDynamics(Fm=np.repeat(np.concatenate([A[0], B[0]], 1)[None], T, 0),
                                 fv=np.repeat(f0[None], T, 0), dyn_covar=np.zeros((T, dX, dX)),
                                 x0_mu=x0, x0_Sigma=np.zeros((dX, dX)))
    sol = lqr_backward(dyn, cost)
    var = np.broadcast_to(np.asarray(noise_std, dtype=np.float64) ** 2, (dU,))
    return LinearGaussianController(sol.K, sol.k, np.broadcast_to(np.diag(var), (T, dU, dU)).copy())
