"""The README's headline measures, as functions of arrays and experts.

* :func:`fidelity`: (policy - random) / (expert - random), all three scored under one
  evaluation protocol (:mod:`imitation.evaluate`); the expert's own score under that
  protocol comes from :func:`expert_scores`.
* :func:`informative` and :func:`agreement`: a state is informative unless every action
  ties at the best Q (the expert preferred nothing there, so any action would "agree");
  agreement is the fraction of informative states where another choice is among the
  expert's best, beside the chance level of a uniformly random choice. It is the measure
  of ``val_agreement`` (:func:`imitation.train_policy.evaluate_agreement`).
* :func:`joystick_agreement`: the same up to the fire button (Pong's RIGHT and RIGHTFIRE
  push the paddle the same way).
* :func:`label_consistency`: how often two labellers agree on the same fixed states:
  two independent labellers (the same expert, other seeds), or a labeller against one
  with a larger budget. Each labeller is a picklable maker of a fresh expert, so states
  spread over worker processes and the figures do not depend on their number.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, ContextManager, Sequence

import numpy as np

from mcts.decision import Expert
from mcts.targets import best_actions

# ALE action id -> its joystick direction (the action without the fire button):
# NOOP FIRE UP RIGHT LEFT DOWN UPRIGHT UPLEFT DOWNRIGHT DOWNLEFT, then the *FIRE variants.
JOYSTICK = np.array([0, 0, 2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5, 6, 7, 8, 9])
DIRECTIONS = int(JOYSTICK.max()) + 1


def fidelity(policy: float, expert: float, random: float) -> float:
    """(policy - random) / (expert - random): 0 plays like random, 1 like the expert; NaN
    when the expert scores no better or worse than random (nothing to be faithful to)."""
    if expert == random:
        return math.nan
    return (policy - random) / (expert - random)


def informative(q: np.ndarray, action: np.ndarray) -> np.ndarray:
    """[N] bool: the states whose expert preferred something. q [N, A] (NaN untried),
    action [N] the expert's (it alone is best where nothing was tried)."""
    return ~best_actions(q, action).astype(bool).all(axis=-1)


@dataclass(frozen=True)
class Agreement:
    """value:  fraction of the informative states where the other choice is among the
            expert's best (NaN if none is informative).
    chance: the same for a uniformly random other choice (the mean fraction of best
            choices over the informative states).
    agreeing, informative, states: the counts behind them."""

    value: float
    chance: float
    agreeing: int
    informative: int
    states: int


def _summary(hit: np.ndarray, chance: np.ndarray, states: int) -> Agreement:
    """hit [n] bool and chance [n] float over the n informative states."""
    if len(hit) == 0:
        return Agreement(math.nan, math.nan, 0, 0, states)
    return Agreement(float(hit.mean()), float(chance.mean()), int(hit.sum()), len(hit), states)


def agreement(q: np.ndarray, action: np.ndarray, other: np.ndarray) -> Agreement:
    """How often ``other`` [N] (a second labeller's or a policy's actions) is among the
    best actions of the expert whose root values are q [N, A] and actions ``action`` [N]."""
    best = best_actions(q, action).astype(bool)
    useful = ~best.all(axis=-1)
    hit = best[np.arange(len(best)), np.asarray(other, dtype=np.int64)][useful]
    return _summary(hit, best[useful].mean(axis=-1), len(best))


def joystick_agreement(q: np.ndarray, action: np.ndarray, other: np.ndarray,
                       action_set: Sequence[int]) -> Agreement:
    """:func:`agreement` up to the fire button: ``other`` [N] agrees when it pushes the
    joystick the way one of the expert's best actions does. ``action_set`` [A]: the ALE
    ids of the action indices. Chance: a uniformly random action's direction."""
    stick = JOYSTICK[np.asarray(action_set)]                               # [A] directions
    best = best_actions(q, action).astype(bool)
    best_stick = ((stick[None, :, None] == np.arange(DIRECTIONS)[None, None]) & best[..., None]).any(axis=1)
    useful = ~best.all(axis=-1)
    hit = best_stick[np.arange(len(best)), stick[np.asarray(other, dtype=np.int64)]][useful]
    return _summary(hit, best_stick[useful][:, stick].mean(axis=-1), len(best))


def joystick_match(a: np.ndarray, b: np.ndarray, action_set: Sequence[int]) -> tuple[float, float]:
    """(fraction of steps where actions ``a`` [N] and ``b`` [N] push the joystick the same
    way, the same for independent draws from the two action mixes), e.g. the executed and
    the expert's actions of a run's labels."""
    stick = JOYSTICK[np.asarray(action_set)]
    sa, sb = stick[np.asarray(a)], stick[np.asarray(b)]
    mix_a, mix_b = (np.bincount(x, minlength=DIRECTIONS) / len(x) for x in (sa, sb))
    return float((sa == sb).mean()), float(mix_a @ mix_b)


# -- label consistency -------------------------------------------------------------------

Labeller = Callable[[], ContextManager[Expert]]
"""A picklable maker of a fresh expert (no kept tree), e.g.
``functools.partial(mcts.play.uct_expert, game, env_config, uct, seed)``."""


