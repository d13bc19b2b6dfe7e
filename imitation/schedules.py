"""Per-round mixing schedules for DAgger and PLATO, shared by Atari and continuous control.

DAgger (Ross, Gordon & Bagnell 2011) collects round i with the mixture
pi_i = beta_i * expert + (1 - beta_i) * learner, drawn per step. Rounds count from 0:

* :class:`IndicatorBeta`:   beta_0 = 1, beta_i = 0 for i >= 1. With it DAgger is Guo et
  al.'s (2014) UCTtoClassification-Interleaved: the planner drives round 0 only.
* :class:`ExponentialBeta`: beta_i = p^i.
* :class:`LinearBeta`:      beta_i = max(0, 1 - i / (R - 1)) over R rounds: 1 in round 0,
  0 in the last round R - 1 (R = 1 gives beta_0 = 1 and 0 afterwards).

PLATO (Kahn et al. 2017) has no beta: its acting teacher trades the expert's values
against a KL term to the learner with weight lambda (see :mod:`imitation.plato`);
:class:`GeometricLambda` gives lambda_i = lambda_0 * ratio^i, decreasing for ratio < 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from common.errors import DistillError


class BetaSchedule(Protocol):
    def __call__(self, round: int) -> float:
        """The probability that the expert's action is executed at a step of ``round``."""


def _check_round(round: int) -> None:
    if round < 0:
        raise ValueError(f"rounds count from 0, got {round}")


@dataclass(frozen=True)
class IndicatorBeta:
    """beta_i = 1 if i == 0 else 0."""

    def __call__(self, round: int) -> float:
        _check_round(round)
        return 1.0 if round == 0 else 0.0


@dataclass(frozen=True)
class ExponentialBeta:
    """beta_i = p^i, 0 <= p <= 1."""

    p: float = 0.5

    def __post_init__(self):
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {self.p}")

    def __call__(self, round: int) -> float:
        _check_round(round)
        return float(self.p ** round)


@dataclass(frozen=True)
class LinearBeta:
    """beta_i = max(0, 1 - i / (R - 1)): from 1 in round 0 to 0 in round R - 1."""

    rounds: int

    def __post_init__(self):
        if self.rounds <= 0:
            raise ValueError(f"rounds must be positive, got {self.rounds}")

    def __call__(self, round: int) -> float:
        _check_round(round)
        if self.rounds == 1:
            return 1.0 if round == 0 else 0.0
        return max(0.0, 1.0 - round / (self.rounds - 1))


@dataclass(frozen=True)
class GeometricLambda:
    """lambda_i = initial * ratio^i: PLATO's KL weight in round i (ratio < 1 decreases)."""

    initial: float = 1.0
    ratio: float = 0.5

    def __post_init__(self):
        if not self.initial > 0 or not self.ratio > 0:
            raise ValueError("initial and ratio must be > 0")

    def __call__(self, round: int) -> float:
        _check_round(round)
        return float(self.initial * self.ratio ** round)


def parse_beta_schedule(text: str, rounds: int) -> BetaSchedule:
    """``indicator``, ``exponential`` / ``exponential:P`` (default P = 0.5), ``linear``
    (over ``rounds`` rounds) -> a schedule; anything else is a :class:`DistillError`."""
    name, _, arg = text.partition(":")
    try:
        if name == "indicator" and not arg:
            return IndicatorBeta()
        if name == "exponential":
            return ExponentialBeta(float(arg)) if arg else ExponentialBeta()
        if name == "linear" and not arg:
            return LinearBeta(rounds)
    except ValueError as exc:
        raise DistillError(f"--schedule {text}: {exc}") from None
    raise DistillError(f"--schedule {text}: expected indicator, exponential[:P] or linear")


def parse_lambda_schedule(text: str) -> GeometricLambda:
    """``L0`` or ``L0:RATIO`` (e.g. ``1.0:0.5``) -> :class:`GeometricLambda`."""
    initial, _, ratio = text.partition(":")
    try:
        return GeometricLambda(float(initial), float(ratio)) if ratio else GeometricLambda(float(initial))
    except ValueError as exc:
        raise DistillError(f"lambda schedule {text}: expected L0[:RATIO] with both > 0 ({exc})") from None
