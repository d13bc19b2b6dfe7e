"""A plain pure-Python UCT: one object per node, no Numba.

The reference the benchmarks compare the array planner against, at equal budget. It
follows :mod:`mcts.uct` choice for choice and draws the same random numbers in the same
order, so with the same seed both choose identical actions: a strong test of the
kernels. It supports the options of :class:`mcts.config.UCTConfig` except root workers
and common rollout noise (it is the reference for the default, independent rollouts).
"""
from __future__ import annotations

import math
import time

import numpy as np

from common.errors import ConfigError
from mcts.config import UCTConfig
from mcts.decision import Decision
from mcts.model import Model
from mcts.uct import choose, decision_rng


class Node:
    __slots__ = ("visits", "value_sum", "reward", "terminal", "parent", "children", "state", "key")

    def __init__(self, parent, reward, terminal, state, key, num_actions):
        self.visits = 0
        self.value_sum = 0.0
        self.reward = reward
        self.terminal = terminal
        self.parent = parent
        self.children = [None] * num_actions
        self.state = state
        self.key = key


class PlainUCT:
    def __init__(self, model: Model, config: UCTConfig, seed: int = 0):
        if config.merge_aliases:
            raise ConfigError("merge_aliases", "the plain-Python reference searches every root action; "
                                               "it has no alias merging")
        if config.rollout_noise != "independent":
            raise ConfigError("rollout_noise", f"the plain-Python reference has only independent rollouts, "
                                               f"got {config.rollout_noise!r}")
        self.model = model
        self.config = config
        self.seed = seed
        self.root: Node | None = None
        self.size = 0
        self.search_seconds = 0.0

    def decide(self, root, t: int) -> Decision:
        cfg, model = self.config, self.model
        root_state = model.root_state(root)
        A = model.num_actions
        rng = decision_rng(self.seed, t, 0)
        t0 = time.perf_counter()
        frames0 = model.frames
        model.restore_state(root_state)
        key = model.state_key()
        if self.root is not None and np.array_equal(self.root.key, key):
            self.root.state = root_state
        else:
            self.root = Node(None, 0.0, False, root_state, key, A)
            self.size = 1
        root = self.root

        skipped = False
        if cfg.skip_rule:
            for a in range(A):
                if root.children[a] is None and self.size < cfg.node_cap:
                    model.restore_state(root_state)
                    r, done = model.step(a)
                    root.children[a] = Node(root, r, done, model.clone_state(), model.state_key(), A)
                    self.size += 1
            ch = root.children
            skipped = all(c is not None for c in ch) and all(
                np.array_equal(c.key, ch[0].key) and c.reward == ch[0].reward and c.terminal == ch[0].terminal
                for c in ch)

        sims = 0
        budget = cfg.budget
        while not skipped:
            if budget.exhausted(sims, model.frames - frames0, time.perf_counter() - t0):
                break
            self._simulate(rng)
            sims += 1

        visits = np.array([c.visits if c is not None else 0 for c in root.children], np.int64)
        value_sum = np.array([c.value_sum if c is not None else 0.0 for c in root.children])
        action, q = choose(visits, value_sum, cfg.final_action, self.seed, t)
        if skipped:
            visits, value_sum = np.zeros(A, np.int64), np.zeros(A)
            action, q = 0, np.full(A, np.nan)
        self.search_seconds += time.perf_counter() - t0
        frames = model.frames - frames0
        child = root.children[action] if cfg.reuse_tree else None
        if child is not None:
            child.parent = None
            self.size = self._count(child)
        self.root = child
        return Decision(action, q, visits, frames, skipped)

    def footprint(self) -> None:
        """Not measured: the nodes are Python objects."""
        return None

    def _count(self, node: Node) -> int:
        return 1 + sum(self._count(c) for c in node.children if c is not None)

    def _select(self, u: float) -> tuple[Node, int, int]:
        cfg = self.config
        node, depth = self.root, 0
        while True:
            if (node is not self.root and node.terminal) or depth >= cfg.max_depth:
                return node, -1, depth
            untried = [a for a, c in enumerate(node.children) if c is None or c.visits == 0]
            if untried:
                a = untried[int(u * len(untried))]
                if node.children[a] is None:
                    return node, a, depth
                return node.children[a], -1, depth + 1
            log_n = math.log(node.visits)
            best, best_child = -math.inf, None
            for c in node.children:
                score = c.value_sum / c.visits + cfg.exploration * math.sqrt(log_n / c.visits)
                if score > best:
                    best, best_child = score, c
            node, depth = best_child, depth + 1

    def _simulate(self, rng: np.random.Generator) -> None:
        cfg, model = self.config, self.model
        node, a, depth = self._select(rng.random())
        if a >= 0:
            model.restore_state(node.state)
            r, done = model.step(a)
            depth += 1
            if self.size >= cfg.node_cap:
                G = r + cfg.gamma * (0.0 if done else self._rollout(rng, cfg.max_depth - depth))
                self._backup(node, G)
                return
            child = Node(node, r, done, model.clone_state(), model.state_key(), model.num_actions)
            node.children[a] = child
            self.size += 1
            node = child
            G = 0.0 if done else self._rollout(rng, cfg.max_depth - depth)
        elif node is not self.root and node.terminal:
            G = 0.0
        else:
            model.restore_state(node.state)
            G = self._rollout(rng, cfg.max_depth - depth)
        self._backup(node, G)

    def _rollout(self, rng: np.random.Generator, length: int) -> float:
        if length <= 0:
            return 0.0
        G, discount = 0.0, 1.0
        for a in rng.integers(self.model.num_actions, size=length).tolist():
            r, done = self.model.step(a)
            G += discount * r
            discount *= self.config.gamma
            if done:
                break
        return G

    def _backup(self, node: Node, G: float) -> None:
        while node is not self.root:
            G = node.reward + self.config.gamma * G
            node.visits += 1
            node.value_sum += G
            node = node.parent
        node.visits += 1
        node.value_sum += G
