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
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

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
