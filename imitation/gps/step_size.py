"""Adapting the KL step per condition from predicted against actual improvement.

Levine et al. 2016 (Appendix A.2): model the improvement of the expected cost as
``I(eps) = a eps + b eps^2``, with ``a`` from the improvement the old local model
predicted for the new controller and ``b`` from how far the improvement actually
measured (under the newly fitted model) fell short; the optimal step is then
``eps' = predicted / (2 (predicted - actual)) * eps``.

Constants (the 2017 GPS codebase, ``algorithm.py``): the per-iteration multiplier is
clipped to ``[0.1, 5]`` (listed in ``shared/anchors.md``); the shortfall is floored at
``1e-4``; the accumulated step multiplier stays in ``[0.01, 10]`` (its
``min_step_mult``/``max_step_mult`` defaults).
"""
from __future__ import annotations

MULTIPLIER_CLIP = (0.1, 5.0)
SHORTFALL_FLOOR = 1e-4
STEP_MULT_RANGE = (0.01, 10.0)


def adapted_step_mult(step_mult: float, predicted: float, actual: float) -> float:
    """The next step multiplier given the cost improvement ``predicted`` by the previous
    local model and the ``actual`` one (both ``previous cost - new cost``)."""
    new_mult = predicted / (2.0 * max(SHORTFALL_FLOOR, predicted - actual))
    new_mult = min(max(new_mult, MULTIPLIER_CLIP[0]), MULTIPLIER_CLIP[1])
    return min(max(new_mult * step_mult, STEP_MULT_RANGE[0]), STEP_MULT_RANGE[1])
