"""DAgger and PLATO on continuous tasks, with the iLQR MPC as the expert.

Both fit the same :class:`~imitation.gps.policy.GaussianPolicy` with the same
precision-weighted S-step as GPS (:mod:`imitation.gps.sstep`), the weights being the MPC's
``Quu`` at each labelled state, so a comparison with GPS isolates how the training data
is chosen. Every round runs ``episodes_per_round`` episodes from the training conditions
(in turn), labels every visited state with the unconstrained MPC planning on the true
simulator, aggregates the labels over all rounds and refits the policy.

* **DAgger** (Ross, Gordon & Bagnell 2011): at each step of round ``i`` the expert's
  action is executed with probability ``beta_i`` (drawn per step), the learner's mean
  action otherwise (:mod:`imitation.schedules`; the default ``indicator`` lets the expert
  drive round 0 only).
* **PLATO** (Kahn, Zhang, Levine & Abbeel 2017): the executed action comes from an
  acting teacher, a second MPC whose objective adds
  ``lambda_i * 0.5 (u - mu_theta(o(x)))^T Sigma_pi^-1 (u - mu_theta(o(x)))``, the
  mean-dependent part of ``lambda_i KL(pi || pi_theta)``, through the policy's
  linearisation along the plan. ``Sigma_pi`` is the policy's closed-form covariance, the
  inverse of the mean ``Quu`` of the labels, so ``lambda = 1`` pulls as hard as the cost's
  own curvature does. PLATO "modif[ies] the behavior of MPC to gradually match the learned
  policy", so the default ``lambda_i`` grows with the round. Labels still come from the
  unconstrained MPC.

Until the first S-step the policy's covariance is the same closed form over the labels
collected so far. Counted separately: environment steps (what methods are compared on),
the simulator steps spent inside planning (the MPCs' rollouts and finite differences,
which GPS does not use) and catastrophic episodes (the task's predicate true at any
visited state).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from imitation.gps.mpc import MPC, MPCConfig
from imitation.gps.policy import GaussianPolicy, GaussianPolicyConfig, SplitEvaluation, evaluate_policy
from imitation.gps.sstep import SStepConfig, SStepStats, closed_form_covariance, precision_weighted_regression
from imitation.schedules import parse_beta_schedule, parse_lambda_schedule

METHODS = ("dagger", "plato")
DEFAULT_SCHEDULE = "indicator"
# lambda_i = 0.1 * 2^i: round 0's teacher is nearly the expert, by round 4 it pulls towards
# the learner more than the cost does.
DEFAULT_LAMBDA = "0.1:2.0"


@dataclass
class ContinuousImitationConfig:
    """algo: ``dagger`` or ``plato``;  conditions: the first C training conditions, which the
    episodes take in turn;  rounds, episodes_per_round: ``rounds * episodes_per_round * T``
    environment steps in all;  schedule: DAgger's beta (:func:`parse_beta_schedule` text;
    ``None`` for PLATO);  lambda_schedule: PLATO's ``L0[:RATIO]`` (``None`` for DAgger);
    policy, sstep: as GPS's;  mpc: the expert's planner (``None`` for the task's default)."""

    algo: str
    conditions: int = 4
    rounds: int = 10
    episodes_per_round: int = 4
    schedule: str | None = None
    lambda_schedule: str | None = None
    policy: GaussianPolicyConfig = field(default_factory=GaussianPolicyConfig)
    sstep: SStepConfig = field(default_factory=SStepConfig)
    mpc: MPCConfig | None = None

    def __post_init__(self):
        if self.algo not in METHODS:
            raise ValueError(f"algo must be one of {METHODS}, got {self.algo!r}")
        if self.conditions <= 0 or self.rounds <= 0 or self.episodes_per_round <= 0:
            raise ValueError("conditions, rounds and episodes_per_round must be positive")
        if self.algo == "dagger":
            if self.lambda_schedule is not None:
                raise ValueError("lambda_schedule is PLATO's")
            self.schedule = self.schedule or DEFAULT_SCHEDULE
            parse_beta_schedule(self.schedule)
        else:
            if self.schedule is not None:
                raise ValueError("schedule (beta) is DAgger's")
            self.lambda_schedule = self.lambda_schedule or DEFAULT_LAMBDA
            parse_lambda_schedule(self.lambda_schedule)


@dataclass
class ImitationRound:
    """One entry of the learning curve: the policy after ``round`` rounds (0 = the untrained
    network), evaluated with its mean action. Counters are totals so far.

    env_steps: environment steps executed;  planning_simulator_steps: simulator steps the
    MPCs spent planning;  catastrophes: training episodes that hit the catastrophe
    predicate;  labels: aggregated labels;  expert_steps: steps that executed the
    expert's own action (DAgger);  planning_seconds: wall time inside the MPCs;
    beta, lam: this round's schedule value (NaN where not used or at 0);  sstep."""

    round: int
    evaluation: SplitEvaluation
    env_steps: int = 0
    planning_simulator_steps: int = 0
    catastrophes: int = 0
    labels: int = 0
    expert_steps: int = 0
    planning_seconds: float = 0.0
    beta: float = float("nan")
    lam: float = float("nan")
    sstep: SStepStats | None = None


@dataclass
class ImitationResult:
    rounds: list[ImitationRound]
    policy: GaussianPolicy


@dataclass
class _Labels:
    """Aggregated labels: observations, the MPC's actions and its Quu."""

    obs: list[np.ndarray] = field(default_factory=list)
    U: list[np.ndarray] = field(default_factory=list)
    W: list[np.ndarray] = field(default_factory=list)

    def add(self, o: np.ndarray, u: np.ndarray, Quu: np.ndarray) -> None:
        self.obs.append(o)
        self.U.append(u)
        self.W.append(Quu)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.stack(self.obs), np.stack(self.U), np.stack(self.W)


@dataclass
class _Counters:
    env_steps: int = 0
    planning_simulator_steps: int = 0
    catastrophes: int = 0
    expert_steps: int = 0
    planning_seconds: float = 0.0


def _episode(task, x0: np.ndarray, policy: GaussianPolicy, expert: MPC, teacher: MPC | None,
             beta: float, lam: float, labels: _Labels, counters: _Counters,
             rng: np.random.Generator, trained: bool) -> None:
    """One training episode: label every visited state, execute DAgger's mixture or PLATO's
    teacher, update the counters."""
    T = task.T
    X = np.empty((T + 1, task.dX))
    X[0] = x0
    expert.reset()
    if teacher is not None:
        teacher.reset()

    def linearisation(Xp: np.ndarray):
        return policy.linearise(task, Xp)

    for t in range(T):
        label = expert.act(X[t], t)
        labels.add(task.observation(X[t]), label.u, label.Quu)
        counters.planning_simulator_steps += label.simulator_steps
        counters.planning_seconds += label.seconds
        if not trained:       # before the first S-step: the closed form over the labels so far
            policy.set_covariance(closed_form_covariance(np.stack(labels.W)))
        if teacher is not None:
            decision = teacher.act(X[t], t, policy=linearisation, policy_weight=lam)
            counters.planning_simulator_steps += decision.simulator_steps
            counters.planning_seconds += decision.seconds
            u = decision.u
        elif rng.random() < beta:
            u = label.u
            counters.expert_steps += 1
        else:
            u = policy.mean(task.observation(X[t])[None])[0]
        task.set_state(X[t])
        task.step(u)
        X[t + 1] = task.get_state()
    counters.env_steps += T
    counters.catastrophes += int(np.any(task.catastrophe(X, np.arange(T + 1))))


def run_imitation(task, config: ContinuousImitationConfig, rng: np.random.Generator, seed: int = 0,
                  on_round: Callable[[ImitationRound, GaussianPolicy], None] | None = None
                  ) -> ImitationResult:
    """Run DAgger or PLATO; ``seed`` initialises the network, ``rng`` draws the mixture and
    minibatches; ``on_round(entry, policy)`` is called for every curve entry."""
    n_cond = len(task.train_conditions)
    if config.conditions > n_cond:
        raise ValueError(f"{task.name} has {n_cond} training conditions, asked for {config.conditions}")
    plato = config.algo == "plato"
    beta_of = None if plato else parse_beta_schedule(config.schedule)
    lam_of = parse_lambda_schedule(config.lambda_schedule) if plato else None
    policy = GaussianPolicy(task.dO, task.dU, config.policy, seed=seed)
    expert = MPC(task, config.mpc)
    teacher = MPC(task, config.mpc) if plato else None
    labels, counters = _Labels(), _Counters()
    history = [ImitationRound(0, evaluate_policy(task, policy, config.conditions))]
    if on_round is not None:
        on_round(history[0], policy)
    for r in range(config.rounds):
        beta = float("nan") if plato else beta_of(r, config.rounds)
        lam = lam_of(r) if plato else float("nan")
        for e in range(config.episodes_per_round):
            x0 = task.initial_state((r * config.episodes_per_round + e) % config.conditions)
            _episode(task, x0, policy, expert, teacher, beta, lam, labels, counters, rng, trained=r > 0)
        obs, U, W = labels.arrays()
        stats = precision_weighted_regression(policy, obs, U, W, config.sstep, rng)
        entry = ImitationRound(r + 1, evaluate_policy(task, policy, config.conditions),
                               env_steps=counters.env_steps,
                               planning_simulator_steps=counters.planning_simulator_steps,
                               catastrophes=counters.catastrophes, labels=len(labels.U),
                               expert_steps=counters.expert_steps,
                               planning_seconds=counters.planning_seconds, beta=beta, lam=lam, sstep=stats)
        history.append(entry)
        if on_round is not None:
            on_round(entry, policy)
    return ImitationResult(history, policy)
