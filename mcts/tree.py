"""The search tree as flat arrays, and the Numba kernels that walk it.

Node 0..n-1 live in preallocated arrays (doubling when full, up to a node cap), in the
style of DeepMind's mctx:

    visits    [N]     int64    simulations through the node
    value_sum [N]     float64  sum of returns from the node's incoming edge onward,
                               so Q(parent, action) = value_sum / visits
    reward    [N]     float64  reward on the edge into the node
    terminal  [N]     bool     the edge into the node ended the trajectory
    parent    [N]     int64    -1 for the root
    action    [N]     int64    action from the parent
    children  [N, A]  int64    child index, -1 if the action was never expanded
    key       [N, K]  uint8    state key (the RAM on Atari), for the skip rule

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
def expand(children, parent, action, reward, terminal, visits, value_sum, node, a, new, r, done):
    """Write node ``new`` as the child of ``node`` through action ``a``."""
    children[node, a] = new
    children[new, :] = NO_CHILD
    parent[new] = node
    action[new] = a
    reward[new] = r
    terminal[new] = done
    visits[new] = 0
    value_sum[new] = 0.0


@njit(cache=True)
def backup(parent, reward, visits, value_sum, leaf, root, G, gamma):
    """Add one simulation's return up the path from ``leaf`` to ``root``.

    ``G`` is the discounted return after ``leaf``'s state (the rollout's). Each node on
    the path gets G := reward[node] + gamma G, the return from its incoming edge on.
    """
    node = leaf
    while node != root:
        G = reward[node] + gamma * G
        visits[node] += 1
        value_sum[node] += G
        node = parent[node]
    visits[root] += 1
    value_sum[root] += G


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

    def _allocate(self, capacity: int) -> None:
        self.capacity = capacity
        self.visits = np.zeros(capacity, np.int64)
        self.value_sum = np.zeros(capacity, np.float64)
        self.reward = np.zeros(capacity, np.float64)
        self.terminal = np.zeros(capacity, np.bool_)
        self.parent = np.full(capacity, -1, np.int64)
        self.action = np.full(capacity, -1, np.int64)
        self.children = np.full((capacity, self.A), NO_CHILD, np.int64)
        self.key = np.zeros((capacity, self.K), np.uint8)

    def _grow(self) -> None:
        """Double the arrays (up to the node cap), keeping the first n nodes."""
        old = (self.visits, self.value_sum, self.reward, self.terminal, self.parent,
               self.action, self.children, self.key)
        self._allocate(min(2 * self.capacity, self.node_cap))
        for new, arr in zip((self.visits, self.value_sum, self.reward, self.terminal, self.parent,
                             self.action, self.children, self.key), old):
            new[:self.n] = arr[:self.n]

    @property
    def full(self) -> bool:
        return self.n >= self.node_cap

    def reset(self, state, key: np.ndarray) -> None:
        """A fresh tree whose root (node 0) holds ``state``."""
        self.n = 1
        self.states = [state]
        self.visits[0] = 0
        self.value_sum[0] = 0.0
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
               self.visits, self.value_sum, node, a, new, r, done)
        self.key[new] = key
        self.states.append(state)
        self.n += 1
        return new

    def select(self, max_depth: int, c: float, u: float) -> tuple[int, int, int]:
        return select(self.children, self.visits, self.value_sum, self.terminal, 0, max_depth, c, u)

    def backup(self, leaf: int, G: float, gamma: float) -> None:
        backup(self.parent, self.reward, self.visits, self.value_sum, leaf, 0, G, gamma)

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
        for arr in (self.visits, self.value_sum, self.reward, self.terminal, self.action, self.key):
            arr[:len(order)] = arr[order]
        self.action[0] = -1
        self.states = [self.states[i] for i in order]
        self.n = len(order)
        return True

    def root_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """(visits [A] int64, value_sum [A] float64) of the root's children."""
        ch = self.children[0]
        exists = ch >= 0
        idx = np.where(exists, ch, 0)
        visits = np.where(exists, self.visits[idx], 0)
        value_sum = np.where(exists, self.value_sum[idx], 0.0)
        return visits, value_sum

    def nbytes_arrays_per_node(self) -> int:
        """Bytes per node of the arrays (the snapshots come on top)."""
        return (self.visits.itemsize + self.value_sum.itemsize + self.reward.itemsize
                + self.terminal.itemsize + self.parent.itemsize + self.action.itemsize
                + self.children.itemsize * self.A + self.key.itemsize * self.K)
