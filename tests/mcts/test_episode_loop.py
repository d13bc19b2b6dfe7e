"""The one episode loop: who is asked what, in which order, and what it counts."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from mcts.decision import Decision
from mcts.episode import Episode, expert_acts

A = 3


@dataclass
class _Snap:
    ale_state: int


class CountingEnv:
    """State t: obs filled with t; reward t; a life lost on the steps in ``deaths``; the
    game ends after ``length`` steps, or is truncated after ``truncate_at``."""

    def __init__(self, length=6, deaths=(), truncate_at=None):
        self.t, self.length, self.deaths, self.truncate_at = 0, length, set(deaths), truncate_at
        self.lives, self.log, self.snapshots = 3, [], 0

    def snapshot(self):
        self.snapshots += 1
        self.log.append(("snapshot", self.t))
        return _Snap(self.t)

    def step(self, action):
        self.log.append(("step", self.t, action))
        reward = float(self.t)
        self.lives -= self.t in self.deaths
        self.t += 1
        terminated = self.t >= self.length
        truncated = not terminated and self.truncate_at is not None and self.t >= self.truncate_at
        return np.full(2, self.t), reward, terminated, truncated, {"lives": self.lives}


class LoggingExpert:
    def __init__(self, env):
        self.env = env

    def decide(self, root_state, t):
        self.env.log.append(("decide", root_state.ale_state, t))
        return Decision((t + 1) % A, np.zeros(A), np.ones(A, np.int64), frames=10)

    def footprint(self):
        return None


def test_the_expert_decides_at_the_real_state_then_the_actor_then_the_step():
    env = CountingEnv(length=3)
    seen = []

    def actor(decision, obs, rng):
        seen.append((decision.action, int(obs[0]), rng))
        return decision.action

    turns = list(Episode(env, np.full(2, 0), actor, rng="R", expert=LoggingExpert(env)))
    assert env.log == [("snapshot", 0), ("decide", 0, 0), ("step", 0, 1),
                       ("snapshot", 1), ("decide", 1, 1), ("step", 1, 2),
                       ("snapshot", 2), ("decide", 2, 2), ("step", 2, 0)]
    assert seen == [(1, 0, "R"), (2, 1, "R"), (0, 2, "R")]   # the obs before each step
    assert [t.state for t in turns] == [_Snap(0), _Snap(1), _Snap(2)] and [t.action for t in turns] == [1, 2, 0]
    assert [t.last for t in turns] == [False, False, True] and turns[-1].terminated


def test_totals_and_the_end_of_an_episode():
    env = CountingEnv(length=10, deaths=(1, 3), truncate_at=5)
    episode = Episode(env, np.zeros(2), lambda d, obs, rng: 0)
    turns = list(episode)
    assert len(turns) == 5 and turns[-1].truncated and not turns[-1].terminated   # cut by the env
    assert (episode.score, episode.steps, episode.lives_lost, episode.terminated) == (10.0, 5, 2, False)
    assert [t.life_lost for t in turns] == [False, True, False, True, False]
    assert env.snapshots == 0 and all(t.decision is None and t.seconds == 0.0 for t in turns)  # no expert


def test_a_caller_stops_the_episode_by_breaking():
    env = CountingEnv(length=10)
    episode = Episode(env, np.zeros(2), expert_acts, expert=LoggingExpert(env))
    for turn in episode:
        if episode.steps >= 4:
            break
    assert episode.steps == 4 and env.t == 4 and not episode.terminated and episode.score == 6.0
    assert [e[2] for e in env.log if e[0] == "step"] == [1, 2, 0, 1]   # the expert's own actions


def test_a_deferred_expert_decides_only_when_read_or_asked():
    """With decide_at, the actor gets the decision lazily: the expert searches at step t
    only if the actor reads it (odd t here) or decide_at(t) (t == 4), after the actor."""
    env = CountingEnv(length=6)

    def actor(decision, obs, rng):
        return decision.action if int(obs[0]) % 2 else 0   # obs [2] holds the step

    turns = list(Episode(env, np.zeros(2), actor, expert=LoggingExpert(env), decide_at=lambda t: t == 4))
    decided = [entry[2] for entry in env.log if entry[0] == "decide"]
    assert decided == [1, 3, 4, 5]
    assert [t.decision is not None for t in turns] == [False, True, False, True, True, True]
    assert [t.action for t in turns] == [0, 2, 0, 1, 0, 0]    # (t + 1) % 3 where read
    assert all(t.seconds == 0.0 for t in turns if t.decision is None) and env.snapshots == 6
    assert env.log.index(("decide", 4, 4)) < env.log.index(("step", 4, 0))
    with pytest.raises(ValueError, match="needs an expert"):
        Episode(env, np.zeros(2), actor, decide_at=lambda t: True)
