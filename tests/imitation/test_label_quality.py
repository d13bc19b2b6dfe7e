"""Label quality (imitation.label_quality) with experts whose agreement is known."""
from __future__ import annotations

import contextlib
from functools import partial

import numpy as np
import pytest

from common.errors import ConfigError
from imitation import metrics
from imitation.label_quality import LabelQualityConfig, compare_labellers, scaled
from mcts.config import Budget, UCTConfig
from mcts.decision import Decision

PONG = (0, 1, 3, 4, 11, 12)   # directions 0 0 3 4 3 4
FRAMES = 10


class OneHot:
    """Q = one-hot of its action; the action is the state's (mod 6) when ``random`` is
    False, else uniformly random from (seed, decision); ``log`` records (seed, state, t)."""

    def __init__(self, seed: int, random: bool, log: list | None):
        self.seed, self.random, self.log = seed, random, log

    def decide(self, root_state, t):
        if self.log is not None:
            self.log.append((self.seed, root_state, t))
        a = int(np.random.default_rng([self.seed, t]).integers(6)) if self.random else root_state % 6
        return Decision(a, np.eye(6)[a], np.ones(6, np.int64), frames=FRAMES)

    def footprint(self):
        return None


def one_hot(random: bool, seed: int, log: list | None = None):
    return contextlib.nullcontext(OneHot(seed, random, log))


def test_a_deterministic_expert_agrees_with_itself_and_a_larger_one(monkeypatch):
    monkeypatch.setattr(metrics, "_warm", True)   # no untimed first decision in the log
    states = list(range(30))
    log: list = []
    q = compare_labellers(states, partial(one_hot, False, log=log), partial(one_hot, False), PONG, seed=5)
    for c in (q.independent, q.larger):
        assert c.actions.value == 1.0 and c.joystick.value == 1.0
        assert c.actions.informative == 30 and c.actions.states == 30
        assert c.actions.chance == pytest.approx(1 / 6) and c.joystick.chance == pytest.approx(1 / 3)
    # the labeller is seed + 1 and seed + 2 at each state, then seed + 1 against the
    # larger one (not logged); state i is decision i
    independent = [x for s in states for x in ((6, s, s), (7, s, s))]
    assert log == independent + [(6, s, s) for s in states]
    assert q.frames_per_decision == FRAMES
    assert q.labels_per_core_hour == pytest.approx(3600 * q.frames_per_second / FRAMES)


def test_a_random_expert_agrees_at_chance():
    states = list(range(1200))
    q = compare_labellers(states, partial(one_hot, True), partial(one_hot, True), PONG, seed=0)
    for c in (q.independent, q.larger):
        assert c.actions.chance == pytest.approx(1 / 6) and c.joystick.chance == pytest.approx(1 / 3)
        # 1200 fixed draws: the standard error is 0.011 (actions) and 0.014 (joystick)
        assert abs(c.actions.value - 1 / 6) < 0.04 and abs(c.joystick.value - 1 / 3) < 0.05
    assert not np.array_equal(q.independent.first, q.independent.second)   # other seeds, other draws


def test_the_larger_labeller_is_the_reference():
    states = list(range(40))
    q = compare_labellers(states, partial(one_hot, True), partial(one_hot, False), PONG, seed=2)
    np.testing.assert_array_equal(q.larger.first, np.arange(40) % 6)     # the deterministic (larger) one's
    np.testing.assert_array_equal(q.larger.second, q.independent.first)  # the labeller, seed + 1 both times
    assert q.larger.actions.value < 0.5 and q.independent.actions.value < 0.5


def test_budgets_scale_and_seconds_are_refused():
    assert scaled(Budget(frames=2000), 16) == Budget(frames=32_000)
    assert scaled(Budget(sims=5), 3) == Budget(sims=15)
    with pytest.raises(ConfigError, match="budget.seconds is not reproducible"):
        LabelQualityConfig("pong", UCTConfig(budget=Budget(seconds=1.0)))
    with pytest.raises(ConfigError, match="budget_factor must be >= 1"):
        LabelQualityConfig("pong", UCTConfig(), budget_factor=0)


def test_the_sampler_finds_its_states_with_a_named_action_set():
    """Without FIRE, Pong's RAM is equal one step after different moves, so a RAM skip rule
    would skip nearly every decision of the sampling game (3 of 40 states in a whole
    game): with a named action set the sampler does not skip."""
    from envs.atari import AtariConfig
    from imitation.label_quality import sample_states

    config = LabelQualityConfig("pong", UCTConfig(budget=Budget(sims=4), max_depth=5, merge_aliases=True),
                                AtariConfig(actions=("NOOP", "RIGHT", "LEFT"), max_episode_frames=2000),
                                states=20, stride=10)
    states, action_set = sample_states(config)
    assert len(states) == 20 and action_set == (0, 3, 4)
