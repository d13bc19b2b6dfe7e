"""The headline measures on small inputs with known answers."""
from __future__ import annotations

import contextlib
import math
import time
from functools import partial

import numpy as np
import pytest

from imitation import metrics
from imitation.metrics import (agreement, consistency, fidelity, informative, joystick_agreement,
                               joystick_match, label_consistency)
from mcts.decision import Decision

PONG = (0, 1, 3, 4, 11, 12)   # NOOP FIRE RIGHT LEFT RIGHTFIRE LEFTFIRE: directions 0 0 3 4 3 4
NAN = math.nan


def test_fidelity_is_zero_at_random_one_at_the_expert_and_undefined_without_a_gap():
    assert fidelity(5.0, expert=15.0, random=-5.0) == pytest.approx(0.5)
    assert fidelity(-5.0, 15.0, -5.0) == 0.0 and fidelity(15.0, 15.0, -5.0) == 1.0
    assert fidelity(-21.0, expert=-20.0, random=-21.0) == 0.0
    assert math.isnan(fidelity(3.0, 2.0, 2.0))


def test_informative_states_are_those_where_the_expert_preferred_something():
    q = np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 1.0], [NAN, 2.0, 2.0], [NAN, NAN, NAN], [NAN, 0.0, NAN]])
    action = np.array([1, 0, 1, 2, 1])
    # all tied: not informative; the untried action is not among the best; nothing tried:
    # the labelled action alone is best
    np.testing.assert_array_equal(informative(q, action), [True, False, True, True, True])


def test_agreement_counts_only_informative_states_beside_its_chance_level():
    q = np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [2.0, 2.0, 2.0], [0.0, 0.0, 5.0]])
    action = np.array([1, 0, 0, 2])
    a = agreement(q, action, other=np.array([1, 1, 2, 0]))
    # row 0: 1 is best (hit); row 1: best {0, 1}, 1 hits; row 2: all tied (left out); row 3: miss
    assert (a.agreeing, a.informative, a.states) == (2, 3, 4)
    assert a.value == pytest.approx(2 / 3)
    assert a.chance == pytest.approx(np.mean([1 / 3, 2 / 3, 1 / 3]))
    none = agreement(np.ones((2, 3)), np.zeros(2, np.int64), np.zeros(2, np.int64))
    assert none.informative == 0 and math.isnan(none.value) and math.isnan(none.chance)


def test_joystick_agreement_ignores_the_fire_button():
    q = np.array([[0.0, 0.0, 1.0, 0.0, 0.0, 0.0],     # RIGHT alone is best
                  [0.0, 0.0, 0.0, 1.0, 0.0, 1.0]])    # LEFT and LEFTFIRE
    action = np.array([2, 3])
    other = np.array([4, 2])                          # RIGHTFIRE (the same way), RIGHT (not)
    actions, stick = agreement(q, action, other), joystick_agreement(q, action, other, PONG)
    assert actions.value == 0.0 and stick.value == 0.5
    # a random action pushes right with probability 2/6, left with 2/6
    assert stick.chance == pytest.approx(1 / 3) and actions.chance == pytest.approx(np.mean([1 / 6, 2 / 6]))


def test_joystick_match_of_two_action_streams_and_its_chance():
    value, chance = joystick_match(np.array([2, 4, 0, 1]), np.array([4, 2, 1, 3]), PONG)
    # directions 3 3 0 0 against 3 3 0 4; mixes {0: .5, 3: .5} and {0: .25, 3: .5, 4: .25}
    assert value == pytest.approx(0.75) and chance == pytest.approx(0.5 * 0.25 + 0.5 * 0.5)


class StateExpert:
    """Decides from the state alone: Q = one-hot of (state + shift) % A, ``decide`` logs
    the decision number it was given."""

    def __init__(self, shift: int, log: list | None = None):
        self.shift, self.log = shift, log

    def decide(self, root_state, t):
        if self.log is not None:
            self.log.append((root_state, t))
        a = (root_state + self.shift) % 3
        return Decision(a, np.eye(3)[a], np.ones(3, np.int64), frames=1)

    def footprint(self):
        return None


def _maker(shift, log=None):
    return contextlib.nullcontext(StateExpert(shift, log))


def test_label_consistency_of_agreeing_and_disagreeing_labellers(monkeypatch):
    monkeypatch.setattr(metrics, "_warm", True)   # no untimed first decision in the log
    states = [0, 1, 2, 5]
    log = []
    same = label_consistency(states, partial(_maker, 0, log), partial(_maker, 3), PONG[:3])
    assert same.actions.value == 1.0 and same.actions.informative == 4 and same.joystick.value == 1.0
    assert log == [(s, i) for i, s in enumerate(states)]          # state i is decision i
    np.testing.assert_array_equal(same.first, [0, 1, 2, 2])
    np.testing.assert_array_equal(same.q, np.eye(3)[[0, 1, 2, 2]])
    other = label_consistency(states, partial(_maker, 0), partial(_maker, 1), PONG[:3])
    assert other.actions.value == 0.0 and other.actions.chance == pytest.approx(1 / 3)
    # NOOP and FIRE share a direction: the second's FIRE where the first chose NOOP agrees
    assert other.joystick.value == pytest.approx(1 / 4)
    np.testing.assert_array_equal(other.second, [1, 2, 0, 0])


class ColdStartExpert(StateExpert):
    """A StateExpert whose first decision in a process takes 0.5 s longer, as
    the planner's does while it loads its compiled kernels."""
    started = False

    def decide(self, root_state, t):
        if not ColdStartExpert.started:
            ColdStartExpert.started = True
            time.sleep(0.5)
        return super().decide(root_state, t)


def test_a_process_s_first_decision_is_not_in_the_labellers_seconds(monkeypatch):
    monkeypatch.setattr(metrics, "_warm", False)
    monkeypatch.setattr(ColdStartExpert, "started", False)
    make = partial(contextlib.nullcontext, ColdStartExpert(0))
    c = label_consistency([0, 1, 2], make, make, PONG[:3])
    assert ColdStartExpert.started and c.seconds.max() < 0.25


def test_consistency_of_arrays_matches_the_two_agreements():
    q = np.array([[0.0, 1.0, 0.0, 0.0, 0.0, 0.0]])
    c = consistency(q, np.array([1]), np.array([0]), PONG)
    assert c.actions.value == 0.0 and c.joystick.value == 1.0   # NOOP and FIRE: no direction
