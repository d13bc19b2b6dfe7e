"""The wall-clock budget of a run (``distill train --max-hours``, :mod:`imitation.time_budget`):
what the next round is expected to cost, and when the run stops."""
from __future__ import annotations

import pytest

from common.errors import ConfigError
from imitation.time_budget import Deadline, TimeBudget


def _round(r: int, seconds: float, labels_total: int, reset: bool = False) -> dict:
    return {"round": r, "wall_seconds": seconds, "labels_total": labels_total, "network_reset": reset}


# Round 0 (the plain planner) is slow, the capped rounds fast, the reset round (4) slower.
ROUNDS = [_round(0, 600.0, 6_000), _round(1, 200.0, 12_000), _round(2, 210.0, 18_000),
          _round(3, 220.0, 24_000), _round(4, 400.0, 30_000, reset=True), _round(5, 230.0, 36_000)]


def test_the_next_round_costs_as_much_as_the_last_of_its_kind():
    assert TimeBudget.expected([], reset=False) == 0.0                 # round 0 always runs
    assert TimeBudget.expected(ROUNDS[:1], reset=False) == 600.0       # only round 0 to go by
    assert TimeBudget.expected(ROUNDS[:1], reset=True) == 600.0
    assert TimeBudget.expected(ROUNDS[:4], reset=False) == 220.0       # round 3, not round 0
    assert TimeBudget.expected(ROUNDS[:4], reset=True) == 220.0        # no reset round yet
    assert TimeBudget.expected(ROUNDS, reset=False) == 230.0           # round 5, not the reset round
    # a reset round's fit grows with the dataset: round 4's 400 s at 30,000 labels, now 36,000
    assert TimeBudget.expected(ROUNDS, reset=True) == pytest.approx(400.0 * 36_000 / 30_000)


def test_a_round_starts_only_if_it_is_expected_to_end_within_the_budget():
    spent = TimeBudget.spent(ROUNDS)
    assert spent == 1860.0
    assert TimeBudget((spent + 230.0) / 3600).allows(ROUNDS, reset=False)
    assert not TimeBudget((spent + 229.0) / 3600).allows(ROUNDS, reset=False)
    assert not TimeBudget((spent + 230.0) / 3600).allows(ROUNDS, reset=True)   # 480 s expected
    assert TimeBudget(1e-9).allows([], reset=False)


@pytest.mark.parametrize("hours", [0.0, -1.0, float("nan")])
def test_a_budget_must_be_positive(hours):
    with pytest.raises(ConfigError, match="max_hours"):
        TimeBudget(hours)


def test_a_deadline_counts_from_the_command_s_start_and_expects_rounds_as_the_budget_does():
    import time

    started = Deadline(1.0, start=time.monotonic() - 3200.0)     # 400 s of the hour left
    assert started.allows(ROUNDS, reset=False)                 # 230 s expected
    assert not started.allows(ROUNDS, reset=True)              # 480 s expected
    assert not Deadline(1.0, start=time.monotonic() - 3400.0).allows(ROUNDS, reset=False)
    assert Deadline(1.0, start=time.monotonic() - 3400.0).allows([], reset=False)   # round 0 always runs
    assert not Deadline(1.0, start=time.monotonic() - 3601.0).allows([], reset=False)   # ... until it has passed
    with pytest.raises(ConfigError) as err:
        Deadline(0.0)
    assert err.value.field == "stop_after_hours"
