"""Which round a run keeps as ``best.pt`` (:func:`imitation.rounds.best_round`)."""
from __future__ import annotations

from imitation.rounds import best_round


def _rounds(scores):
    return [{"round": r, "eval_mean": s} for r, s in enumerate(scores)]


def test_the_best_round_scored_highest_and_a_tie_goes_to_the_later_round():
    assert best_round(_rounds([-21.0, -3.0, 5.0, 2.0])) == 2
    assert best_round(_rounds([-21.0, 5.0, 2.0, 5.0])) == 3
    assert best_round(_rounds([-21.0])) == 0
