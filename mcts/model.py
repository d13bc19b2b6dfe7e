"""What the planner needs from an environment: a deterministic simulator with snapshots.

Implemented by :class:`envs.atari.AtariPlanningModel` (the emulator) and by the small
known-answer problems in :mod:`envs.synthetic`.
"""
from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class Model(Protocol):
    num_actions: int
    key_size: int      # length of state_key()
    frames: int        # running count of emulator frames stepped (the budget's unit)
    state_nbytes: int  # bytes of one snapshot, for the memory report

    def clone_state(self) -> Any:
        """An opaque, restorable copy of the current simulator state."""

    def restore_state(self, state: Any) -> None:
        """Make ``state`` the current state."""

    def root_state(self, real: Any) -> Any:
        """The state to search from at a real environment's state ``real`` (on Atari its
        :class:`envs.atari.AtariSnapshot`; one of another game is refused)."""

    def step(self, action: int) -> tuple[float, bool]:
        """Advance one agent step. Returns (reward as the planner sees it, terminal)."""

    def state_identity(self, state: Any) -> bytes:
        """A snapshot's exact identity: snapshots with equal bytes have the same future
        under every action sequence (on Atari the whole serialised emulator state; the
        RAM alone is not enough, see :attr:`mcts.config.UCTConfig.merge_aliases`)."""

    def state_key(self) -> np.ndarray:
        """[key_size] uint8 identifying the state (the RAM on Atari): the skip rule
        treats states with equal keys as the same."""
