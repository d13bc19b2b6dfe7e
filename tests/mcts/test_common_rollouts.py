"""Common random numbers for sibling rollouts (UCTConfig.rollout_noise = "common")."""
import numpy as np
import pytest

from common.errors import ConfigError
from envs.synthetic import shifted
from mcts.config import Budget, UCTConfig
from mcts.plain_uct import PlainUCT
from mcts.uct import CommonRollouts, UCTPlanner

SHIFT = np.array([0.0, 0.5, -1.0, 2.0])
K = 32   # simulations per root action: a power of two, so the means are exact


def balanced(noise: str, seed: int = 0, depth: int = 6):
    """K simulations per root action (a huge exploration constant balances the visits),
    undiscounted, so that Q is a mean of K returns of the shifted model."""
    return UCTPlanner(shifted(list(SHIFT), states=12, seed=3),
                      UCTConfig(budget=Budget(sims=K * len(SHIFT)), max_depth=depth, exploration=1000.0,
                                gamma=1.0, rollout_noise=noise), seed=seed)


@pytest.mark.parametrize("seed", range(3))
def test_paired_rollouts_recover_the_shift_exactly(seed):
    d = balanced("common", seed).decide(0, 0)
    assert (d.visits == K).all()
    np.testing.assert_array_equal(d.q - d.q[0], SHIFT - SHIFT[0])


@pytest.mark.parametrize("seed", range(3))
def test_independent_rollouts_do_not(seed):
    d = balanced("independent", seed).decide(0, 0)
    assert (d.visits == K).all()
    error = np.abs((d.q - d.q[0]) - (SHIFT - SHIFT[0]))
    assert error.max() > 0.05     # the noise of K independent returns of up to 5 steps


def test_same_seed_same_decision():
    a, b = (balanced("common", 7, depth=8).decide(0, t) for t in (4, 4))
    np.testing.assert_array_equal(a.q, b.q)
    np.testing.assert_array_equal(a.visits, b.visits)
    assert a.action == b.action and a.frames == b.frames
    c = balanced("common", 8, depth=8).decide(0, 4)
    assert not np.array_equal(a.q, c.q)      # another seed draws other numbers


def test_rows_do_not_depend_on_how_many_are_drawn():
    few = CommonRollouts(1, 2, 0, 6, 9)
    many = CommonRollouts(1, 2, 0, 6, 9)
    late = many.row(200)
    u, actions = few.row(3)
    assert u == many.row(3)[0] and np.array_equal(actions, many.row(3)[1])
    assert actions.shape == (9,) and actions.min() >= 0 and actions.max() < 6
    assert not np.array_equal(late[1], actions)
    other_worker = CommonRollouts(1, 2, 1, 6, 9).row(3)
    assert not np.array_equal(other_worker[1], actions)


def test_bad_rollout_noise_names_the_field():
    with pytest.raises(ConfigError, match="rollout_noise must be 'independent' or 'common'"):
        UCTConfig(rollout_noise="paired")
    with pytest.raises(ConfigError, match="rollout_noise"):
        PlainUCT(shifted([0.0, 1.0]), UCTConfig(rollout_noise="common"))
