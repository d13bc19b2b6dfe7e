"""The Numba kernels against hand-computed trees."""
import math

import numpy as np
import pytest

from mcts.tree import NO_CHILD, Tree, select


def small_tree():
    """root -a0-> 1 (r=1) -a1-> 3 (r=0, terminal);  root -a1-> 2 (r=-1)."""
    t = Tree(num_actions=2, key_size=1, node_cap=100, initial_capacity=2)
    t.reset("s0", np.zeros(1, np.uint8))
    n1 = t.add(0, 0, 1.0, False, "s1", np.ones(1, np.uint8))
    n2 = t.add(0, 1, -1.0, False, "s2", np.full(1, 2, np.uint8))
    n3 = t.add(n1, 1, 0.0, True, "s3", np.full(1, 3, np.uint8))
    return t, n1, n2, n3


def test_arrays_grow_by_doubling_and_keep_nodes():
    t, n1, n2, n3 = small_tree()
    assert t.capacity == 4 and t.n == 4
    t.add(n2, 0, 0.5, False, "s4", np.zeros(1, np.uint8))
    assert t.capacity == 8
    assert list(t.children[0]) == [n1, n2] and t.children[n1, 1] == n3
    assert t.states == ["s0", "s1", "s2", "s3", "s4"]


def test_backup_against_hand_computed_returns():
    t, n1, n2, n3 = small_tree()
    gamma = 0.9
    t.backup(n3, 0.0, gamma)          # root -> 1 -> 3: returns 0 at 3, 1 + 0.9*0 at 1
    t.backup(n2, 2.0, gamma)          # rollout return 2 after node 2: -1 + 0.9*2 = 0.8
    t.backup(n1, 5.0, gamma)          # 1 + 0.9*5 = 5.5
    assert list(t.visits[:4]) == [3, 2, 1, 1]
    assert t.value_sum[n3] == pytest.approx(0.0)
    assert t.value_sum[n1] == pytest.approx(1.0 + 5.5)
    assert t.value_sum[n2] == pytest.approx(0.8)
    visits, value_sum, value_sq = t.root_stats()
    assert list(visits) == [2, 1]
    np.testing.assert_allclose(value_sum / visits, [3.25, 0.8])
    np.testing.assert_allclose(value_sq, [1.0 ** 2 + 5.5 ** 2, 0.8 ** 2])


def test_select_unvisited_children_first_then_ucb():
    t, n1, n2, n3 = small_tree()
    # nothing visited yet: both root children are "untried"; u picks among them in order
    assert select(t.children, t.visits, t.value_sum, t.terminal, 0, 10, 1.0, 0.0) == (n1, -1, 1)
    assert select(t.children, t.visits, t.value_sum, t.terminal, 0, 10, 1.0, 0.99) == (n2, -1, 1)
    t.backup(n1, 0.0, 1.0)
    # node 1 visited, node 2 not: node 2 regardless of u
    assert select(t.children, t.visits, t.value_sum, t.terminal, 0, 10, 1.0, 0.0) == (n2, -1, 1)
    t.backup(n2, 0.0, 1.0)
    # both visited once: Q1 = 1, Q2 = -1 -> UCB picks node 1, whose action 0 was never expanded
    node, a, depth = select(t.children, t.visits, t.value_sum, t.terminal, 0, 10, 1.0, 0.0)
    assert (node, a, depth) == (n1, 0, 1)


def test_ucb_ties_go_to_the_lowest_action():
    t = Tree(num_actions=3, key_size=1, node_cap=10)
    t.reset("s", np.zeros(1, np.uint8))
    kids = [t.add(0, a, 0.0, False, a, np.zeros(1, np.uint8)) for a in range(3)]
    for k in kids:
        t.backup(k, 1.0, 1.0)    # identical statistics
    node, a, depth = select(t.children, t.visits, t.value_sum, t.terminal, 0, 10, 0.5, 0.7)
    assert node == kids[0] and depth == 1


