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

:class:`ExpertIteration` (``exit``) changes the labeller instead: from round 1 the
planner is guided by the learner (:meth:`Algorithm.guidance_of`); by default the planner
acts, and with a beta schedule below 1 the DAgger mix does.

An :class:`Algorithm` is a frozen dataclass that holds everything that tells it apart:
its schedules (``DAgger(beta=ExponentialBeta(0.5))``, ``Plato(lam=GeometricLambda(1.0,
0.5))``), the learner's exploration and the policy head it trains. Its defaults are the
library's (the CLI and ``compare`` build from them), ``name`` and ``head`` are fields, so a
config serialised from the object says which algorithm, schedule and head were used, and
:func:`learner_policy` derives the trained policy's head from it: nowhere else decides it.
A new algorithm is one class here with ``name``, ``head`` and ``rule``, and one entry in
:data:`ALGORITHMS`; its init fields are its settings (:func:`build_algorithm`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import ClassVar, Protocol

import numpy as np

from common.errors import ConfigError
from imitation.schedules import BetaSchedule, ConstantBeta, GeometricLambda, IndicatorBeta
from mcts.config import GuidanceConfig

HEADS = ("classification", "regression")


class ActingRule(Protocol):
    """The executed action at one state, given the planner's decision there.

    label_every: 1, the planner decides (and labels) every state; K > 1, it decides where
    the rule reads its decision and at every K-th step (``decision`` is then a
    :class:`mcts.episode.DeferredDecision`, searched when read)."""

    needs_learner: bool
    label_every: int

    def act(self, decision, obs: np.ndarray, learner, rng: np.random.Generator) -> int:
        """decision: the planner's :class:`mcts.decision.Decision`; obs: [4, 84, 84] uint8;
        learner: a :class:`imitation.policy.DistilledPolicy` (None unless ``needs_learner``)."""


@dataclass(frozen=True)
class PlannerActs:
    """Execute the planner's action (draws nothing from ``rng``)."""

    needs_learner = False
    label_every = 1

    def act(self, decision, obs, learner, rng) -> int:
        return int(decision.action)


@dataclass(frozen=True)
class DAggerMix:
    """pi_i = beta pi_planner + (1 - beta) pi_learner, drawn per step; the learner acts
    epsilon-greedily. Draws one uniform per step, then the learner's draws.

    ``label_every`` K > 1: the planner searches only where it acts and at every K-th step,
    so a learner-driven game spreads its labels over about K times as many states for the
    same search time (DAgger's aggregate is a sample of the states the learner reaches,
    Ross et al. 2011, and a sparser sample of one game is a less correlated one)."""

    beta: float
    epsilon: float = 0.05
    label_every: int = 1
    needs_learner = True

    def act(self, decision, obs, learner, rng) -> int:
        if rng.random() < self.beta:
            return int(decision.action)
        return learner.act(obs, self.epsilon, rng)


def mixed(beta: float, epsilon: float, label_every: int = 1) -> ActingRule:
    """The planner with probability ``beta``, else the learner epsilon-greedy (the DAgger
    mix, labelling every ``label_every``-th state the learner acts at); :class:`PlannerActs`
    when ``beta`` is 1, so that round draws nothing."""
    return PlannerActs() if beta >= 1.0 else DAggerMix(beta, epsilon, label_every)


@dataclass(frozen=True)
class PlatoTeacher:
    """Draw from pi_hat proportional to pi_theta exp(Q / lambda_abs), lambda relative to the
    spread of the planner's root Q-values at this state (:func:`imitation.plato.plato_sample`)."""

    lam: float
    needs_learner = True
    label_every = 1   # pi_hat needs the planner's Q at every state

    def act(self, decision, obs, learner, rng) -> int:
        from imitation.plato import plato_sample

        return plato_sample(learner.log_pi(obs)[0], decision.q, self.lam, rng)


class Algorithm(Protocol):
    name: str   # as in ``distill train --algo``
    head: str   # the policy head it trains: "classification" or "regression"
    default_target: str   # a classification head's target unless --target says
    value_head: bool      # the policy learns the search's value too
    label_weights: str    # "uniform", or "search": each label weighted by its significance

    def rule(self, round: int, rounds: int) -> ActingRule:
        """The acting rule of round ``round`` (counting from 0) of a ``rounds``-round run."""

    def guidance_of(self, round: int) -> GuidanceConfig | None:
        """How the learner of round ``round`` guides the planner (None: plain UCT)."""


class Unguided:
    """The planner of every round is UCT, as Guo et al.'s: no network in the search. The
    policy learns the planner's action (or, for a regression head, its Q-values), every
    label weighing the same, with no value head."""

    default_target: ClassVar[str] = "action"
    value_head: ClassVar[bool] = False
    label_weights: ClassVar[str] = "uniform"

    def guidance_of(self, round: int) -> None:
        return None


def _check_head(algorithm) -> None:
    if algorithm.head not in HEADS:
        raise ConfigError("head", f"must be one of {', '.join(HEADS)}, got {algorithm.head!r}")


def _check_epsilon(algorithm) -> None:
    if not 0.0 <= algorithm.epsilon <= 1.0:
        raise ConfigError("epsilon", f"must be in [0, 1], got {algorithm.epsilon}")


def _check_label_every(algorithm) -> None:
    """A positive stride, and above 1 only with a schedule that lets the learner act (the
    schedules never rise, so beta_1 = 1 means the planner acts in every round)."""
    k = algorithm.label_every
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ConfigError("label_every", f"must be a positive integer, got {k!r}")
    if k > 1 and algorithm.beta(1, 2) >= 1.0:
        raise ConfigError("label_every", f"needs a schedule that lets the learner act; under "
                                         f"{algorithm.beta} the planner acts at every state")


@dataclass(frozen=True)
class UCTClassification(Unguided):
    """UCTtoClassification (Guo et al. 2014): the planner plays and labels its own states in
    every round; a classifier is refitted on everything after each round."""

    name: str = field(default="uct-classification", init=False)
    head: str = field(default="classification", init=False)

    def rule(self, round: int, rounds: int) -> ActingRule:
        return PlannerActs()


@dataclass(frozen=True)
class UCTRegression(Unguided):
    """UCTtoRegression (Guo et al. 2014): as :class:`UCTClassification`, but the network
    regresses the planner's root Q-values and acts greedily on them."""

    name: str = field(default="uct-regression", init=False)
    head: str = field(default="regression", init=False)

    def rule(self, round: int, rounds: int) -> ActingRule:
        return PlannerActs()


@dataclass(frozen=True)
class DAgger(Unguided):
    """DAgger with a beta schedule; the learner explores with ``epsilon`` when it acts.
    head: the learner's head, ``classification`` (UCC-I with the indicator schedule) or
    ``regression`` (a UCTtoRegression learner that acts greedily on its Q-values).
    label_every: label every K-th state where the learner acts (:class:`DAggerMix`)."""

    name: str = field(default="dagger", init=False)
    beta: BetaSchedule = IndicatorBeta()
    epsilon: float = 0.05
    head: str = "classification"
    label_every: int = 1

    def __post_init__(self):
        _check_head(self)
        _check_epsilon(self)
        _check_label_every(self)

    def rule(self, round: int, rounds: int) -> ActingRule:
        return mixed(self.beta(round, rounds), self.epsilon, self.label_every)


@dataclass(frozen=True)
class Plato(Unguided):
    """PLATO with a (decreasing) lambda schedule; with a regression learner, pi_theta is
    its softmax(Q / tau)."""

    name: str = field(default="plato", init=False)
    lam: GeometricLambda = GeometricLambda(1.0, 0.5)
    head: str = "classification"

    def __post_init__(self):
        _check_head(self)

    def rule(self, round: int, rounds: int) -> ActingRule:
        return PlatoTeacher(self.lam(round))


@dataclass(frozen=True)
class ExpertIteration:
    """Expert iteration on the emulator (Anthony, Tian & Barber 2017; AlphaZero, Silver et
    al. 2017): the teacher adapts to the learner. Round 0 is Guo et al.'s UCT; from round
    1 the planner is guided by the latest network as ``guidance`` says (learner rollouts,
    bootstrapped leaves, a PUCT prior; :class:`mcts.guided.GuidedUCT`), and it labels
    every state visited. The network is a classifier with a value head: it learns the
    search's visit distribution, each state weighted by how significant the search's
    preference is, and the search's value of the state (:func:`learner_policy`).

    Its guidance defaults to :class:`mcts.config.GuidanceConfig`'s, the variant with the
    best labels measured on Pong. ``beta`` decides which states are labelled: by default
    (``ConstantBeta(1)``) the planner plays its own games; a schedule below 1 lets the
    learner drive with DAgger's mix (``epsilon``-greedy when it acts), so that labels come
    from the states the learner itself reaches (Ross et al. 2011); ``label_every`` thins
    the labels of the learner's steps (:class:`DAggerMix`).

    ``early_guidance`` guides rounds 1 to ``guidance_from`` - 1, and ``guidance`` the rest:
    a search that leans on the learner (its rollouts, its value) is only as good as the
    learner (README, label quality), and on Breakout the early networks score near 0
    while a later one makes the labels far more consistent."""

    name: str = field(default="exit", init=False)
    head: str = field(default="classification", init=False)
    guidance: GuidanceConfig = GuidanceConfig()
    beta: BetaSchedule = ConstantBeta()
    epsilon: float = 0.05
    label_every: int = 1
    guidance_from: int = 1
    early_guidance: GuidanceConfig | None = None
    default_target: ClassVar[str] = "visits"
    value_head: ClassVar[bool] = True
    label_weights: ClassVar[str] = "search"

    def __post_init__(self):
        _check_epsilon(self)
        _check_label_every(self)
        if self.guidance_from < 1:
            raise ConfigError("guidance_from", f"must be >= 1, got {self.guidance_from}")
        if (self.guidance_from > 1) != (self.early_guidance is not None):
            raise ConfigError("guidance_from", "and early_guidance go together: the early guidance "
                                               "guides rounds 1 to guidance_from - 1")

    def rule(self, round: int, rounds: int) -> ActingRule:
        return mixed(self.beta(round, rounds), self.epsilon, self.label_every)

    def guidance_of(self, round: int) -> GuidanceConfig | None:
        if round == 0:
            return None
        return self.early_guidance if round < self.guidance_from else self.guidance


ALGORITHMS: dict[str, type] = {cls.name: cls for cls in (UCTClassification, UCTRegression, DAgger, Plato,
                                                         ExpertIteration)}
"""``--algo`` name -> class (``cls.name`` is the dataclass field's default)."""


def settings_of(name: str) -> tuple[str, ...]:
    """The settings algorithm ``name`` takes: its class's init fields."""
    return tuple(f.name for f in fields(algorithm_class(name)) if f.init)


def algorithm_class(name: str) -> type:
    if name not in ALGORITHMS:
        raise ConfigError("algorithm", f"{name!r} is unknown; choose from {', '.join(ALGORITHMS)}")
    return ALGORITHMS[name]


def build_algorithm(name: str, **settings) -> Algorithm:
    """The algorithm ``name`` with the settings given (``None``: the library's default).
    A setting the algorithm does not take is a :class:`ConfigError` naming it."""
    own = settings_of(name)
    for key, value in settings.items():
        if value is not None and key not in own:
            takers = [n for n in ALGORITHMS if key in settings_of(n)]
            raise ConfigError(key, f"is a setting of {' and '.join(takers) or 'no algorithm'}, "
                                   f"not of {name}")
    return algorithm_class(name)(**{k: v for k, v in settings.items() if v is not None})


def algorithm_from_json(data: dict) -> Algorithm:
    """The algorithm a ``config.json`` names (``to_jsonable`` of it) -> the object; an
    entry it lacks takes the library's default."""
    from imitation.schedules import schedule_from_json

    settings = {}
    for key, value in data.items():
        if key not in settings_of(data["name"]):
            continue
        if key in ("beta", "lam"):
            value = schedule_from_json(value)
        elif key in ("guidance", "early_guidance") and value is not None:
            value = GuidanceConfig(**value)
        settings[key] = value
    return build_algorithm(data["name"], **settings)


def learner_policy(algorithm: Algorithm, *, network=None, target: str | None = None,
                   tau: float | None = None, q_weights: str | None = None):
    """The :class:`imitation.policy.PolicyConfig` that ``algorithm`` trains: its head, with
    the options that head uses (``None``: :class:`PolicyConfig`'s default). ``target`` is a
    classification head's, ``tau`` and ``q_weights`` a regression head's; one given for the
    other head is a :class:`ConfigError` naming it."""
    from imitation.networks import NetworkConfig
    from imitation.policy import PolicyConfig

    regression = algorithm.head == "regression"
    for key, value, wanted in (("target", target, "classification"), ("tau", tau, "regression"),
                               ("q_weights", q_weights, "regression")):
        if value is not None and algorithm.head != wanted:
            raise ConfigError(key, f"applies to a {wanted} head only; {algorithm.name} trains a "
                                   f"{algorithm.head} head")
    d = PolicyConfig()
    return PolicyConfig(head=algorithm.head,
                        target=d.target if regression else (target or algorithm.default_target),
                        tau=tau or d.tau, q_weights=q_weights or d.q_weights,
                        network=network or NetworkConfig(), value_head=algorithm.value_head,
                        label_weights=algorithm.label_weights)
