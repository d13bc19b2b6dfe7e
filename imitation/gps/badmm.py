"""Guided Policy Search by Bregman ADMM (BADMM).

Levine, Finn, Darrell & Abbeel 2016, "End-to-End Training of Deep Visuomotor Policies"
(JMLR, Sec. 4.1 and Appendix A.4). The local controllers ``p_i`` and the policy
``pi_theta`` are tied by the constraint that their mean actions agree along ``p_i``'s states,
``E_{p_i}[u_t] = E_{p_i(x_t)}[mu_theta(o(x_t))]``, enforced by dual variables ``lambda_t``
(``[dU]`` per condition and step) and a KL penalty of weight ``nu``. Each iteration:

1. **Sample** ``N`` trajectories from every local controller (BADMM is off-policy), fit
   the local dynamics (GMM prior), expand the cost and linearise the policy at the
   samples (``pibar``), exactly as MDGPS does (:mod:`imitation.gps.mdgps`).
2. **C-step**: ``min_p E_p[l(x, u) + lambda_t^T u] + nu KL(p || pibar)`` subject to the trust
   region ``KL(p || p_prev) <= base_kl_step T``: maximum-entropy LQR with the cost
   augmented by the dual's linear term and ``nu (-log pibar)``, entropy weight
   ``eta + nu`` (:func:`imitation.gps.lqr.kl_constrained_lqr` with ``nu``).
3. **S-step**: ``min_theta sum_t E_{p(x_t)}[-lambda_t^T mu_theta] + nu KL(pi || p)``, which is
   the precision-weighted regression of :mod:`imitation.gps.sstep` onto the shifted
   targets ``K_t x + k_t + Sigma_t lambda_t / nu`` (complete the square in ``mu_theta``).
4. **Dual step**: ``lambda_t <- lambda_t + nu Sigma_t^-1 (E_p[u_t] - E[mu_theta])``, the
   expectations over the condition's sampled states: gradient ascent on the Lagrangian
   in the constraint's own metric, with the penalty weight as the step (ADMM's choice).

The C-step uses only fitted models: no simulator steps for planning.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from imitation.gps.controller import LinearGaussianController
from imitation.gps.dynamics import fit_dynamics, transition_points
from imitation.gps.gmm import GMMPrior
from imitation.gps.lqr import LQRError, QuadraticCost, cost_from_samples, kl_constrained_lqr, reference_quadratic
from imitation.gps.mdgps import (GPSIteration, GPSResult, LocalGPSConfig, linearise_from_samples,
                                 policy_points, sstep_targets)
from imitation.gps.policy import GaussianPolicy, evaluate_policy
from imitation.gps.sampling import sample_controller
from imitation.gps.sstep import SStepStats, precision_weighted_regression
from imitation.gps.trajopt import initial_controller


@dataclass
class BADMMConfig(LocalGPSConfig):
    """The shared settings (:class:`imitation.gps.mdgps.LocalGPSConfig`; the KL step is
    fixed: the trust region is to the previous controller), and nu: weight of the penalty
    ``KL(p || pi)`` and step of the dual update (cost units)."""

    nu: float = 0.1

    def __post_init__(self):
        super().__post_init__()
        if not self.nu > 0:
            raise ValueError(f"nu must be > 0, got {self.nu}")


def augmented_cost(cost: QuadraticCost, lam: np.ndarray, nu: float,
                   pibar: LinearGaussianController) -> QuadraticCost:
    """The C-step's cost ``l + lambda_t^T u + nu (-log pibar(u | x))`` (up to constants);
    lam: [T, dU]."""
    T, dU = lam.shape
    C_pi, c_pi = reference_quadratic(pibar)
    C, c = cost.C.copy(), cost.c.copy()
    C[:T] += nu * C_pi
    c[:T] += nu * c_pi
    c[:T, -dU:] += lam
    return QuadraticCost(C=C, c=c, cc=cost.cc)


def dual_step(lam: np.ndarray, controller: LinearGaussianController, X: np.ndarray,
              U_policy: np.ndarray, nu: float) -> np.ndarray:
    """``lambda_t + nu Sigma_t^-1 (mean_n (K_t x_nt + k_t) - mean_n mu_theta(x_nt))``.

    lam: [T, dU];  X: [N, T, dX] the condition's sampled states;  U_policy: [N, T, dU]
    the policy's mean actions there."""
    U_p = np.einsum("tuj,ntj->ntu", controller.K, X) + controller.k
    gap = (U_p - U_policy).mean(axis=0)
    return lam + nu * np.einsum("tuv,tv->tu", controller.precision(), gap)