def test_ucb_score_formula():
    t = Tree(num_actions=2, key_size=1, node_cap=10)
    t.reset("s", np.zeros(1, np.uint8))
    a0 = t.add(0, 0, 0.0, False, 0, np.zeros(1, np.uint8))
    a1 = t.add(0, 1, 0.0, False, 1, np.zeros(1, np.uint8))
    for _ in range(9):
        t.backup(a0, 1.0, 1.0)      # Q = 1, n = 9
    t.backup(a1, 0.6, 1.0)          # Q = 0.6, n = 1
    c = 0.2
    N = 10
    s0 = 1.0 + c * math.sqrt(math.log(N) / 9)
    s1 = 0.6 + c * math.sqrt(math.log(N) / 1)
    expected = a0 if s0 > s1 else a1
    assert select(t.children, t.visits, t.value_sum, t.terminal, 0, 10, c, 0.0)[0] == expected
    c = 1.0   # more exploration flips it
    s0 = 1.0 + c * math.sqrt(math.log(N) / 9)
    s1 = 0.6 + c * math.sqrt(math.log(N) / 1)
    assert s1 > s0
    assert select(t.children, t.visits, t.value_sum, t.terminal, 0, 10, c, 0.0)[0] == a1


def test_select_stops_at_terminal_and_depth_limit():
    t, n1, n2, n3 = small_tree()
    for n in (n1, n2):
        t.backup(n, 0.0, 1.0)
    t.value_sum[n2] = -10.0                    # steer UCB to node 1
    t.add(n1, 0, 0.0, False, "s4", np.zeros(1, np.uint8))
    for n in (n3, 4):
        t.backup(n, 0.0, 1.0)
    t.value_sum[4] = -10.0                     # and then to the terminal node 3
    assert select(t.children, t.visits, t.value_sum, t.terminal, 0, 10, 0.0, 0.0) == (n3, -1, 2)
    assert select(t.children, t.visits, t.value_sum, t.terminal, 0, 1, 0.0, 0.0) == (n1, -1, 1)


def test_reroot_keeps_the_subtree_statistics_and_compacts():
    t, n1, n2, n3 = small_tree()
    t.add(n3, 0, 2.0, False, "s4", np.full(1, 4, np.uint8))
    for leaf, G in ((n3, 1.0), (4, 3.0), (n2, 7.0)):
        t.backup(leaf, G, 0.5)
    before = {name: (t.visits[i], t.value_sum[i], t.reward[i], t.states[i])
              for name, i in (("n1", n1), ("n3", n3), ("n4", 4))}
    assert t.reroot(0)
    assert t.n == 3 and t.states == ["s1", "s3", "s4"]       # node 2's branch is gone
    assert t.parent[0] == -1 and t.children[0, 1] == 1 and t.children[1, 0] == 2 and t.parent[2] == 1
    for new, name in ((0, "n1"), (1, "n3"), (2, "n4")):
        assert (t.visits[new], t.value_sum[new], t.reward[new], t.states[new]) == before[name]
    assert (t.children[2] == NO_CHILD).all()
    assert not t.reroot(0)       # no child through action 0: the tree is dropped
    assert t.n == 0


def test_merged_root_aliases_share_the_most_visited_child_and_reroot_keeps_it():
    t = Tree(num_actions=3, key_size=1, node_cap=100)
    t.reset("s0", np.zeros(1, np.uint8))
    kids = [t.add(0, a, 0.0, False, f"s{a + 1}", np.full(1, a + 1, np.uint8)) for a in range(3)]
    grandchild = t.add(kids[1], 0, 0.0, False, "s4", np.full(1, 4, np.uint8))
    for leaf, n in ((kids[0], 2), (grandchild, 5), (kids[2], 1)):
        for _ in range(n):
            t.backup(leaf, 1.0, 1.0)
    t.merge_root_aliases(np.array([0, 0, 2]))   # actions 0 and 1 are one; 1 has the larger subtree
    assert list(t.children[0]) == [kids[1], kids[1], kids[2]]
    assert list(t.root_stats()[0]) == [5, 5, 1]   # the planner reports an alias as never tried
    assert t.reroot(0) and t.n == 2 and t.states == ["s2", "s4"] and t.visits[0] == 5
