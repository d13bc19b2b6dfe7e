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

With ``decide_at`` the expert is consulted on demand instead: the actor gets a
:class:`DeferredDecision`, which searches the first time one of its fields is read, and
the expert decides at step t only if the actor reads it or ``decide_at(t)`` is true (a
labelling rule that lets the learner act without the planner's search; the search of
step t is seeded by t alone, so it does not matter that it runs after the actor's draws).

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
    decision:   the expert's decision (None without an expert, or where it did not decide).
    action:     the executed action.
    reward:     the raw reward of the step.
    terminated: the game ended with this step.
    truncated:  the environment cut the episode with this step (e.g. its frame cap).
    life_lost:  a life was lost on this step.
    seconds:    wall time of the expert's decision (0 without one, or where it did not decide).
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


class DeferredDecision:
    """The expert's decision at one real state, searched the first time a field of it is
    read (``deferred.action`` reads like ``decision.action``). ``searched``: the decision
    once made (None before); ``search_seconds``: its wall time."""

    def __init__(self, expert: Expert, state: Any, t: int):
        self._expert, self._state, self._t = expert, state, t
        self.searched: Decision | None = None
        self.search_seconds = 0.0

    def get(self) -> Decision:
        """The decision (searching now if it has not yet)."""
        if self.searched is None:
            t0 = time.perf_counter()
            self.searched = self._expert.decide(self._state, self._t)
            self.search_seconds = time.perf_counter() - t0
        return self.searched

    def __getattr__(self, name: str):
        return getattr(self.get(), name)


class Episode:
    """Iterate to play one episode from ``obs`` (``env`` just reset); the running totals
    ``score`` (raw), ``steps``, ``lives_lost`` and ``terminated`` describe the turns
    played so far. ``decide_at(t)``: consult the expert on demand (see the module)."""

    def __init__(self, env: PlayEnv, obs: np.ndarray, actor: Actor, rng: Any = None,
                 expert: Expert | None = None, decide_at: Callable[[int], bool] | None = None):
        if decide_at is not None and expert is None:
            raise ValueError("decide_at needs an expert")
        self.env, self.obs, self.actor, self.rng, self.expert = env, obs, actor, rng, expert
        self.decide_at = decide_at
        self.score, self.steps, self.lives_lost, self.terminated = 0.0, 0, 0, False

    def __iter__(self) -> Iterator[Turn]:
        env, expert = self.env, self.expert
        while True:
            t, obs = self.steps, self.obs
            state, decision, seconds = None, None, 0.0
            if expert is None:
                action = self.actor(None, obs, self.rng)
            else:
                state = env.snapshot()
                pending = DeferredDecision(expert, state, t)
                if self.decide_at is None:   # eager: the search runs before the actor
                    action = self.actor(pending.get(), obs, self.rng)
                else:
                    action = self.actor(pending, obs, self.rng)
                    if self.decide_at(t):
                        pending.get()
                decision, seconds = pending.searched, pending.search_seconds
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
