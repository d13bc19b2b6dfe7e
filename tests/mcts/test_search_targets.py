"""Policy targets from a search's root statistics (mcts.targets): the planner's tie set
(UCTtoClassification), and Gumbel MuZero's completed-Q improved policy (Danihelka et al. 2022)."""
import numpy as np
import pytest

from mcts.targets import C_SCALE, C_VISIT, best_actions, completed_q_policy

NAN = np.nan


def test_classification_target_is_the_planners_tie_set():
    """The planner picks uniformly among actions tied at the top Q: that is the target."""
    q = np.array([[0.5, 0.5, 0.1], [0.0, 0.0, 0.0], [NAN, 0.2, 0.7], [NAN, NAN, NAN]])
    best = best_actions(q, np.array([1, 2, 2, 0]))
    np.testing.assert_array_equal(best, [[1, 1, 0], [1, 1, 1], [0, 0, 1], [1, 0, 0]])


def test_the_formula_on_one_root():
    q, n, prior = np.array([1.0, 0.0, NAN]), np.array([3, 1, 0]), np.array([0.5, 0.25, 0.25])
    v = (3 * 1.0 + 1 * 0.0) / 4                      # the untried action's completed Q
    scaled = np.array([1.0, 0.0, v])                 # already min 0, max 1
    logits = np.log(prior) + (C_VISIT + 3) * C_SCALE * scaled
    expected = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(completed_q_policy(q[None], n[None], prior[None])[0], expected, rtol=1e-12)


def test_it_moves_the_prior_towards_the_searched_q_where_visits_follow_the_prior():
    # PUCT spent 20 of 22 visits where a confident prior pointed; the other action is better.
    q, n, prior = np.array([[0.0, 1.0, NAN]]), np.array([[20, 2, 0]]), np.array([[0.9, 0.05, 0.05]])
    target = completed_q_policy(q, n, prior)[0]
    assert np.argmax(n[0]) == 0                      # the visit target teaches the prior back
    assert target[1] > 0.9                           # the improved policy picks the better action


def test_equal_q_gives_back_the_prior_and_no_prior_is_uniform():
    prior = np.array([[0.2, 0.3, 0.5]])
    np.testing.assert_allclose(completed_q_policy([[0.4, 0.4, NAN]], [[2, 5, 0]], prior), prior)
    np.testing.assert_allclose(completed_q_policy([[NAN, NAN, NAN]], [[0, 0, 0]], prior), prior)
    uniform = completed_q_policy([[0.4, 0.4, 0.4]], [[2, 5, 1]], [[NAN, NAN, NAN]])
    np.testing.assert_allclose(uniform, np.full((1, 3), 1 / 3))


@pytest.mark.parametrize("scale, shift", [(10.0, 3.0), (0.01, -5.0)])
def test_the_target_does_not_depend_on_the_reward_scale(scale, shift):
    rng = np.random.default_rng(0)
    q = rng.normal(size=(16, 6))
    q[rng.random((16, 6)) < 0.3] = NAN
    n = np.where(np.isfinite(q), rng.integers(1, 30, (16, 6)), 0)
    prior = rng.dirichlet(np.ones(6), 16)
    base = completed_q_policy(q, n, prior)
    np.testing.assert_allclose(completed_q_policy(q * scale + shift, n, prior), base, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(base.sum(axis=1), 1.0)
    # each row on its own gives the same target: no mixing across the batch
    np.testing.assert_allclose(completed_q_policy(q[5:6], n[5:6], prior[5:6]), base[5:6], rtol=1e-12)
