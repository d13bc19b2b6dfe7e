"""Guided Policy Search's "trajectory optimisation only" algorithm.

Levine & Abbeel 2014 (Sec. 3); Levine et al. 2016 (Sec. 5, Appendix A): each iteration
runs every condition's linear-Gaussian controller ``N`` times, fits time-varying
linear-Gaussian dynamics to the samples (with a GMM prior over the last trajectories),
expands the cost around them, adapts the condition's KL step from how well the
previous local model predicted the improvement, and replaces the controller by the
KL-constrained LQR solution against it. No policy is involved (that is MDGPS).

The KL budget of a condition is ``base_kl_step * step_mult * T``, with ``step_mult``
adapted by :mod:`imitation.gps.step_size` (starting at 1) and ``eta`` warm-started
from the previous iteration (starting at 1, the GPS codebase's initial ``eta``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from imitation.gps.controller import (NOISE_SMOOTHING_STEPS, LinearGaussianController,
                                      pd_controller, zero_mean_controller)
from imitation.gps.dynamics import LinearGaussianDynamics, fit_dynamics, transition_points
from imitation.gps.gmm import GMMPrior, GMMPriorConfig
from imitation.gps.lqr import (QuadraticCost, cost_from_samples, expected_cost, forward,
                               kl_constrained_lqr, lqr_initial_controller)
from imitation.gps.sampling import Samples, sample_controller
from imitation.gps.step_size import adapted_step_mult

INITIALISATIONS = ("zero", "pd", "lqr")


@dataclass
class TrajOptConfig:
    """conditions: the first C training conditions;  samples: N per condition per iteration;
    iterations: controller updates (samples are drawn ``iterations + 1`` times, iteration
    0 measuring the initial controller);  base_kl_step: KL budget per time step before
    the multiplier (the GPS codebase's default ``kl_step = 0.2``);  init: the initial
    controller, ``zero`` (zero-mean, noise ``noise_std``), ``pd`` or ``lqr`` (rough model);
    noise_std: initial exploration noise std, ``None`` for the task's ``exploration_std``;
    smoothing: exploration noise smoothing in steps;  prior: the dynamics GMM prior, or
    ``None`` to fit each step by regression alone."""

    conditions: int = 1
    samples: int = 5
    iterations: int = 10
    base_kl_step: float = 0.2
    init: str = "zero"
    noise_std: float | None = None
    smoothing: float = NOISE_SMOOTHING_STEPS
    prior: GMMPriorConfig | None = field(default_factory=GMMPriorConfig)


@dataclass
class IterationStats:
    """One iteration's samples and update, per condition ``[C]``.

    cost: mean sample cost;  final_distance: mean distance at the last step;
    task_return: mean total of the task's own reward;  eta, kl, kl_target, step_mult:
    of the update made after sampling (NaN at the last).
    """

    cost: np.ndarray
    final_distance: np.ndarray
    task_return: np.ndarray
    eta: np.ndarray
    kl: np.ndarray
    kl_target: np.ndarray
    step_mult: np.ndarray


@dataclass
class TrajOptResult:
    """iterations: ``iterations + 1`` entries;  controllers: the final ones, per condition;
    samples: environment steps used;  success: per condition, at the last iteration."""

    iterations: list[IterationStats]
    controllers: list[LinearGaussianController]
    samples: int
    success: list[bool]

    @property
    def cost(self) -> list[float]:
        """Mean sample cost per iteration (over conditions and samples)."""
        return [float(it.cost.mean()) for it in self.iterations]

    @property
    def final_distance(self) -> list[list[float]]:
        return [it.final_distance.tolist() for it in self.iterations]


def initial_controller(task, x0: np.ndarray, init: str, noise_std: float) -> LinearGaussianController:
    """The iteration-0 controller for one condition."""
    if init == "zero":
        return zero_mean_controller(task.T, task.dX, task.dU, noise_std)
    if init == "pd":
        return pd_controller(task.T, task.pd_gains, task.goal_state(x0), noise_std)
    if init == "lqr":
        return lqr_initial_controller(task, x0, noise_std)
    raise ValueError(f"init must be one of {INITIALISATIONS}, got {init!r}")


@dataclass
class _Condition:
    """What the algorithm carries from one iteration to the next for one condition."""

    x0: np.ndarray
    controller: LinearGaussianController
    prior: GMMPrior | None
    eta: float = 1.0
    step_mult: float = 1.0
    previous_controller: LinearGaussianController | None = None
    previous_model: tuple[LinearGaussianDynamics, QuadraticCost] | None = None


def _laplace_cost(controller: LinearGaussianController, dynamics: LinearGaussianDynamics,
                  cost: QuadraticCost) -> float:
    """Expected cost of ``controller`` under a local model (the Laplace estimate)."""
    mu, sigma = forward(controller, dynamics)
    return float(expected_cost(mu, sigma, cost).sum())


def _update(task, cond: _Condition, samples: Samples, config: TrajOptConfig) -> tuple[float, float, float]:
    """Fit the local model, adapt the step, take the KL-constrained LQR step. Returns
    ``(eta, kl, kl_target)``."""
    if cond.prior is not None:
        cond.prior.update(transition_points(samples.X, samples.U))
    dynamics = fit_dynamics(samples.X, samples.U, cond.prior)
    cost = cost_from_samples(task, samples.X, samples.U)
    if cond.previous_model is not None:
        old_dyn, old_cost = cond.previous_model
        previous = _laplace_cost(cond.previous_controller, old_dyn, old_cost)
        predicted = previous - _laplace_cost(cond.controller, old_dyn, old_cost)
        actual = previous - _laplace_cost(cond.controller, dynamics, cost)
        cond.step_mult = adapted_step_mult(cond.step_mult, predicted, actual)
    kl_target = config.base_kl_step * cond.step_mult * task.T
    step = kl_constrained_lqr(dynamics, cost, cond.controller, kl_target, cond.eta)
    cond.previous_controller, cond.previous_model = cond.controller, (dynamics, cost)
    cond.controller, cond.eta = step.controller, step.eta
    return step.eta, step.kl, kl_target


def run_trajopt(task, config: TrajOptConfig, rng: np.random.Generator,
                on_iteration: Callable[[int, IterationStats], None] | None = None) -> TrajOptResult:
    """Run the algorithm; ``on_iteration(i, stats)`` is called after each iteration."""
    n_cond = len(task.train_conditions)
    if not 1 <= config.conditions <= n_cond:
        raise ValueError(f"{task.name} has {n_cond} training conditions, asked for {config.conditions}")
    noise = task.exploration_std if config.noise_std is None else config.noise_std
    conds = []
    for c in range(config.conditions):
        x0 = task.initial_state(c)
        prior = GMMPrior(config.prior, rng) if config.prior is not None else None
        conds.append(_Condition(x0, initial_controller(task, x0, config.init, noise), prior))
    history: list[IterationStats] = []
    for i in range(config.iterations + 1):
        C = len(conds)
        stats = IterationStats(cost=np.empty(C), final_distance=np.empty(C),
                               task_return=np.empty(C), eta=np.full(C, np.nan),
                               kl=np.full(C, np.nan), kl_target=np.full(C, np.nan),
                               step_mult=np.full(C, np.nan))
        for c, cond in enumerate(conds):
            samples = sample_controller(task, cond.controller, cond.x0, config.samples, rng,
                                        config.smoothing)
            stats.cost[c] = samples.cost.mean()
            stats.final_distance[c] = task.distance(samples.X[:, -1]).mean()
            stats.task_return[c] = task.reward(samples.X[:, :-1], samples.U, samples.X[:, 1:]).sum(1).mean()
            if i < config.iterations:
                stats.eta[c], stats.kl[c], stats.kl_target[c] = _update(task, cond, samples, config)
                stats.step_mult[c] = cond.step_mult
        history.append(stats)
        if on_iteration is not None:
            on_iteration(i, stats)
    total = (config.iterations + 1) * config.conditions * config.samples * task.T
    success = [bool(d <= task.success_threshold) for d in history[-1].final_distance]
    return TrajOptResult(history, [cond.controller for cond in conds], total, success)
