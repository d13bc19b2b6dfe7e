"""What an expert returns for one real decision, and the interface every expert implements.

An :class:`Expert` (a labeller) decides at a root state: the UCT planners
(:class:`mcts.uct.UCTPlanner`, :class:`mcts.parallel.RootParallelPlanner`,
:class:`mcts.plain_uct.PlainUCT`), the RAM tracker (:mod:`imitation.tracker`), and any
later expert that uses the learner. Its :class:`Decision` is the label imitation learns
from. The loop that asks an expert at every real state is :mod:`mcts.episode`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class Decision:
    """One expert decision at a root state with A actions.

    action:  the chosen action (index into the environment's action set).
    q:       [A] float64, the mean discounted return of each root action (NaN where
             the action was never tried).
    visits:  [A] int64, root visit counts (including visits reused from the kept subtree).
    frames:  emulator frames spent on this decision (search only).
    skipped: True when every action led to the same next state, so no search ran and
             the decision must not be recorded as a label.
    value:   the expert's estimate of the state's value (a value target), or None.
    weight:  how much the label should count in training, or None (the default weight).
    prior:   [A] float64, the root prior pi(a | s) a guided PUCT search selected with
             (merged aliases' mass on their representative), or None without one.
    """

    action: int
    q: np.ndarray
    visits: np.ndarray
    frames: int
    skipped: bool = False
    value: float | None = None
    weight: float | None = None
    prior: np.ndarray | None = None


@dataclass(frozen=True)
class Footprint:
    """The memory an expert holds between decisions.

    nodes:          search-tree nodes kept after the last decision.
    bytes_per_node: what one kept node costs (tree arrays plus one emulator snapshot).
    """

    nodes: int
    bytes_per_node: int


class Expert(Protocol):
    """A labeller: at a root state it returns a :class:`Decision`."""

    def decide(self, root_state: Any, t: int) -> Decision:
        """Decide at ``root_state``, the real environment's snapshot (an
        :class:`envs.atari.AtariSnapshot`; the expert's model turns it into the state it
        restores with ``root_state``, which refuses another game's; it never steps the
        real environment); ``t`` numbers the decision
        within the episode and seeds whatever the expert draws."""

    def footprint(self) -> Footprint | None:
        """The memory held in this process after the last decision (None: nothing
        measured here, e.g. no tree, or trees kept in worker processes)."""
