"""A wall-clock budget for a run of rounds: start a round only if it is expected to end in time.

The headline goals are budgets of wall time ("Pong >= +15 within 2.5 hours on 2 cores"),
so ``distill train --max-hours H`` makes the budget part of the command: before each round
the loop of :func:`imitation.rounds.run_distillation` asks :meth:`TimeBudget.allows`
whether the rounds so far plus the round to come fit within ``H`` hours, and stops
otherwise. The clock is result.json's: the sum of the rounds' ``wall_seconds``
(labelling, fitting and each round's evaluation), over every ``--resume``, so a run
stopped and resumed keeps one budget. A stopped run resumes with a larger ``--max-hours``.

The round to come is expected to take as long as the last round of its kind (a reset
round, :mod:`imitation.resets`, or not; round 0, the plain planner, counts as neither):
a round's labelling and its capped fit stay nearly constant from round to round, while
a reset round's fit, a few passes over the whole dataset, grows with it, so the last
reset round's time is scaled by how much the dataset has grown since.

:class:`Deadline` is the other budget a round loop takes: a limit on one invocation of a
command that trains many runs (``distill compare --stop-after-hours H``), measured on the
clock from the command's start, so that a compare longer than a session stops cleanly
between rounds and ``--resume`` continues it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol, Sequence

from common.errors import ConfigError


@dataclass(frozen=True)
class TimeBudget:
    """hours: the wall time, in hours, within which the run's rounds must end."""

    hours: float

    def __post_init__(self):
        if not self.hours > 0:
            raise ConfigError("max_hours", f"must be positive, got {self.hours}")

    @property
    def seconds(self) -> float:
        return 3600.0 * self.hours

    @staticmethod
    def spent(rounds: Sequence[dict]) -> float:
        """Seconds of the rounds so far (result.json entries with ``wall_seconds``)."""
        return float(sum(entry["wall_seconds"] for entry in rounds))

    @staticmethod
    def expected(rounds: Sequence[dict], reset: bool) -> float:
        """Seconds the next round is expected to take, ``reset`` telling whether it is a
        reset round; 0 before any round (round 0 always runs)."""
        if not rounds:
            return 0.0
        alike = [e for e in rounds[1:] if bool(e.get("network_reset")) == reset]
        if not alike:
            return float(rounds[-1]["wall_seconds"])
        last = alike[-1]
        if not reset:
            return float(last["wall_seconds"])
        growth = rounds[-1]["labels_total"] / max(last["labels_total"], 1)
        return float(last["wall_seconds"]) * max(growth, 1.0)

    def allows(self, rounds: Sequence[dict], reset: bool) -> bool:
        """Whether the next round (a reset round if ``reset``) is expected to end within
        the budget, after ``rounds``."""
        return self.spent(rounds) + self.expected(rounds, reset) <= self.seconds

    def stop_message(self, rounds: Sequence[dict], reset: bool) -> str:
        r = len(rounds)
        return (f"--max-hours {self.hours:g}: stopping before round {r} ({self.spent(rounds) / 3600:.2f} h "
                f"of rounds so far, round {r} expected to take {self.expected(rounds, reset) / 60:.1f} min); "
                f"--resume with a larger --max-hours continues")


@dataclass(frozen=True)
class Deadline:
    """hours: the wall time, from ``start`` (a :func:`time.monotonic` reading; default: when
    it is made), within which this command's rounds must end. A round starts only if it is
    expected (:meth:`TimeBudget.expected`, from its own run's rounds) to end in time, so a
    run's round 0 starts whenever the deadline has not passed."""

    hours: float
    start: float = field(default_factory=time.monotonic)

    def __post_init__(self):
        if not self.hours > 0:
            raise ConfigError("stop_after_hours", f"must be positive, got {self.hours}")

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def allows(self, rounds: Sequence[dict], reset: bool) -> bool:
        return self.elapsed() + TimeBudget.expected(rounds, reset) <= 3600.0 * self.hours

    def stop_message(self, rounds: Sequence[dict], reset: bool) -> str:
        r = len(rounds)
        return (f"--stop-after-hours {self.hours:g}: stopping before round {r} ({self.elapsed() / 3600:.2f} h "
                f"since the start, round {r} expected to take {TimeBudget.expected(rounds, reset) / 60:.1f} "
                f"min); --resume continues")


class RoundBudget(Protocol):
    """What the round loop asks of a budget (:class:`TimeBudget`, :class:`Deadline`)."""

    def allows(self, rounds: Sequence[dict], reset: bool) -> bool: ...

    def stop_message(self, rounds: Sequence[dict], reset: bool) -> str: ...
