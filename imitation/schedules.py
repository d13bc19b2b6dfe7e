"""Per-round mixing schedules for DAgger and PLATO, shared by Atari and continuous control.

DAgger (Ross, Gordon & Bagnell 2011) collects round i of R with the mixture
pi_i = beta_i * expert + (1 - beta_i) * learner, drawn per step. Rounds count from 0:

* :class:`IndicatorBeta`:   beta_0 = 1, beta_i = 0 for i >= 1. With it DAgger is Guo et
  al.'s (2014) UCTtoClassification-Interleaved: the planner drives round 0 only.
* :class:`ExponentialBeta`: beta_i = p^i.
* :class:`LinearBeta`:      beta_i = max(0, 1 - i / (R - 1)) over the run's R rounds: 1 in
  round 0, 0 in the last round R - 1 (R = 1 gives beta_0 = 1 and 0 afterwards).
* :class:`ConstantBeta`:    beta_i = p in every round (p = 1: the expert always acts,
  expert iteration's default).

A beta schedule is called with the round and the run's number of rounds, so a schedule
object does not depend on how long the run is (a run extended with ``--resume`` keeps it).

PLATO (Kahn et al. 2017) has no beta: its acting teacher trades the expert's values
against a KL term to the learner with weight lambda (see :mod:`imitation.plato`);
:class:`GeometricLambda` gives lambda_i = lambda_0 * ratio^i, decreasing for ratio < 1.

Each schedule is a frozen dataclass whose ``name`` field says which schedule it is, so a
config serialised from the objects (``config.json``) names it; ``str(schedule)`` is the
text :func:`parse_beta_schedule` / :func:`parse_lambda_schedule` read back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from common.errors import ConfigError


class BetaSchedule(Protocol):
    name: str

    def __call__(self, round: int, rounds: int) -> float:
        """The probability that the expert's action is executed at a step of ``round``
        (counting from 0) of a run of ``rounds`` rounds."""


def _check_round(round: int) -> None:
    if round < 0:
        raise ValueError(f"rounds count from 0, got {round}")


@dataclass(frozen=True)
class IndicatorBeta:
    """beta_i = 1 if i == 0 else 0."""

    name: str = field(default="indicator", init=False)

    def __call__(self, round: int, rounds: int) -> float:
        _check_round(round)
        return 1.0 if round == 0 else 0.0

    def __str__(self) -> str:
        return "indicator"


@dataclass(frozen=True)
class ExponentialBeta:
    """beta_i = p^i, 0 <= p <= 1."""

    name: str = field(default="exponential", init=False)
    p: float = 0.5

    def __post_init__(self):
        if not 0.0 <= self.p <= 1.0:
            raise ConfigError("p", f"must be in [0, 1], got {self.p}")

    def __call__(self, round: int, rounds: int) -> float:
        _check_round(round)
        return float(self.p ** round)

    def __str__(self) -> str:
        return f"exponential:{self.p:g}"


@dataclass(frozen=True)
class LinearBeta:
    """beta_i = max(0, 1 - i / (R - 1)) over R rounds: from 1 in round 0 to 0 in round R - 1."""

    name: str = field(default="linear", init=False)

    def __call__(self, round: int, rounds: int) -> float:
        _check_round(round)
        if rounds <= 0:
            raise ValueError(f"a run has at least one round, got {rounds}")
        if rounds == 1:
            return 1.0 if round == 0 else 0.0
        return max(0.0, 1.0 - round / (rounds - 1))

    def __str__(self) -> str:
        return "linear"


@dataclass(frozen=True)
class ConstantBeta:
    """beta_i = p in every round, 0 <= p <= 1."""

    name: str = field(default="constant", init=False)
    p: float = 1.0

    def __post_init__(self):
        if not 0.0 <= self.p <= 1.0:
            raise ConfigError("p", f"must be in [0, 1], got {self.p}")

    def __call__(self, round: int, rounds: int) -> float:
        _check_round(round)
        return float(self.p)

    def __str__(self) -> str:
        return f"constant:{self.p:g}"


@dataclass(frozen=True)
class GeometricLambda:
    """lambda_i = initial * ratio^i: PLATO's KL weight in round i (ratio < 1 decreases)."""

    name: str = field(default="geometric", init=False)
    initial: float = 1.0
    ratio: float = 0.5

    def __post_init__(self):
        for key in ("initial", "ratio"):
            if not getattr(self, key) > 0:
                raise ConfigError(key, f"must be > 0, got {getattr(self, key)}")

    def __call__(self, round: int) -> float:
        _check_round(round)
        return float(self.initial * self.ratio ** round)

    def __str__(self) -> str:
        return f"{self.initial:g}:{self.ratio:g}"


def schedule_from_json(data: dict):
    """A schedule as ``config.json`` holds it (``{"name": "exponential", "p": 0.5}``) -> the
    object; an unknown name is a :class:`ConfigError` naming ``schedule``."""
    classes = {cls.name: cls for cls in (IndicatorBeta, ExponentialBeta, LinearBeta, ConstantBeta,
                                         GeometricLambda)}
    if data.get("name") not in classes:
        raise ConfigError("schedule", f"{data.get('name')!r} is not a schedule")
    return classes[data["name"]](**{k: v for k, v in data.items() if k != "name"})


def parse_beta_schedule(text: str) -> BetaSchedule:
    """``indicator``, ``exponential`` / ``exponential:P`` (default P = 0.5), ``linear``,
    ``constant:P`` -> a schedule; anything else is a :class:`ConfigError` naming ``beta``."""
    name, _, arg = text.partition(":")
    try:
        if name == "indicator" and not arg:
            return IndicatorBeta()
        if name == "exponential":
            return ExponentialBeta(float(arg)) if arg else ExponentialBeta()
        if name == "linear" and not arg:
            return LinearBeta()
        if name == "constant" and arg:
            return ConstantBeta(float(arg))
    except ValueError as exc:
        raise ConfigError("beta", f"{text}: {exc}") from None
    raise ConfigError("beta", f"{text} is not a beta schedule: expected indicator, exponential[:P], "
                              f"linear or constant:P")


def parse_lambda_schedule(text: str) -> GeometricLambda:
    """``L0`` or ``L0:RATIO`` (e.g. ``1.0:0.5``) -> :class:`GeometricLambda`; anything else
    is a :class:`ConfigError` naming ``lam``."""
    initial, _, ratio = text.partition(":")
    try:
        return GeometricLambda(float(initial), float(ratio)) if ratio else GeometricLambda(float(initial))
    except ValueError as exc:
        raise ConfigError("lam", f"{text} is not a lambda schedule: expected L0[:RATIO] with both > 0 "
                                 f"({exc})") from None