@dataclass(frozen=True)
class Consistency:
    """Two labellers at the same N states.

    actions:  :func:`agreement` of the second labeller's actions with the first's best.
    joystick: the same up to the fire button.
    q:        [N, A] the first labeller's root values;  first, second: [N] their actions.
    frames:   [N, 2] the emulator frames of the first's and the second's decisions, and
    seconds:  [N, 2] their wall time (None where the labels were computed elsewhere).
    """

    actions: Agreement
    joystick: Agreement
    q: np.ndarray
    first: np.ndarray
    second: np.ndarray
    frames: np.ndarray | None = None
    seconds: np.ndarray | None = None


def consistency(q: np.ndarray, first: np.ndarray, second: np.ndarray, action_set: Sequence[int],
                frames: np.ndarray | None = None, seconds: np.ndarray | None = None) -> Consistency:
    """The :class:`Consistency` of labels already computed (q [N, A], first and second [N],
    optionally their frames and seconds [N, 2])."""
    return Consistency(agreement(q, first, second), joystick_agreement(q, first, second, action_set),
                       np.asarray(q), np.asarray(first), np.asarray(second), frames, seconds)


@dataclass(frozen=True)
class _Probe:
    first: Labeller
    second: Labeller
    state: Any       # the root's emulator state
    index: int       # the decision number both experts decide with


_warm = False   # whether this process has decided once (see _decide_twice)


def _decide_twice(probe: _Probe) -> tuple[np.ndarray, int, int, tuple[int, int], tuple[float, float]]:
    """(q [A], first action, second action, their frames, their seconds) of two fresh
    experts at one state. A worker process's first decision also loads the compiled
    kernels (about a second, several decisions' worth), so each process first decides
    once untimed, with a fresh expert whose decision is dropped."""
    global _warm
    if not _warm:
        with probe.first() as expert:
            expert.decide(probe.state, probe.index)
        _warm = True
    decisions, seconds = [], []
    for make in (probe.first, probe.second):
        with make() as expert:
            t0 = time.perf_counter()
            decisions.append(expert.decide(probe.state, probe.index))
            seconds.append(time.perf_counter() - t0)
    first, second = decisions
    return first.q, first.action, second.action, (first.frames, second.frames), tuple(seconds)


def label_consistency(states: Sequence[Any], first: Labeller, second: Labeller, action_set: Sequence[int],
                      *, workers: int = 1,
                      on_result: Callable[[int, Any], None] | None = None) -> Consistency:
    """How often ``second`` agrees with ``first`` on ``states`` (root emulator states;
    state i is decided as decision i), each state labelled by a fresh expert of each, on
    ``workers`` processes. ``first`` and ``second`` with other seeds: two independent
    labellers; ``second`` with 16 times the budget: a labeller against a better one."""
    return label_consistencies(states, [(first, second)], action_set, workers=workers, on_result=on_result)[0]


def label_consistencies(states: Sequence[Any], pairs: Sequence[tuple[Labeller, Labeller]],
                        action_set: Sequence[int], *, workers: int = 1,
                        on_result: Callable[[int, Any], None] | None = None) -> list[Consistency]:
    """:func:`label_consistency` of each ``(first, second)`` pair on the same ``states``,
    all on one pool of ``workers`` processes (a pool's start-up is paid once).
    ``on_result(i, r)`` counts the P x N probes, pair by pair."""
    from common.workers import run_tasks

    tasks = [_Probe(first, second, s, i) for first, second in pairs for i, s in enumerate(states)]
    out = run_tasks(_decide_twice, tasks, workers, on_result=on_result)
    A, N = len(action_set), len(states)
    results = []
    for p in range(len(pairs)):
        o = out[p * N:(p + 1) * N]
        q = np.stack([r[0] for r in o]) if o else np.zeros((0, A))
        results.append(consistency(q, np.array([r[1] for r in o], np.int64), np.array([r[2] for r in o], np.int64),
                                   action_set, np.array([r[3] for r in o], np.int64).reshape(-1, 2),
                                   np.array([r[4] for r in o], np.float64).reshape(-1, 2)))
    return results


# -- the expert's score under the evaluation protocol --------------------------------------

ExpertMaker = Callable[[int], ContextManager[Expert]]
"""A picklable maker of the expert from a seed, e.g.
``functools.partial(mcts.play.uct_expert, game, env_config, uct)``."""


@dataclass(frozen=True)
class _ExpertEpisode:
    spec: Any          # the policy's LabelSpec: the same game and preprocessing
    protocol: Any      # imitation.evaluate.EvalProtocol
    make_expert: ExpertMaker
    seed: int
    episode: int


def _expert_episode(task: _ExpertEpisode) -> float:
    from common.workers import report
    from imitation.evaluate import expert_score

    return expert_score(task.spec, task.protocol, task.make_expert, task.seed, task.episode,
                        on_step=lambda r: report(task.episode, r)).score


def expert_scores(spec, protocol, make_expert: ExpertMaker, seed: int, episodes: Sequence[int], *,
                  workers: int = 1, on_event: Callable[..., None] | None = None) -> list[float]:
    """The expert's raw scores in evaluation episodes ``episodes`` under ``protocol``
    (:func:`imitation.evaluate.expert_score`), on ``workers`` processes; progress events
    are ``(episode, reward)`` per step."""
    from common.workers import run_tasks

    tasks = [_ExpertEpisode(spec, protocol, make_expert, seed, e) for e in episodes]
    return [float(s) for s in run_tasks(_expert_episode, tasks, workers, on_event=on_event)]
