"""The array planner makes exactly the choices of the plain pure-Python UCT."""
import numpy as np
import pytest

from envs.atari import AtariEnv, AtariPlanningModel
from envs.synthetic import FiniteMDP
from mcts.config import Budget, UCTConfig
from mcts.plain_uct import PlainUCT
from mcts.uct import UCTPlanner


def random_mdp(seed, S=40, A=3):
    rng = np.random.default_rng(seed)
    return FiniteMDP(next_state=rng.integers(S, size=(S, A)), reward=rng.normal(size=(S, A)).round(2),
                     terminal=rng.random((S, A)) < 0.05)


CONFIGS = [
    UCTConfig(budget=Budget(sims=200), max_depth=8, exploration=0.1),
    UCTConfig(budget=Budget(sims=100), max_depth=5, exploration=1.0, final_action="visits"),
    UCTConfig(budget=Budget(frames=700), max_depth=10, exploration=0.5, node_cap=60),
    UCTConfig(budget=Budget(sims=80), max_depth=6, reuse_tree=False, skip_rule=False),
]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("mdp_seed", [0, 1])
def test_same_decisions_as_plain_python_on_random_mdps(config, mdp_seed):
    fast, slow = random_mdp(mdp_seed), random_mdp(mdp_seed)
    a, b = UCTPlanner(fast, config, seed=7), PlainUCT(slow, config, seed=7)
    state = 0
    for t in range(12):
        d1, d2 = a.decide(state, t), b.decide(state, t)
        assert d1.action == d2.action
        np.testing.assert_array_equal(d1.visits, d2.visits)
        np.testing.assert_array_equal(d1.q, d2.q)
        assert (d1.frames, d1.skipped) == (d2.frames, d2.skipped)
        fast.restore_state(state)
        _, done = fast.step(d1.action)
        state = 0 if done else fast.clone_state()
    if config.reuse_tree:
        assert a.tree.n == b.size


def test_same_decisions_as_plain_python_on_pong():
    config = UCTConfig(budget=Budget(sims=8), max_depth=8)
    env = AtariEnv("pong")
    env.reset(seed=0)
    fast, slow = UCTPlanner(AtariPlanningModel("pong"), config, seed=1), PlainUCT(AtariPlanningModel("pong"), config, seed=1)
    for t in range(15):
        root = env.snapshot()
        d1, d2 = fast.decide(root, t), slow.decide(root, t)
        assert d1.action == d2.action
        np.testing.assert_array_equal(d1.visits, d2.visits)
        np.testing.assert_array_equal(d1.q, d2.q)
        assert d1.frames == d2.frames
        env.step(d1.action)
