"""UCT over a simulator with snapshots: the expert of Guo et al. (2014).

One simulation: select a leaf by UCB1 (a Numba kernel), restore the leaf's snapshot,
expand one untried action, roll out uniformly random actions to the depth limit, and
back the discounted return up the path (a Numba kernel). Only the simulator calls stay
in Python. See :class:`mcts.config.UCTConfig` for the options and their defaults.

Random numbers, per simulation and in this order: one uniform ``u`` for the untried
action's choice, then the rollout's actions, ``rng.integers(A, size=max_depth - d)``
(drawn whole even when the rollout ends early). :mod:`mcts.plain_uct` follows the same
sequence, which is how the kernels are tested against plain Python.

With ``rollout_noise="common"`` (:class:`CommonRollouts`) the uniform ``u`` still comes
from the decision's generator, but only chooses among the root's untried actions; below
the root, the k-th simulation of the decision through each root action takes its
untried-action choice and its rollout actions from row k of a table of its own. The
plain-Python reference does not implement this option.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from mcts.config import UCTConfig
from mcts.decision import Decision, Footprint
from mcts.model import Model
from mcts.tree import Tree, root_branch


@dataclass
class RootStats:
    """What one search (or one root-parallel worker) knows about the root's actions."""

    visits: np.ndarray      # [A] int64
    value_sum: np.ndarray   # [A] float64
    value_sq: np.ndarray    # [A] float64, sums of squared returns
    frames: int
    sims: int
    skipped: bool
    prior: np.ndarray | None = None   # [A] the root prior a PUCT search selected with, or None


TIE_BREAK_STREAM = 2**32 - 1   # the final choice's own stream, apart from every worker's
COMMON_STREAM = 2**32 - 2      # the common rollout numbers' stream (with the worker's index)


def decision_rng(seed: int, decision: int, worker: int = 0) -> np.random.Generator:
    """The generator for one worker's search at one decision: independent of scheduling."""
    return np.random.default_rng([seed, decision, worker])


class CommonRollouts:
    """Common random numbers for sibling rollouts: one decision's table of paired streams.

    Row k holds ``u[k]`` (a uniform in [0, 1)) and ``actions[k]`` [max_depth] (uniformly
    random action indices). The k-th simulation of the decision below root action b
    (``count[b]`` [A] counts them) chooses among untried actions below the root with
    ``u[k]`` and rolls out ``actions[k][:length]``, whatever b is, so the estimates of the
    root actions are paired, the variance reduction of common random numbers (as in
    PEGASUS, Ng & Jordan 2000, which fixes the random numbers to compare policies). Rows
    come from ``np.random.default_rng([seed, t, worker, COMMON_STREAM])`` in blocks, in
    order, so row k is the same however many rows a search uses.
    """

    BLOCK = 64

    def __init__(self, seed: int, t: int, worker: int, num_actions: int, max_depth: int):
        self._key = (seed, t, worker, COMMON_STREAM)
        self._rng = np.random.default_rng(list(self._key))
        self._A, self._depth = num_actions, max_depth
        self._u: list[np.ndarray] = []         # blocks of [BLOCK] float64
        self._actions: list[np.ndarray] = []   # blocks of [BLOCK, max_depth] int64
        self.count = np.zeros(num_actions, np.int64)

    def coins(self, k: int) -> np.ndarray:
        """[max_depth] uniforms of row k for the exploration coin of a learner rollout
        (:class:`mcts.guided.GuidedUCT`), from a stream of their own: the rows above are
        the same whether or not coins are drawn."""
        if not hasattr(self, "_coins"):
            self._coin_rng = np.random.default_rng([*self._key, 1])
            self._coins: list[np.ndarray] = []
        block, i = divmod(k, self.BLOCK)
        while len(self._coins) <= block:
            self._coins.append(self._coin_rng.random((self.BLOCK, self._depth)))
        return self._coins[block][i]

    def row(self, k: int) -> tuple[float, np.ndarray]:
        """(u, actions [max_depth]) of row k."""
        block, i = divmod(k, self.BLOCK)
        while len(self._u) <= block:
            self._u.append(self._rng.random(self.BLOCK))
            self._actions.append(self._rng.integers(self._A, size=(self.BLOCK, self._depth)))
        return float(self._u[block][i]), self._actions[block][i]


