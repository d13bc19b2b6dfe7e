"""Iterative LQR on the true simulator.

Li & Todorov 2004 (iLQR/iLQG), with the Levenberg-Marquardt regularisation and
backtracking line search of Tassa, Erez & Todorov 2012: linearise the simulator's
dynamics (``task.jacobians``) and expand the cost along a nominal trajectory, solve the
LQR problem for the deviation (:func:`imitation.gps.lqr.lqr_backward`), and roll the new
closed-loop controller out through the simulator (state set, then step), accepting the
step only when the true cost falls. The deterministic (iLQR) form: with additive noise
the iLQG gains are the same.

An optional quadratic term ``weight * 0.5 (u - mu(x))^T Sigma^-1 (u - mu(x))`` keeps the
plan near a Gaussian policy ``N(mu(x), Sigma)``; it is the mean-relevant part of
``weight * KL(pi(u|x) || policy(u|x))`` that makes the MPC PLATO's acting teacher (Kahn et
al. 2017). The policy enters through its local linearisation, a
:class:`~imitation.gps.controller.LinearGaussianController` along the nominal states.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from imitation.gps.controller import LinearGaussianController
from imitation.gps.dynamics import LinearGaussianDynamics
from imitation.gps.lqr import NotPositiveDefinite, QuadraticCost, lqr_backward, reference_quadratic

# A policy's linearisation along nominal states X: [H, dX] -> K, k, Sigma over H steps.
PolicyLinearisation = Callable[[np.ndarray], LinearGaussianController]

# Line search step sizes (Tassa et al. 2012 use 10^linspace(0, -3, 11); halving is as common).
LINE_SEARCH = tuple(0.5 ** i for i in range(10))


@dataclass
class ILQRConfig:
    """iterations: maximum backward/forward passes;  tolerance: stop when the relative
    cost decrease of an accepted step is below it;  mu_min, mu_max, mu_factor: the
    Levenberg-Marquardt regulariser on ``Quu`` (0 after a success below ``mu_min``,
    multiplied by ``mu_factor`` after a failure, giving up above ``mu_max``)."""

    iterations: int = 100
    tolerance: float = 1e-6
    mu_min: float = 1e-6
    mu_max: float = 1e10
    mu_factor: float = 10.0


@dataclass
class ILQRResult:
    """X: [H + 1, dX] and U: [H, dU], the final plan;  K: [H, dU, dX] and Quu: [H, dU, dU]
    from the last backward pass (``Quu`` regulariser included, positive definite);
    costs: the plan's cost after each accepted iteration, ``costs[0]`` the initial plan's;
    converged: stopped by the tolerance rather than the iteration or regulariser limit."""

    X: np.ndarray
    U: np.ndarray
    K: np.ndarray
    Quu: np.ndarray
    costs: list[float]
    converged: bool


class _Objective:
    """The task's cost of a plan, plus the optional policy term with a fixed linearisation."""

    def __init__(self, task, policy_term: tuple[LinearGaussianController, float] | None):
        self.task = task
        self.policy_term = policy_term

    def __call__(self, X: np.ndarray, U: np.ndarray) -> float:
        J = float(self.task.trajectory_cost(X, U))
        if self.policy_term is not None:
            lin, weight = self.policy_term
            r = U - np.einsum("tij,tj->ti", lin.K, X[:-1]) - lin.k
            J += weight * 0.5 * float(np.einsum("ti,tij,tj->", r, lin.precision(), r))
        return J

    def expansion(self, X: np.ndarray, U: np.ndarray) -> QuadraticCost:
        """Second-order expansion in the deviations ``(dx, du)`` from ``(X, U)``."""
        run = self.task.cost_expansion(X[:-1], U)
        fin = self.task.final_cost_expansion(X[-1])
        C = np.concatenate([run.H, fin.H[None]])
        c = np.concatenate([run.g, fin.g[None]])
        if self.policy_term is not None:
            lin, weight = self.policy_term
            C_ref, c_ref = reference_quadratic(lin)
            xu = np.concatenate([X[:-1], U], axis=1)
            C[:-1] += weight * C_ref
            c[:-1] += weight * (c_ref + np.einsum("tij,tj->ti", C_ref, xu))
        return QuadraticCost(C=C, c=c, cc=np.zeros(len(C)))


def _closed_loop(task, x0, X, U, K, k, alpha) -> tuple[np.ndarray, np.ndarray]:
    """Roll ``u_t = U_t + alpha k_t + K_t (x_t - X_t)`` out through the simulator."""
    H = U.shape[0]
    Xn, Un = np.empty_like(X), np.empty_like(U)
    Xn[0] = x0
    task.set_state(x0)
    for t in range(H):
        Un[t] = U[t] + alpha * k[t] + K[t] @ (Xn[t] - X[t])
        task.step(Un[t])
        Xn[t + 1] = task.get_state()
    return Xn, Un


def ilqr(task, x0: np.ndarray, U: np.ndarray, config: ILQRConfig | None = None,
         policy: PolicyLinearisation | None = None, policy_weight: float = 0.0) -> ILQRResult:
    """Optimise the actions ``U: [H, dU]`` from ``x0: [dX]`` (the final cost applies at ``H``).

    ``policy``/``policy_weight``: the optional pull towards a Gaussian policy, re-linearised
    at every accepted nominal trajectory. Leaves the simulator in an arbitrary state.
    """
    config = config if config is not None else ILQRConfig()
    H, dX, dU = U.shape[0], task.dX, task.dU
    U = np.array(U, dtype=np.float64)
    X = task.rollout(x0, U)

    def objective_at(X):
        return _Objective(task, None if policy is None or policy_weight <= 0
                          else (policy(X[:-1]), policy_weight))

    objective = objective_at(X)
    J = objective(X, U)
    costs, converged, mu = [J], False, 0.0
    K, Quu = np.zeros((H, dU, dX)), np.broadcast_to(np.eye(dU), (H, dU, dU)).copy()
    expand = True
    for _ in range(config.iterations):
        if expand:
            A, B = task.jacobians(X[:-1], U)
            dynamics = LinearGaussianDynamics(Fm=np.concatenate([A, B], axis=2), fv=np.zeros((H, dX)),
                                              dyn_covar=np.zeros((H, dX, dX)), x0_mu=x0,
                                              x0_Sigma=np.zeros((dX, dX)))
            cost = objective.expansion(X, U)
            expand = False
        try:
            sol = lqr_backward(dynamics, cost, mu=mu)
        except NotPositiveDefinite:
            mu = max(mu * config.mu_factor, config.mu_min)
            if mu > config.mu_max:
                break
            continue
        K, Quu = sol.K, sol.Quu
        d1, d2 = sol.expected_change
        accepted = False
        for alpha in LINE_SEARCH:
            Xn, Un = _closed_loop(task, x0, X, U, sol.K, sol.k, alpha)
            Jn = objective(Xn, Un)
            if Jn < J:
                accepted = True
                break
        if not accepted:
            if -(d1 + d2) < config.tolerance * abs(J):    # nothing left to gain: at a minimum
                converged = True
                break
            mu = max(mu * config.mu_factor, config.mu_min)
            if mu > config.mu_max:
                break
            continue
        improvement = (J - Jn) / max(abs(J), 1e-12)
        X, U = Xn, Un
        objective = objective_at(X)
        J = objective(X, U)
        costs.append(J)
        expand = True
        mu = 0.0 if mu / config.mu_factor < config.mu_min else mu / config.mu_factor
        if improvement < config.tolerance:
            converged = True
            break
    return ILQRResult(X=X, U=U, K=K, Quu=Quu, costs=costs, converged=converged)
