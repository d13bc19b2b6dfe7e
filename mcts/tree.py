"""The search tree as flat arrays, and the Numba kernels that walk it.

Node 0..n-1 live in preallocated arrays (doubling when full, up to a node cap), in the
style of DeepMind's mctx:

    visits    [N]     int64    simulations through the node
    value_sum [N]     float64  sum of returns from the node's incoming edge onward,
                               so Q(parent, action) = value_sum / visits
    value_sq  [N]     float64  sum of those returns squared (their spread: how
                               significant a preference between siblings is)
    reward    [N]     float64  reward on the edge into the node
    terminal  [N]     bool     the edge into the node ended the trajectory
    parent    [N]     int64    -1 for the root
    action    [N]     int64    action from the parent
    children  [N, A]  int64    child index, -1 if the action was never expanded
    key       [N, K]  uint8    state key (the RAM on Atari), for the skip rule
    prior     [N, A]  float64  a policy prior over the node's actions (uniform until a
                               guided search evaluates the node; used by PUCT only)

Each node also keeps its emulator snapshot in a Python list (``states``): a simulation
then restores its leaf directly instead of replaying the path from the root, which
would cost depth x frame_skip emulator frames per simulation; a restore costs about as
much as a third of one frame. Memory is bounded by the node cap and by compaction at
every re-rooting, which keeps only the subtree under the real action.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

NO_CHILD = -1


@njit(cache=True)
def select(children, visits, value_sum, terminal, root, max_depth, c, u):
    """Descend from ``root`` by UCB1 until a node with an unvisited action.

    Untried actions (no child, or a child with no visits) come first, one picked
    uniformly by ``u`` in [0, 1); otherwise the child maximising
    Q + c sqrt(ln N / n), ties to the lowest action index.

    Returns (node, action, depth):
      action >= 0: expand ``action`` at ``node`` (a new child at ``depth + 1``);
      action == -1: run the rollout from ``node`` itself (an unvisited existing
      child, a terminal node, or the depth limit), which is at ``depth``.
    """
    node = root
    depth = 0
    A = children.shape[1]
    while True:
        if (node != root and terminal[node]) or depth >= max_depth:
            return node, -1, depth
        n_untried = 0
        for a in range(A):
            ch = children[node, a]
            if ch == NO_CHILD or visits[ch] == 0:
                n_untried += 1
        if n_untried > 0:
            k = int(u * n_untried)
            for a in range(A):
                ch = children[node, a]
                if ch == NO_CHILD or visits[ch] == 0:
                    if k == 0:
                        if ch == NO_CHILD:
                            return node, a, depth
                        return ch, -1, depth + 1
                    k -= 1
        log_n = math.log(visits[node])
        best = -np.inf
        best_child = -1
        for a in range(A):
            ch = children[node, a]
            score = value_sum[ch] / visits[ch] + c * math.sqrt(log_n / visits[ch])
            if score > best:
                best = score
                best_child = ch
        node = best_child
        depth += 1


@njit(cache=True)
def expand(children, parent, action, reward, terminal, visits, value_sum, value_sq, prior,
           node, a, new, r, done):
    """Write node ``new`` as the child of ``node`` through action ``a`` (uniform prior)."""
    children[node, a] = new
    children[new, :] = NO_CHILD
    parent[new] = node
    action[new] = a
    reward[new] = r
    terminal[new] = done
    visits[new] = 0
    value_sum[new] = 0.0
    value_sq[new] = 0.0
    prior[new, :] = 1.0 / children.shape[1]


@njit(cache=True)
def backup(parent, reward, visits, value_sum, value_sq, leaf, root, G, gamma):
    """Add one simulation's return up the path from ``leaf`` to ``root``.

    ``G`` is the discounted return after ``leaf``'s state (the rollout's). Each node on
    the path gets G := reward[node] + gamma G, the return from its incoming edge on.
    """
    node = leaf
    while node != root:
        G = reward[node] + gamma * G
        visits[node] += 1
        value_sum[node] += G
        value_sq[node] += G * G
        node = parent[node]
    visits[root] += 1
    value_sum[root] += G
    value_sq[root] += G * G


@njit(cache=True)
def add_visits(parent, visits, leaf, root, delta):
    """Add ``delta`` visits on the path from ``leaf`` to ``root`` and leave the values:
    the virtual loss that spreads a batch of selections over different leaves (Chaslot,
    Winands & van den Herik 2008), added at selection and taken back before the backup."""
    node = leaf
    while node != root:
        visits[node] += delta
        node = parent[node]
    visits[root] += delta


@njit(cache=True)
def select_puct(children, visits, value_sum, prior, terminal, root, max_depth, c):
    """Descend from ``root`` by PUCT (Silver et al. 2017; Rosin 2011) until an
    unexpanded action, an unvisited child, a terminal node or the depth limit.

    At a node with N visits the action maximising Q(a) + c P(a) sqrt(N) / (1 + n(a)) is
    taken, P the node's ``prior`` row, Q(a) the child's mean return, or the node's own
    mean return for an action never visited (first-play urgency at the parent's value),
    ties to the lowest action index. Returns (node, action, depth) as :func:`select`.
    """
    node = root
    depth = 0
    A = children.shape[1]
    while True:
        if (node != root and terminal[node]) or depth >= max_depth:
            return node, -1, depth
        n = visits[node]
        fpu = value_sum[node] / n if n > 0 else 0.0
        sqrt_n = math.sqrt(max(n, 1))
        best = -np.inf
        best_a = 0
        for a in range(A):
            ch = children[node, a]
            n_a = visits[ch] if ch != NO_CHILD else 0
            q = value_sum[ch] / n_a if n_a > 0 else fpu
            score = q + c * prior[node, a] * sqrt_n / (1 + n_a)
            if score > best:
                best = score
                best_a = a
        ch = children[node, best_a]
        if ch == NO_CHILD:
            return node, best_a, depth
        if visits[ch] == 0:
            return ch, -1, depth + 1
        node = ch
        depth += 1


@njit(cache=True)
def root_branch(parent, node, root):
    """The child of ``root`` on the path from ``root`` down to ``node`` (``node != root``)."""
    while parent[node] != root:
        node = parent[node]
    return node


@njit(cache=True)
def subtree_order(children, root, n):
    """Old indices of the subtree under ``root`` in breadth-first order: [m] int64."""
    order = np.empty(n, dtype=np.int64)
    order[0] = root
    head, tail = 0, 1
    A = children.shape[1]
    while head < tail:
        node = order[head]
        head += 1
        for a in range(A):
            ch = children[node, a]
            if ch != NO_CHILD:
                order[tail] = ch
                tail += 1
    return order[:tail]


class Tree:
    """A search tree of up to ``node_cap`` nodes over ``num_actions`` actions.

    The root is node 0 after :meth:`reset` and after every :meth:`reroot`.
    """

    def __init__(self, num_actions: int, key_size: int, node_cap: int, initial_capacity: int = 1024):
        self.A = num_actions
        self.K = key_size
        self.node_cap = node_cap
        self.n = 0
        self.states: list = []
        self._allocate(min(initial_capacity, node_cap))

    ARRAYS = ("visits", "value_sum", "value_sq", "reward", "terminal", "parent", "action",
              "children", "key", "prior")

    def _allocate(self, capacity: int) -> None:
        self.capacity = capacity
        self.visits = np.zeros(capacity, np.int64)
        self.value_sum = np.zeros(capacity, np.float64)
        self.value_sq = np.zeros(capacity, np.float64)
        self.reward = np.zeros(capacity, np.float64)
        self.terminal = np.zeros(capacity, np.bool_)
        self.parent = np.full(capacity, -1, np.int64)
        self.action = np.full(capacity, -1, np.int64)
        self.children = np.full((capacity, self.A), NO_CHILD, np.int64)
        self.key = np.zeros((capacity, self.K), np.uint8)
        self.prior = np.full((capacity, self.A), 1.0 / self.A, np.float64)

    def _grow(self) -> None:
        """Double the arrays (up to the node cap), keeping the first n nodes."""
        old = [getattr(self, name) for name in self.ARRAYS]
        self._allocate(min(2 * self.capacity, self.node_cap))
        for name, arr in zip(self.ARRAYS, old):
            getattr(self, name)[:self.n] = arr[:self.n]

    @property
    def full(self) -> bool:
        return self.n >= self.node_cap

    def reset(self, state, key: np.ndarray) -> None:
        """A fresh tree whose root (node 0) holds ``state``."""
        self.n = 1
        self.states = [state]
        self.visits[0] = 0
        self.value_sum[0] = 0.0
        self.value_sq[0] = 0.0
        self.prior[0] = 1.0 / self.A
        self.reward[0] = 0.0
        self.terminal[0] = False
        self.parent[0] = -1
        self.action[0] = -1
        self.children[0] = NO_CHILD
        self.key[0] = key

    def add(self, node: int, a: int, r: float, done: bool, state, key: np.ndarray) -> int:
        """Add the child of ``node`` through ``a``; the caller checks ``full`` first."""
        if self.n == self.capacity:
            self._grow()
        new = self.n
        expand(self.children, self.parent, self.action, self.reward, self.terminal,
               self.visits, self.value_sum, self.value_sq, self.prior, node, a, new, r, done)
        self.key[new] = key
        self.states.append(state)
        self.n += 1
        return new

    def select(self, max_depth: int, c: float, u: float) -> tuple[int, int, int]:
        return select(self.children, self.visits, self.value_sum, self.terminal, 0, max_depth, c, u)

    def select_puct(self, max_depth: int, c: float) -> tuple[int, int, int]:
        return select_puct(self.children, self.visits, self.value_sum, self.prior, self.terminal,
                           0, max_depth, c)

    def backup(self, leaf: int, G: float, gamma: float) -> None:
        backup(self.parent, self.reward, self.visits, self.value_sum, self.value_sq, leaf, 0, G, gamma)

    def add_visits(self, leaf: int, delta: int) -> None:
        add_visits(self.parent, self.visits, leaf, 0, delta)

    def reroot(self, a: int) -> bool:
        """Keep only the subtree under the root's child ``a``, compacted so that child is
        node 0. Returns False (and leaves the tree empty) if that child does not exist."""
        child = int(self.children[0, a]) if self.n else NO_CHILD
        if child == NO_CHILD:
            self.n = 0
            self.states = []
            return False
        order = subtree_order(self.children, child, self.n)
        remap = np.full(self.n, NO_CHILD, np.int64)
        remap[order] = np.arange(len(order))
        children = self.children[order]
        self.children[:len(order)] = np.where(children >= 0, remap[np.maximum(children, 0)], NO_CHILD)
        parent = self.parent[order]
        self.parent[:len(order)] = np.where(parent >= 0, remap[np.maximum(parent, 0)], -1)
        self.parent[0] = -1
        for name in self.ARRAYS:
            if name not in ("children", "parent"):
                arr = getattr(self, name)
                arr[:len(order)] = arr[order]
        self.action[0] = -1
        self.states = [self.states[i] for i in order]
        self.n = len(order)
        return True

    def merge_root_aliases(self, rep: np.ndarray) -> None:
        """Make every root action of a group (``rep`` [A] int64: each action's group, named
        by its lowest action) lead to one child, the group's most visited (a kept
        subtree's, where the last search grew one; the lowest action's on a tie): actions
        with the same next state become one edge, so selection treats them as one action
        (a transposition at the root). The group's other children stay in the arrays,
        unreachable, until the next re-rooting drops them; every root action must already
        have a child."""
        ch = self.children[0].copy()
        visits = self.visits[ch]
        for g in np.unique(rep):
            members = np.flatnonzero(rep == g)
            self.children[0, members] = ch[members[np.argmax(visits[members])]]

    def root_stats(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(visits [A] int64, value_sum [A] float64, value_sq [A] float64) of the root's
        children."""
        ch = self.children[0]
        exists = ch >= 0
        idx = np.where(exists, ch, 0)
        visits = np.where(exists, self.visits[idx], 0)
        value_sum = np.where(exists, self.value_sum[idx], 0.0)
        value_sq = np.where(exists, self.value_sq[idx], 0.0)
        return visits, value_sum, value_sq

    def nbytes_arrays_per_node(self) -> int:
        """Bytes per node of the arrays (the snapshots come on top)."""
        return sum(getattr(self, name)[:1].nbytes for name in self.ARRAYS)
