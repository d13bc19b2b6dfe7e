"""Which action is executed while the planner labels: one small class per acting rule.

Every algorithm labels every visited state with the unconstrained planner's decision
(its action, root Q-values and visits); they differ only in the action executed there,
which decides which states the next labels come from:

* :class:`PlannerActs`: the planner's own action. Guo et al. (2014)'s UCTtoClassification
  and UCTtoRegression in every round; DAgger in a round whose beta is 1.
* :class:`DAggerMix`: DAgger (Ross, Gordon & Bagnell 2011): at each step, with
  probability beta_i the planner's action, otherwise the learner's epsilon-greedy action.
  With the indicator schedule this is Guo et al.'s UCTtoClassification-Interleaved.
* :class:`PlatoTeacher`: PLATO (Kahn, Zhang, Levine & Abbeel 2017): an action drawn from
  pi_hat(a) proportional to pi_theta(a) exp(Q(a) / lambda) (:mod:`imitation.plato`),
  with pi_theta the learner's softmax policy (not its epsilon-greedy rule) and Q the
  planner's root values. No beta mixing: from round 0 on, the teacher stays close to the
  learner (at round 0, the learner at its seeded initialisation).

An :class:`Algorithm` gives the acting rule of each round and the policy head it trains.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from common.errors import DistillError
from imitation.schedules import BetaSchedule, GeometricLambda, IndicatorBeta

ALGORITHMS = ("uct-classification", "uct-regression", "dagger", "plato")


class ActingRule(Protocol):
    """The executed action at one state, given the planner's decision there."""

    needs_learner: bool

    def act(self, decision, obs: np.ndarray, learner, rng: np.random.Generator) -> int:
        """decision: the planner's :class:`mcts.decision.Decision`; obs: [4, 84, 84] uint8;
        learner: a :class:`imitation.policy.DistilledPolicy` (None unless ``needs_learner``)."""


@dataclass(frozen=True)
class PlannerActs:
    """Execute the planner's action (draws nothing from ``rng``)."""

    needs_learner = False

    def act(self, decision, obs, learner, rng) -> int:
        return int(decision.action)


@dataclass(frozen=True)
class DAggerMix:
    """pi_i = beta pi_planner + (1 - beta) pi_learner, drawn per step; the learner acts
    epsilon-greedily. Draws one uniform per step, then the learner's draws."""

    beta: float
    epsilon: float = 0.05
    needs_learner = True

    def act(self, decision, obs, learner, rng) -> int:
        if rng.random() < self.beta:
            return int(decision.action)
        return learner.act(obs, self.epsilon, rng)


@dataclass(frozen=True)
class PlatoTeacher:
    """Draw from pi_hat proportional to pi_theta exp(Q / lambda_abs), lambda relative to the
    spread of the planner's root Q-values at this state (:func:`imitation.plato.plato_sample`)."""

    lam: float
    needs_learner = True

    def act(self, decision, obs, learner, rng) -> int:
        from imitation.plato import plato_sample

        return plato_sample(learner.log_pi(obs)[0], decision.q, self.lam, rng)


class Algorithm(Protocol):
    name: str
    head: str   # the policy head it trains: "classification" or "regression"

    def rule(self, round: int) -> ActingRule:
        """The acting rule of round ``round`` (rounds count from 0)."""


@dataclass(frozen=True)
class PlannerDriven:
    """UCTtoClassification / UCTtoRegression (Guo et al. 2014): the planner plays and labels
    its own states in every round; the policy is refitted on everything after each round."""

    name: str
    head: str

    def rule(self, round: int) -> ActingRule:
        return PlannerActs()


@dataclass(frozen=True)
class DAgger:
    """DAgger with a beta schedule; the learner explores with ``epsilon`` when it acts.
    head: the learner's head, ``classification`` (UCC-I with the indicator schedule) or
    ``regression`` (a UCTtoRegression learner that acts greedily on its Q-values)."""

    beta: BetaSchedule = IndicatorBeta()
    epsilon: float = 0.05
    name: str = "dagger"
    head: str = "classification"

    def rule(self, round: int) -> ActingRule:
        beta = self.beta(round)
        return PlannerActs() if beta >= 1.0 else DAggerMix(beta, self.epsilon)


@dataclass(frozen=True)
class Plato:
    """PLATO with a (decreasing) lambda schedule; with a regression learner, pi_theta is
    its softmax(Q / tau)."""

    lam: GeometricLambda = GeometricLambda()
    name: str = "plato"
    head: str = "classification"

    def rule(self, round: int) -> ActingRule:
        return PlatoTeacher(self.lam(round))


def make_algorithm(name: str, *, beta: BetaSchedule | None = None,
                   lam: GeometricLambda | None = None, epsilon: float = 0.05,
                   head: str = "classification") -> Algorithm:
    """The algorithm called ``name`` (one of :data:`ALGORITHMS`); ``head`` is the
    learner's for ``dagger`` and ``plato`` (the planner-driven ones name theirs)."""
    if name in ("uct-classification", "uct-regression"):
        return PlannerDriven(name, name.removeprefix("uct-"))
    if name == "dagger":
        return DAgger(beta or IndicatorBeta(), epsilon, head=head)
    if name == "plato":
        return Plato(lam or GeometricLambda(), head=head)
    raise DistillError(f"unknown algorithm {name!r}; choose from {', '.join(ALGORITHMS)}")