def _sstep(task, policy, controllers, lams, samples, config, rng) -> SStepStats:
    data = []
    for ctrl, lam, s in zip(controllers, lams, samples):
        obs, U, W = sstep_targets(task, s.X[:, :-1], ctrl)
        shift = np.einsum("tuv,tv->tu", ctrl.Sigma, lam) / config.nu                   # [T, dU]
        data.append((obs, U + np.tile(shift, (s.N, 1)), W))
    obs, U, W = (np.concatenate(parts) for parts in zip(*data))
    return precision_weighted_regression(policy, obs, U, W, config.sstep, rng)


def run_badmm(task, config: BADMMConfig, rng: np.random.Generator, seed: int = 0,
              on_iteration: Callable[[GPSIteration, GaussianPolicy], None] | None = None) -> GPSResult:
    """Run BADMM GPS; arguments and result as :func:`imitation.gps.mdgps.run_mdgps`."""
    n_cond = len(task.train_conditions)
    if config.conditions > n_cond:
        raise ValueError(f"{task.name} has {n_cond} training conditions, asked for {config.conditions}")
    noise = task.exploration_std if config.noise_std is None else config.noise_std
    policy = GaussianPolicy(task.dO, task.dU, config.policy, seed=seed)
    C, T = config.conditions, task.T
    x0s = [task.initial_state(c) for c in range(C)]
    controllers = [initial_controller(task, x0, config.init, noise) for x0 in x0s]
    dyn_priors = [GMMPrior(config.dynamics_prior, rng) if config.dynamics_prior is not None else None
                  for _ in range(C)]
    pol_priors = [GMMPrior(config.policy_prior, rng) if config.policy_prior is not None else None
                  for _ in range(C)]
    lams = [np.zeros((T, task.dU)) for _ in range(C)]
    etas = np.ones(C)
    env_steps = catastrophes = failures = 0
    history = [GPSIteration(0, evaluate_policy(task, policy, C), 0, 0)]
    if on_iteration is not None:
        on_iteration(history[0], policy)
    for i in range(1, config.iterations + 1):
        samples = [sample_controller(task, ctrl, x0, config.samples, rng, config.smoothing)
                   for ctrl, x0 in zip(controllers, x0s)]
        env_steps += sum(s.U.shape[0] * s.U.shape[1] for s in samples)
        steps = np.arange(T + 1)
        catastrophes += int(sum(np.any(task.catastrophe(s.X, steps), axis=1).sum() for s in samples))
        if i == 1:      # catch up with the initial controllers, as MDGPS does
            _sstep(task, policy, controllers, lams, samples, config, rng)
        eta, kl, kl_target = (np.full(C, np.nan) for _ in range(3))
        for c, s in enumerate(samples):
            if dyn_priors[c] is not None:
                dyn_priors[c].update(transition_points(s.X, s.U))
            if pol_priors[c] is not None:
                pol_priors[c].update(policy_points(task, policy, s.X[:, :-1]))
            dynamics = fit_dynamics(s.X, s.U, dyn_priors[c])
            pibar = linearise_from_samples(task, policy, s.X[:, :-1], pol_priors[c])
            cost = augmented_cost(cost_from_samples(task, s.X, s.U), lams[c], config.nu, pibar)
            kl_target[c] = config.base_kl_step * T
            try:
                step = kl_constrained_lqr(dynamics, cost, controllers[c], kl_target[c], etas[c], config.nu)
                controllers[c], etas[c] = step.controller, step.eta
                eta[c], kl[c] = step.eta, step.kl
            except LQRError:
                kl[c] = 0.0
                failures += 1
        stats = _sstep(task, policy, controllers, lams, samples, config, rng)
        for c, s in enumerate(samples):
            U_policy = policy_points(task, policy, s.X[:, :-1])[..., task.dX:]
            lams[c] = dual_step(lams[c], controllers[c], s.X[:, :-1], U_policy, config.nu)
        entry = GPSIteration(i, evaluate_policy(task, policy, C), env_steps, catastrophes,
                             sample_cost=float(np.mean([s.cost.mean() for s in samples])),
                             eta=eta, kl=kl, kl_target=kl_target, step_mult=np.ones(C), sstep=stats,
                             c_step_failures=failures)
        history.append(entry)
        if on_iteration is not None:
            on_iteration(entry, policy)
    return GPSResult(history, policy, controllers)
