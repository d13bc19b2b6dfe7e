"""What a guided search asks of a learned network (:class:`mcts.guided.GuidedUCT`).

A :class:`Guide` evaluates a batch of B observations of the planning model
(``model.observation()``: [4, 84, 84] uint8 frame stacks on Atari, state indices on the
synthetic problems) in one call. :class:`imitation.policy.DistilledPolicy` is one; the
tests use :class:`TableGuide`.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np


class Guide(Protocol):
    has_value: bool   # evaluate() returns a value

    def evaluate(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """obs [B, *obs_shape] -> (log pi [B, A] float64, value [B] float64, or None for a
        network without a value output)."""


class TableGuide:
    """A guide over a finite model's states (observations are state indices [B, 1]):
    ``log_pi`` [S, A] and ``value`` [S] (or None)."""

    def __init__(self, log_pi: np.ndarray, value: np.ndarray | None = None):
        self.log_pi = np.asarray(log_pi, np.float64)
        self.value = None if value is None else np.asarray(value, np.float64)
        self.has_value = self.value is not None
        self.calls = 0

    @classmethod
    def preferring(cls, actions: np.ndarray, num_actions: int, value: np.ndarray | None = None,
                   sharpness: float = 20.0) -> "TableGuide":
        """A policy putting almost all its mass on ``actions`` [S] (one action per state)."""
        logits = np.zeros((len(actions), num_actions))
        logits[np.arange(len(actions)), actions] = sharpness
        return cls(logits - np.logaddexp.reduce(logits, axis=1, keepdims=True), value)

    def evaluate(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        self.calls += 1
        s = np.asarray(obs, np.int64).reshape(len(obs), -1)[:, 0]
        return self.log_pi[s], None if self.value is None else self.value[s]
