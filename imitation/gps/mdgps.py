"""Mirror-descent Guided Policy Search (MDGPS), on-policy and off-policy.

Montgomery & Levine 2016, "Guided Policy Search via Approximate Mirror Descent"; the
building blocks are Levine & Abbeel 2014 (local models, KL-constrained LQR) and Levine et
al. 2016 (GMM priors, the policy's observation input). Each iteration, per condition:

1. **Sample** ``N`` trajectories: from the policy with its Gaussian noise (on-policy) or
   from the local linear-Gaussian controller (off-policy). Iteration 0 always samples the
   initial controllers, and before its C-step the policy is first regressed onto them
   (the GPS codebase's "catch the policy up to the initial controllers").
2. **Fit** time-varying linear-Gaussian dynamics (GMM prior) and expand the cost.
3. **Linearise the policy**: fit ``pibar(u | x) = N(K_t x + k_t, S_t + Sigma_pi)`` to the
   policy's mean actions at the sampled states, with a GMM prior over ``[x, u]``
   (:func:`imitation.gps.dynamics.fit_policy_linearisation`).
4. **Adapt the KL step** from the improvement the previous local model predicted against
   the one measured (:mod:`imitation.gps.step_size`): the previous policy's linearisation
   is the baseline, the previous C-step controller the prediction, the current policy's
   linearisation under the current model the outcome.
5. **C-step**: the controller minimising the expected cost with
   ``KL(p || pibar) <= base_kl_step * step_mult * T`` (:func:`kl_constrained_lqr`, with the
   policy's linearisation as the reference; ``eta`` warm-started). Where the local model is
   too poor for any ``eta`` (fitted dynamics so unstable that the backward pass overflows,
   which few samples can produce) the C-step is skipped for that condition: its
   controller is the policy's linearisation, and the failure is counted.

Then the **S-step** over all conditions' samples (:mod:`imitation.gps.sstep`): the policy's
mean is regressed onto the controllers' mean actions ``K_t x + k_t`` at the sampled states
(optionally also at perturbed copies of them, ``MDGPSConfig.augment_states``), weighted by
their precision ``Sigma_t^-1``, and its covariance is set in closed form. The C-step and
the augmentation use only fitted models: GPS spends no simulator steps on planning.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from imitation.gps.controller import NOISE_SMOOTHING_STEPS, LinearGaussianController
from imitation.gps.dynamics import (LinearGaussianDynamics, fit_dynamics, fit_policy_linearisation,
                                    transition_points)
from imitation.gps.gmm import GMMPrior, GMMPriorConfig
from imitation.gps.lqr import (LQRError, QuadraticCost, cost_from_samples, expected_cost, forward,
                               kl_constrained_lqr)
from imitation.gps.policy import (GaussianPolicy, GaussianPolicyConfig, SplitEvaluation, evaluate_policy,
                                  rollout_policy)
from imitation.gps.sampling import Samples, sample_controller
from imitation.gps.sstep import SStepConfig, SStepStats, precision_weighted_regression
from imitation.gps.step_size import adapted_step_mult
from imitation.gps.trajopt import INITIALISATIONS, initial_controller


@dataclass
class LocalGPSConfig:
    """What every GPS variant here shares: conditions: the first C training conditions;
    samples: N per condition per iteration;  iterations: C-step/S-step updates;
    base_kl_step: KL budget per time step (the GPS codebase's ``kl_step = 0.2``; with 0.5
    the first policies strayed far from the states they were trained on);  init: the
    initial controllers (``zero``, ``pd`` or ``lqr``, see
    :func:`imitation.gps.trajopt.initial_controller`);  noise_std: their exploration noise,
    ``None`` for the task's;  smoothing: exploration noise smoothing in steps;
    dynamics_prior, policy_prior: the GMM priors, one of each per condition as in the GPS
    codebase (``None`` to fit by regression alone);  policy: the network;  sstep: the
    regression."""

    conditions: int = 4
    samples: int = 5
    iterations: int = 10
    base_kl_step: float = 0.2
    init: str = "zero"
    noise_std: float | None = None
    smoothing: float = NOISE_SMOOTHING_STEPS
    dynamics_prior: GMMPriorConfig | None = field(default_factory=GMMPriorConfig)
    policy_prior: GMMPriorConfig | None = field(default_factory=GMMPriorConfig)
    policy: GaussianPolicyConfig = field(default_factory=GaussianPolicyConfig)
    sstep: SStepConfig = field(default_factory=SStepConfig)

    def __post_init__(self):
        if self.init not in INITIALISATIONS:
            raise ValueError(f"init must be one of {INITIALISATIONS}, got {self.init!r}")
        if self.conditions <= 0 or self.samples <= 0 or self.iterations <= 0:
            raise ValueError("conditions, samples and iterations must be positive")
        if not self.base_kl_step > 0:
            raise ValueError(f"base_kl_step must be > 0, got {self.base_kl_step}")


@dataclass
class MDGPSConfig(LocalGPSConfig):
    """The shared settings (:class:`LocalGPSConfig`; here ``base_kl_step`` is scaled by the
    adapted step multiplier), and: on_policy: sample the policy (Montgomery & Levine's
    on-policy variant) rather than the local controllers (off-policy);
    augment_states: ``M`` extra S-step states per sampled state, at no
    simulator cost: each sampled state ``x_{n,t}`` perturbed to ``x_{n,t} + augment_scale
    L_t eps`` with ``L_t L_t^T = P_t``, the state covariance of the condition's controller
    under its fitted local dynamics (:func:`state_marginal_sqrt`), and labelled like the
    samples with the controller's ``K_t x + k_t`` and precision ``Sigma_t^-1``. This is
    noise injection in the spirit of DART (Laskey et al. 2017, "DART: Noise Injection for
    Robust Imitation Learning"), with the teacher's labels free because the controller is
    an explicit feedback law: the policy sees how the controllers correct deviations
    around their trajectories (for Reacher, many more fingertip-target offsets), which
    the GPS codebase, regressing on the samples alone, does not show it (the first
    iteration's catch-up S-step, before any local model is fitted, also regresses on the
    samples alone). 0 (the default) is the S-step on the samples alone;  augment_scale:
    the perturbation's std in units of the marginal's (``P_t`` reflects only the small
    exploration noise, hence scales > 1; 10 on Reacher, ``scripts/bench_gps.py``)."""

    on_policy: bool = True
    augment_states: int = 0
    augment_scale: float = 1.0

    def __post_init__(self):
        super().__post_init__()
        if self.augment_states < 0 or not self.augment_scale > 0:
            raise ValueError(f"augment_states must be >= 0 and augment_scale > 0, got "
                             f"{self.augment_states}, {self.augment_scale}")


@dataclass
class GPSIteration:
    """One entry of the learning curve: the policy after ``iteration`` updates (0 = the
    untrained network), evaluated with its mean action.

    evaluation: on the training and held-out conditions;  env_steps: environment steps
    used for training so far;  catastrophes: training trajectories so far that hit the
    task's catastrophe predicate;  sample_cost: mean cost of this iteration's samples
    (NaN at 0);  eta, kl, kl_target, step_mult: [C] of this iteration's C-step (NaN at 0);
    sstep: the S-step's statistics (None at 0);  c_step_failures: C-steps skipped so far."""

    iteration: int
    evaluation: SplitEvaluation
    env_steps: int
    catastrophes: int
    sample_cost: float = float("nan")
    eta: np.ndarray | None = None
    kl: np.ndarray | None = None
    kl_target: np.ndarray | None = None
    step_mult: np.ndarray | None = None
    sstep: SStepStats | None = None
    c_step_failures: int = 0


@dataclass
class GPSResult:
    """iterations: ``config.iterations + 1`` entries;  policy: the final policy;
    controllers: the final local controllers per condition."""

    iterations: list[GPSIteration]
    policy: GaussianPolicy
    controllers: list[LinearGaussianController]


@dataclass
class _LocalModel:
    """What an iteration fitted for one condition, kept for the next step adjustment."""

    dynamics: LinearGaussianDynamics
    cost: QuadraticCost
    policy_linearisation: LinearGaussianController
    controller: LinearGaussianController


@dataclass
class _Condition:
    x0: np.ndarray
    controller: LinearGaussianController
    dynamics_prior: GMMPrior | None
    policy_prior: GMMPrior | None
    eta: float = 1.0
    step_mult: float = 1.0
    previous: _LocalModel | None = None


def laplace_cost(controller: LinearGaussianController, dynamics: LinearGaussianDynamics,
                 cost: QuadraticCost) -> float:
    """Expected cost of ``controller`` under a local model (the Laplace estimate)."""
    mu, sigma = forward(controller, dynamics)
    return float(expected_cost(mu, sigma, cost).sum())


def policy_points(task, policy: GaussianPolicy, X: np.ndarray) -> np.ndarray:
    """``[x_t, mu_theta(o(x_t))]`` at states ``X: [N, T, dX]`` -> ``[N, T, dX + dU]``."""
    N, T, dX = X.shape
    U = policy.mean(task.observation(X.reshape(-1, dX))).reshape(N, T, -1)
    return np.concatenate([X, U], axis=-1)


def linearise_from_samples(task, policy: GaussianPolicy, X: np.ndarray,
                           prior: GMMPrior | None) -> LinearGaussianController:
    """The policy's linearisation at the sampled states ``X: [N, T, dX]``: the conditional fit
    of its mean actions there (with ``prior``, already updated), plus its covariance."""
    points = policy_points(task, policy, X)
    dX = X.shape[2]
    lin = fit_policy_linearisation(X, points[..., dX:], prior)
    lin.Sigma = lin.Sigma + policy.covariance
    return lin


def sstep_targets(task, X: np.ndarray, controller: LinearGaussianController
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The S-step's data from one condition: observations ``[N T, dO]``, the controller's
    mean actions ``[N T, dU]`` and its precisions ``[N T, dU, dU]`` at states ``X: [N, T, dX]``."""
    N, T, dX = X.shape
    U = np.einsum("tuj,ntj->ntu", controller.K, X) + controller.k
    W = np.broadcast_to(controller.precision(), (N,) + controller.Sigma.shape)
    return task.observation(X.reshape(-1, dX)), U.reshape(N * T, -1), W.reshape(N * T, *controller.Sigma.shape[1:])


def state_marginal_sqrt(controller: LinearGaussianController, dynamics: LinearGaussianDynamics) -> np.ndarray:
    """A square root ``L_t`` (``L_t L_t^T = P_t``) of the state covariance ``P_t`` of the
    controller's Gaussian trajectory distribution under the local model (:func:`forward`),
    ``[T, dX, dX]``; by eigendecomposition, so singular ``P_t`` (the Reacher target's
    coordinates never move) are fine."""
    _, sigma = forward(controller, dynamics)
    dX = controller.dX
    P = sigma[:-1, :dX, :dX]
    w, V = np.linalg.eigh(0.5 * (P + P.transpose(0, 2, 1)))
    return V * np.sqrt(np.maximum(w, 0.0))[:, None, :]


def augmented_states(X: np.ndarray, L: np.ndarray, M: int, scale: float,
                     rng: np.random.Generator) -> np.ndarray:
    """``M`` perturbed copies of every sampled state: ``x_{n,t} + scale L_t eps``,
    ``eps ~ N(0, I)``. X: [N, T, dX], L: [T, dX, dX] -> [M N, T, dX] (copy ``m`` of
    sample ``n`` is row ``m N + n``)."""
    N, T, dX = X.shape
    eps = rng.standard_normal((M * N, T, dX))
    return np.tile(X, (M, 1, 1)) + scale * np.einsum("tij,ntj->nti", L, eps)


def sstep_states(X: np.ndarray, controller: LinearGaussianController, dynamics: LinearGaussianDynamics,
                 config: MDGPSConfig, rng: np.random.Generator) -> np.ndarray:
    """The states one condition contributes to the S-step: its sampled states ``X: [N, T, dX]``
    followed by ``config.augment_states`` perturbed copies of them, ``[(1 + M) N, T, dX]``."""
    if config.augment_states == 0:
        return X
    L = state_marginal_sqrt(controller, dynamics)
    return np.concatenate([X, augmented_states(X, L, config.augment_states, config.augment_scale, rng)])


def _sstep(task, policy, conds, samples, dynamics, config, rng) -> SStepStats:
    """The S-step on every condition's samples, augmented when ``dynamics`` (the local
    models, one per condition) are given."""
    if dynamics is None:
        data = [sstep_targets(task, s.X[:, :-1], cond.controller) for cond, s in zip(conds, samples)]
    else:
        data = [sstep_targets(task, sstep_states(s.X[:, :-1], cond.controller, dyn, config, rng),
                              cond.controller) for cond, s, dyn in zip(conds, samples, dynamics)]
    obs, U, W = (np.concatenate(parts) for parts in zip(*data))
    return precision_weighted_regression(policy, obs, U, W, config.sstep, rng)


def _update_priors(task, policy: GaussianPolicy, cond: _Condition, samples: Samples) -> None:
    """Add one condition's transitions and the policy's actions at its states to its priors."""
    if cond.dynamics_prior is not None:
        cond.dynamics_prior.update(transition_points(samples.X, samples.U))
    if cond.policy_prior is not None:
        cond.policy_prior.update(policy_points(task, policy, samples.X[:, :-1]))


def _draw(task, policy, cond, config, rng, on_policy: bool) -> Samples:
    if on_policy:
        r = rollout_policy(task, policy, np.repeat(cond.x0[None], config.samples, 0), rng, config.smoothing)
        return Samples(X=r.X, U=r.U, cost=r.cost)
    return sample_controller(task, cond.controller, cond.x0, config.samples, rng, config.smoothing)


def run_mdgps(task, config: MDGPSConfig, rng: np.random.Generator, seed: int = 0,
              on_iteration: Callable[[GPSIteration, GaussianPolicy], None] | None = None) -> GPSResult:
    """Run MDGPS; ``seed`` initialises the network, ``rng`` draws samples and minibatches;
    ``on_iteration(entry, policy)`` is called for every curve entry."""
    n_cond = len(task.train_conditions)
    if config.conditions > n_cond:
        raise ValueError(f"{task.name} has {n_cond} training conditions, asked for {config.conditions}")
    noise = task.exploration_std if config.noise_std is None else config.noise_std
    policy = GaussianPolicy(task.dO, task.dU, config.policy, seed=seed)
    conds = []
    for c in range(config.conditions):
        x0 = task.initial_state(c)
        conds.append(_Condition(
            x0, initial_controller(task, x0, config.init, noise),
            GMMPrior(config.dynamics_prior, rng) if config.dynamics_prior is not None else None,
            GMMPrior(config.policy_prior, rng) if config.policy_prior is not None else None))
    env_steps = catastrophes = failures = 0
    history = [GPSIteration(0, evaluate_policy(task, policy, config.conditions), 0, 0)]
    if on_iteration is not None:
        on_iteration(history[0], policy)
    C = len(conds)
    for i in range(1, config.iterations + 1):
        samples = [_draw(task, policy, cond, config, rng, config.on_policy and i > 1) for cond in conds]
        env_steps += sum(s.U.shape[0] * s.U.shape[1] for s in samples)
        steps = np.arange(task.T + 1)
        catastrophes += int(sum(np.any(task.catastrophe(s.X, steps), axis=1).sum() for s in samples))
        if i == 1:      # catch up with the initial controllers (no local model yet: samples alone)
            _sstep(task, policy, conds, samples, None, config, rng)
        eta, kl, kl_target, step_mult = (np.full(C, np.nan) for _ in range(4))
        dynamics = []
        for c, (cond, s) in enumerate(zip(conds, samples)):
            _update_priors(task, policy, cond, s)
            dynamics.append(fit_dynamics(s.X, s.U, cond.dynamics_prior))
            cost = cost_from_samples(task, s.X, s.U)
            lin = linearise_from_samples(task, policy, s.X[:, :-1], cond.policy_prior)
            if cond.previous is not None:
                prev = cond.previous
                baseline = laplace_cost(prev.policy_linearisation, prev.dynamics, prev.cost)
                predicted = baseline - laplace_cost(prev.controller, prev.dynamics, prev.cost)
                actual = baseline - laplace_cost(lin, dynamics[c], cost)
                cond.step_mult = adapted_step_mult(cond.step_mult, predicted, actual)
            kl_target[c] = config.base_kl_step * cond.step_mult * task.T
            step_mult[c] = cond.step_mult
            try:
                step = kl_constrained_lqr(dynamics[c], cost, lin, kl_target[c], cond.eta)
                cond.controller, cond.eta = step.controller, step.eta
                eta[c], kl[c] = step.eta, step.kl
            except LQRError:
                cond.controller, kl[c] = lin, 0.0
                failures += 1
            cond.previous = _LocalModel(dynamics[c], cost, lin, cond.controller)
        stats = _sstep(task, policy, conds, samples, dynamics, config, rng)
        entry = GPSIteration(i, evaluate_policy(task, policy, config.conditions), env_steps, catastrophes,
                             sample_cost=float(np.mean([s.cost.mean() for s in samples])),
                             eta=eta, kl=kl, kl_target=kl_target, step_mult=step_mult, sstep=stats,
                             c_step_failures=failures)
        history.append(entry)
        if on_iteration is not None:
            on_iteration(entry, policy)
    return GPSResult(history, policy, [cond.controller for cond in conds])