def decision_of(action: int, q: np.ndarray, stats: RootStats) -> Decision:
    """The :class:`Decision` of (merged) root statistics, with the search's value of the
    root and the label's weight (:mod:`mcts.targets`)."""
    from mcts.targets import preference_weight, search_value

    if stats.skipped:
        return Decision(action, q, stats.visits, stats.frames, True)
    return Decision(action, q, stats.visits, stats.frames, False,
                    value=search_value(stats.visits, stats.value_sum),
                    weight=preference_weight(stats.visits, stats.value_sum, stats.value_sq),
                    prior=stats.prior)


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

    ``decide(root, t)`` searches from the real state ``root`` (on Atari the environment's
    :class:`envs.atari.AtariSnapshot`, checked by ``model.root_state``) with
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
        self.root_rep: np.ndarray | None = None   # [A] this search's alias representatives (merge_aliases)

    def decide(self, root, t: int) -> Decision:
        stats = self.search(root, t)
        action, q = choose(stats.visits, stats.value_sum, self.config.final_action, self.seed, t)
        self.advance(action)
        return decision_of(action, q, stats)

    def advance(self, action: int) -> None:
        """Keep the subtree under the real action (or drop the tree)."""
        if self.config.reuse_tree:
            self.tree.reroot(action)
        else:
            self.tree.n = 0

    # -- the search ---------------------------------------------------------------------
    def search(self, root, t: int) -> RootStats:
        """Search from the real state ``root`` (:meth:`mcts.model.Model.root_state`)."""
        cfg, model, tree = self.config, self.model, self.tree
        root_state = model.root_state(root)
        rng = decision_rng(self.seed, t, self.worker)
        t0 = time.perf_counter()
        frames0 = self.frames
        model.restore_state(root_state)
        key = model.state_key()
        if tree.n and np.array_equal(tree.key[0], key):
            tree.states[0] = root_state   # the real state: the kept subtree is still valid
        else:
            tree.reset(root_state, key)

        self.root_rep = None
        if cfg.skip_rule or cfg.merge_aliases:
            rep = self._root_representatives(root_state)
            if cfg.skip_rule and rep is not None and not rep.any():
                self.search_seconds += time.perf_counter() - t0
                A = model.num_actions
                return RootStats(np.zeros(A, np.int64), np.zeros(A), np.zeros(A), self.frames - frames0, 0, True)
            if cfg.merge_aliases and rep is not None:
                tree.merge_root_aliases(rep)
                self.root_rep = rep

        prior = self._prepare_root()
        common = (CommonRollouts(self.seed, t, self.worker, model.num_actions, cfg.max_depth)
                  if cfg.rollout_noise == "common" else None)
        budget = self.budget
        sims = 0
        while True:
            if budget.exhausted(sims, self.frames - frames0, time.perf_counter() - t0):
                break
            room = budget.sims - sims if budget.sims is not None else None
            sims += self._simulate(rng, common, room)
        visits, value_sum, value_sq = tree.root_stats()
        if self.root_rep is not None:   # an alias reads as never tried: its visits are its representative's
            alias = self.root_rep != np.arange(model.num_actions)
            visits[alias], value_sum[alias], value_sq[alias] = 0, 0.0, 0.0
        self.search_seconds += time.perf_counter() - t0
        return RootStats(visits, value_sum, value_sq, self.frames - frames0, sims, False, prior)

    @property
    def frames(self) -> int:
        """Emulator frames stepped by this planner's simulators so far."""
        return self.model.frames

    def _prepare_root(self) -> np.ndarray | None:
        """Called once per search, after the skip rule, before the first simulation; returns
        the root prior [A] the search selects with, or None (UCB1 has none)."""

    def _simulate(self, rng: np.random.Generator, common: CommonRollouts | None = None,
                  room: int | None = None) -> int:
        """One simulation (``room``: how many the budget still allows; None: no count
        limit). Returns the number of simulations run."""
        cfg, model, tree = self.config, self.model, self.tree
        u = rng.random()
        node, a, depth = tree.select(cfg.max_depth, cfg.exploration, u)
        if common is None:
            def draw(n: int) -> np.ndarray:
                return rng.integers(model.num_actions, size=n)
        else:
            node, a, depth, k = self._pair(common, node, a, depth)
            row = common.row(k)[1]

            def draw(n: int) -> np.ndarray:
                return row[:n]
        if a >= 0:
            model.restore_state(tree.states[node])
            r, done = model.step(a)
            depth += 1
            if tree.full:   # no room: simulate through the edge without storing it
                G = r + cfg.gamma * (0.0 if done else self._rollout(draw, cfg.max_depth - depth))
                tree.backup(node, G, cfg.gamma)
                return 1
            node = tree.add(node, a, r, done, model.clone_state(), model.state_key())
            G = 0.0 if done else self._rollout(draw, cfg.max_depth - depth)
        elif node != 0 and tree.terminal[node]:
            G = 0.0
        else:
            model.restore_state(tree.states[node])
            G = self._rollout(draw, cfg.max_depth - depth)
        tree.backup(node, G, cfg.gamma)
        return 1

    def _pair(self, common: CommonRollouts, node: int, a: int,
              depth: int) -> tuple[int, int, int, int]:
        """The selection (node, a, depth) redone with the common row of the root action b
        the simulation goes through (its ``count[b]``-th this decision), and that row's
        index k. ``u`` chose only where the choice was the root's: expanding a root
        action, or rolling out from an unvisited root child."""
        tree, cfg = self.tree, self.config
        top = a if node == 0 else -1
        if top < 0:
            child = root_branch(tree.parent, node, 0)
            top = int(tree.action[child])
        k = int(common.count[top])
        common.count[top] += 1
        u, _ = common.row(k)
        if node != 0 and tree.visits[child] > 0:   # UCB chose the root action: redo below it
            node, a, depth = tree.select(cfg.max_depth, cfg.exploration, u)
        return node, a, depth, k

    def _rollout(self, draw, length: int) -> float:
        """Discounted return of ``length`` uniformly random steps from the current state;
        ``draw(n)`` gives the n actions [n]."""
        if length <= 0:
            return 0.0
        step, gamma = self.model.step, self.config.gamma
        G, discount = 0.0, 1.0
        for a in draw(length).tolist():
            r, done = step(a)
            G += discount * r
            discount *= gamma
            if done:
                break
        return G

    def _root_representatives(self, root_state) -> np.ndarray | None:
        """Expand every root action (these children seed the search, so the frames are not
        wasted) and group the actions by next state: [A] int64, the lowest action of each
        one's group (all zeros: every action is the same). None when the tree had no room
        for every root child.

        Without alias merging the actions are grouped by the state key (the RAM, as
        atari_uct's skip rule does); with it, by the exact state
        (:meth:`mcts.model.Model.state_identity`), for the skip rule too: on Pong an equal
        RAM after one step can still hide a different future (the paddle's motion)."""
        model, tree = self.model, self.tree
        for a in range(model.num_actions):
            if tree.children[0, a] < 0 and not tree.full:
                model.restore_state(root_state)
                r, done = model.step(a)
                tree.add(0, a, r, done, model.clone_state(), model.state_key())
        ch = tree.children[0]
        if (ch < 0).any():
            return None
        exact = self.config.merge_aliases
        first: dict = {}
        return np.array([first.setdefault((model.state_identity(tree.states[c]) if exact else tree.key[c].tobytes(),
                                           float(tree.reward[c]), bool(tree.terminal[c])), a)
                         for a, c in enumerate(ch.tolist())], np.int64)

    def bytes_per_node(self) -> int:
        """Tree arrays plus one snapshot: what each kept node costs."""
        return self.tree.nbytes_arrays_per_node() + self.model.state_nbytes

    def footprint(self) -> Footprint:
        return Footprint(self.tree.n, self.bytes_per_node())
