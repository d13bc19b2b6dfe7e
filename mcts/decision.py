"""What the planner returns for one real decision: the labels imitation learns from."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Decision:
    """One planner decision at a root state with A actions.

    action:  the chosen action (index into the environment's action set).
    q:       [A] float64, the mean discounted return of each root action (NaN where
             the action was never tried).
    visits:  [A] int64, root visit counts (including visits reused from the kept subtree).
    frames:  emulator frames spent on this decision (search only).
    skipped: True when every action led to the same next state, so no search ran and
             the decision must not be recorded as a label.
    """

    action: int
    q: np.ndarray
    visits: np.ndarray
    frames: int
    skipped: bool = False
