"""The one episode loop: an optional expert decides at every real state, an actor picks
the executed action, the environment steps.

Label collection (:mod:`imitation.collect`), ``distill plan`` (:mod:`mcts.play`), policy
evaluation (:mod:`imitation.evaluate`), the expert's own score and the benchmarks all
play through :class:`Episode`; what they record, render or stop on is theirs, done on the
:class:`Turn` each step yields.

At every step, in this order:

1. with an expert, ``expert.decide(env.snapshot(), t)`` at the real state (it
   searches in its own simulator and never steps ``env``; its wall time is kept);
2. ``actor(decision, obs, rng)`` picks the executed action (``decision`` is None without
   an expert), drawing from ``rng`` only;
3. ``env.step(action)``; the score, steps and lives lost are counted, then the turn is
   yielded.

The episode ends after the turn on which the environment terminates or truncates; a
caller that stops earlier (a label cap, a step limit) breaks out of the iteration.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol

import numpy as np

from mcts.decision import Decision, Expert

Actor = Callable[[Decision | None, np.ndarray, Any], int]
"""(decision or None, obs, rng) -> the executed action."""


class PlayEnv(Protocol):
    """What the loop needs from the real environment (:class:`envs.atari.AtariEnv`)."""

    lives: int

    def snapshot(self) -> Any:
        """The real state an expert decides at (:class:`envs.atari.AtariSnapshot`)."""

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        """gymnasium's step; ``info["lives"]`` is the lives left after it."""


@dataclass(frozen=True)
class Turn:
    """One real step.

    t:          the step's index in the episode (the expert's decision number).
    state:      the root state the expert decided at (None without an expert).
    obs:        the observation the step was taken from (e.g. [4, 84, 84] uint8).
    decision:   the expert's decision (None without an expert).
    action:     the executed action.
    reward:     the raw reward of the step.
    terminated: the game ended with this step.
    truncated:  the environment cut the episode with this step (e.g. its frame cap).
    life_lost:  a life was lost on this step.
    seconds:    wall time of the expert's decision (0 without an expert).
    """

    t: int
    state: Any
    obs: np.ndarray
    decision: Decision | None
    action: int
    reward: float
    terminated: bool
    truncated: bool
    life_lost: bool
    seconds: float

    @property
    def last(self) -> bool:
        """The environment ended the episode on this step."""
        return self.terminated or self.truncated


class Episode:
    """Iterate to play one episode from ``obs`` (``env`` just reset); the running totals
    ``score`` (raw), ``steps``, ``lives_lost`` and ``terminated`` describe the turns
    played so far."""

    def __init__(self, env: PlayEnv, obs: np.ndarray, actor: Actor, rng: Any = None,
                 expert: Expert | None = None):
        self.env, self.obs, self.actor, self.rng, self.expert = env, obs, actor, rng, expert
        self.score, self.steps, self.lives_lost, self.terminated = 0.0, 0, 0, False

    def __iter__(self) -> Iterator[Turn]:
        env, expert = self.env, self.expert
        while True:
            t, obs = self.steps, self.obs
            state, decision, seconds = None, None, 0.0
            if expert is not None:
                state = env.snapshot()
                t0 = time.perf_counter()
                decision = expert.decide(state, t)
                seconds = time.perf_counter() - t0
            action = self.actor(decision, obs, self.rng)
            lives = env.lives
            self.obs, reward, terminated, truncated, info = env.step(action)
            life_lost = bool(info["lives"] < lives)
            self.score += reward
            self.steps += 1
            self.lives_lost += int(life_lost)
            self.terminated = bool(terminated)
            turn = Turn(t, state, obs, decision, int(action), reward, bool(terminated), bool(truncated),
                        life_lost, seconds)
            yield turn
            if turn.last:
                return


def expert_acts(decision: Decision, obs: np.ndarray, rng: Any) -> int:
    """The actor that executes the expert's own action (draws nothing)."""
    return int(decision.action)
