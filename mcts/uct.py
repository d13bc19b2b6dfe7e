"""UCT over a simulator with snapshots: the expert of Guo et al. (2014).

One simulation: select a leaf by UCB1 (a Numba kernel), restore the leaf's snapshot,
expand one untried action, roll out uniformly random actions to the depth limit, and
back the discounted return up the path (a Numba kernel). Only the simulator calls stay
in Python. See :class:`mcts.config.UCTConfig` for the options and their defaults.

Random numbers, per simulation and in this order: one uniform ``u`` for the untried
action's choice, then the rollout's actions, ``rng.integers(A, size=max_depth - d)``
(drawn whole even when the rollout ends early). :mod:`mcts.plain_uct` follows the same
sequence, which is how the kernels are tested against plain Python.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from mcts.config import UCTConfig
from mcts.decision import Decision
from mcts.model import Model
from mcts.tree import Tree


@dataclass
class RootStats:
    """What one search (or one root-parallel worker) knows about the root's actions."""

    visits: np.ndarray      # [A] int64
    value_sum: np.ndarray   # [A] float64
    frames: int
    sims: int
    skipped: bool


TIE_BREAK_STREAM = 2**32 - 1   # the final choice's own stream, apart from every worker's


def decision_rng(seed: int, decision: int, worker: int = 0) -> np.random.Generator:
    """The generator for one worker's search at one decision: independent of scheduling."""
    return np.random.default_rng([seed, decision, worker])


def choose(visits: np.ndarray, value_sum: np.ndarray, final_action: str,
           seed: int, t: int) -> tuple[int, np.ndarray]:
    """(action, q [A]) from (merged) root statistics; q is NaN for never-visited actions.

    Ties are broken uniformly at random with a generator of their own, derived from
    (seed, decision): in flat-reward stretches every Q is 0, and a fixed tie-break
    (always NOOP) would never launch Breakout's ball.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(visits > 0, value_sum / np.maximum(visits, 1), np.nan)
    if not (visits > 0).any():
        return 0, q
    score = visits.astype(np.float64) if final_action == "visits" else np.where(visits > 0, q, -np.inf)
    best = np.flatnonzero(score == score.max())
    if len(best) == 1:
        return int(best[0]), q
    return int(np.random.default_rng([seed, t, TIE_BREAK_STREAM]).choice(best)), q


class UCTPlanner:
    """A single-process UCT search that keeps its tree between decisions.

    ``decide(root_state, t)`` searches from ``root_state`` (an emulator snapshot) with
    the generator ``decision_rng(seed, t, worker)`` and re-roots the tree under the
    chosen action, so the next decision reuses that subtree when the real next state
    is the one the tree predicted (same state key).
    """

    def __init__(self, model: Model, config: UCTConfig, seed: int = 0, worker: int = 0):
        self.model = model
        self.config = config
        self.seed = seed
        self.worker = worker
        self.budget = config.budget.split(config.root_workers, worker)
        self.tree = Tree(model.num_actions, model.key_size, config.node_cap)
        self.search_seconds = 0.0

    def decide(self, root_state, t: int) -> Decision:
        stats = self.search(root_state, t)
        action, q = choose(stats.visits, stats.value_sum, self.config.final_action, self.seed, t)
        self.advance(action)
        return Decision(action, q, stats.visits, stats.frames, stats.skipped)

    def advance(self, action: int) -> None:
        """Keep the subtree under the real action (or drop the tree)."""
        if self.config.reuse_tree:
            self.tree.reroot(action)
        else:
            self.tree.n = 0

    # -- the search ---------------------------------------------------------------------
    def search(self, root_state, t: int) -> RootStats:
        cfg, model, tree = self.config, self.model, self.tree
        rng = decision_rng(self.seed, t, self.worker)
        t0 = time.perf_counter()
        frames0 = model.frames
        model.restore_state(root_state)
        key = model.state_key()
        if tree.n and np.array_equal(tree.key[0], key):
            tree.states[0] = root_state   # the real state: the kept subtree is still valid
        else:
            tree.reset(root_state, key)

        if cfg.skip_rule and self._all_actions_equivalent(root_state):
            self.search_seconds += time.perf_counter() - t0
            A = model.num_actions
            return RootStats(np.zeros(A, np.int64), np.zeros(A), model.frames - frames0, 0, True)

        budget = self.budget
        sims = 0
        while True:
            if budget.exhausted(sims, model.frames - frames0, time.perf_counter() - t0):
                break
            self._simulate(rng)
            sims += 1
        visits, value_sum = tree.root_stats()
        self.search_seconds += time.perf_counter() - t0
        return RootStats(visits, value_sum, model.frames - frames0, sims, False)

    def _simulate(self, rng: np.random.Generator) -> None:
        cfg, model, tree = self.config, self.model, self.tree
        u = rng.random()
        node, a, depth = tree.select(cfg.max_depth, cfg.exploration, u)
        if a >= 0:
            model.restore_state(tree.states[node])
            r, done = model.step(a)
            depth += 1
            if tree.full:   # no room: simulate through the edge without storing it
                G = r + cfg.gamma * (0.0 if done else self._rollout(rng, cfg.max_depth - depth))
                tree.backup(node, G, cfg.gamma)
                return
            node = tree.add(node, a, r, done, model.clone_state(), model.state_key())
            G = 0.0 if done else self._rollout(rng, cfg.max_depth - depth)
        elif node != 0 and tree.terminal[node]:
            G = 0.0
        else:
            model.restore_state(tree.states[node])
            G = self._rollout(rng, cfg.max_depth - depth)
        tree.backup(node, G, cfg.gamma)

    def _rollout(self, rng: np.random.Generator, length: int) -> float:
        """Discounted return of ``length`` uniformly random steps from the current state."""
        if length <= 0:
            return 0.0
        step, gamma = self.model.step, self.config.gamma
        G, discount = 0.0, 1.0
        for a in rng.integers(self.model.num_actions, size=length).tolist():
            r, done = step(a)
            G += discount * r
            discount *= gamma
            if done:
                break
        return G

    def _all_actions_equivalent(self, root_state) -> bool:
        """The skip rule: expand every root action (these children seed the search, so
        the frames are not wasted) and compare the next states' keys."""
        model, tree = self.model, self.tree
        for a in range(model.num_actions):
            if tree.children[0, a] < 0 and not tree.full:
                model.restore_state(root_state)
                r, done = model.step(a)
                tree.add(0, a, r, done, model.clone_state(), model.state_key())
        ch = tree.children[0]
        if (ch < 0).any():
            return False
        return bool((tree.key[ch] == tree.key[ch[0]]).all()
                    and (tree.reward[ch] == tree.reward[ch[0]]).all()
                    and (tree.terminal[ch] == tree.terminal[ch[0]]).all())

    def bytes_per_node(self) -> int:
        """Tree arrays plus one snapshot: what each kept node costs."""
        return self.tree.nbytes_arrays_per_node() + self.model.state_nbytes
