"""Network resets inside a run: from time to time the learner starts again from a fresh
network, fitted on the whole dataset.

Every round of :func:`imitation.rounds.run_distillation` continues training the previous
round's network on the grown dataset. A network trained that way keeps what it learnt
from the first, small and poor datasets (the primacy bias of Nikishin et al. 2022, "The
Primacy Bias in Deep Reinforcement Learning"; on warm starts generalising worse than
fresh fits, Ash & Adams 2020). Here a fresh fit of the labels of a finished exit run
scored above the run's own last network (README, "A fresh fit of the capped run's
labels"). :class:`NetworkReset` makes that fresh fit part of the run, so that the fresh
network also guides the planner and drives the labelling games of the next rounds.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from common.errors import ConfigError

if TYPE_CHECKING:   # not at run time: the CLI imports this before torch
    from imitation.train_policy import TrainConfig


@dataclass(frozen=True)
class NetworkReset:
    """every:  the fits of rounds every, 2 every, 3 every, ... start from a freshly
            initialised network (0: never; round 0's fit always does).
    epochs: passes over the whole dataset of a reset round's fit, which the per-round
            step cap (``TrainConfig.max_steps``) does not bound.
    """

    every: int = 0
    epochs: int = 10

    def __post_init__(self):
        if self.every < 0:
            raise ConfigError("reset.every", f"must be >= 0, got {self.every}")
        if self.epochs <= 0:
            raise ConfigError("reset.epochs", f"must be positive, got {self.epochs}")

    def at(self, round: int) -> bool:
        """Whether the fit of ``round`` starts from a fresh network (round 0 is not a reset)."""
        return self.every > 0 and round > 0 and round % self.every == 0

    def fit(self, train: "TrainConfig", round: int) -> "TrainConfig":
        """The fitting settings of ``round``: a reset round's passes, uncapped; else ``train``."""
        return replace(train, epochs=self.epochs, max_steps=None) if self.at(round) else train
