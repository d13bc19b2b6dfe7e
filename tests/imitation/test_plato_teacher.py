"""PLATO's acting teacher pi_hat(a) ~ pi_theta(a) exp(Q(a) / lambda_abs)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from imitation.plato import plato_log_probs, plato_sample


def _log(p):
    p = np.asarray(p, dtype=np.float64)
    return np.log(p / p.sum())


PI = [0.1, 0.2, 0.3, 0.4]


def test_large_lambda_gives_the_learner():
    q = np.array([3.0, -1.0, 0.5, 2.0])
    np.testing.assert_allclose(np.exp(plato_log_probs(_log(PI), q, math.inf)), PI, atol=1e-12)
    np.testing.assert_allclose(np.exp(plato_log_probs(_log(PI), q, 1e9)), PI, atol=1e-8)


def test_small_lambda_gives_the_argmax_shared_among_ties():
    q = np.array([1.0, 2.0, 0.0, 2.0])
    uniform = np.full(4, 0.25)
    for lam in (0.0, 1e-9):
        np.testing.assert_allclose(np.exp(plato_log_probs(np.log(uniform), q, lam)), [0, 0.5, 0, 0.5], atol=1e-12)
        # With a non-uniform learner the ties share in proportion to pi_theta (0.2 : 0.4).
        np.testing.assert_allclose(np.exp(plato_log_probs(_log(PI), q, lam)), [0, 1 / 3, 0, 2 / 3], atol=1e-12)


def test_closed_form_with_relative_lambda():
    q = np.array([1.0, 3.0, 2.0, 0.0])
    lam = 0.5
    lam_abs = lam * (q.max() - q.min())
    expected = np.asarray(PI) * np.exp(q / lam_abs)
    np.testing.assert_allclose(np.exp(plato_log_probs(_log(PI), q, lam)), expected / expected.sum(), rtol=1e-12)
    # Relative lambda: shifting and scaling Q changes nothing.
    np.testing.assert_allclose(plato_log_probs(_log(PI), 7.0 * q - 3.0, lam), plato_log_probs(_log(PI), q, lam), atol=1e-12)


def test_it_maximises_value_minus_kl():
    rng = np.random.default_rng(0)
    q, lam = np.array([0.3, 1.0, -0.5, 0.9]), 0.4
    lam_abs = lam * (q.max() - q.min())
    pi_theta = np.asarray(PI)

    def objective(p):
        return p @ q - lam_abs * np.sum(p * np.log(p / pi_theta))

    best = np.exp(plato_log_probs(np.log(pi_theta), q, lam))
    for _ in range(200):
        other = rng.dirichlet(np.ones(4))
        assert objective(best) >= objective(other) - 1e-12


def test_untried_actions_get_no_mass():
    q = np.array([np.nan, 1.0, np.nan, 0.0])
    p = np.exp(plato_log_probs(_log(PI), q, 1.0))
    assert p[0] == 0 and p[2] == 0 and p.sum() == pytest.approx(1.0)
    assert p[1] / p[3] == pytest.approx((0.2 / 0.4) * math.e)
    # lambda -> inf: the learner restricted to tried actions.
    np.testing.assert_allclose(np.exp(plato_log_probs(_log(PI), q, math.inf)), [0, 1 / 3, 0, 2 / 3], atol=1e-12)
    # Nothing tried, or a single tried action: no preference from Q.
    np.testing.assert_allclose(np.exp(plato_log_probs(_log(PI), np.full(4, np.nan), 0.0)), PI, atol=1e-12)
    np.testing.assert_allclose(np.exp(plato_log_probs(_log(PI), np.array([np.nan, 5.0, np.nan, np.nan]), 0.1)),
                               [0, 1, 0, 0], atol=1e-12)


def test_log_space_is_stable_for_extreme_values():
    log_pi = np.array([-800.0, 0.0, -900.0, -1e-300])
    q = np.array([1e6, -1e6, 0.0, 5e5])
    lp = plato_log_probs(log_pi, q, 1e-6)
    assert np.isfinite(lp).sum() >= 1 and not np.isnan(lp).any()
    assert np.exp(lp).sum() == pytest.approx(1.0)
    assert int(np.argmax(lp)) == 0


def test_batched_and_sampled():
    rng = np.random.default_rng(1)
    log_pi = np.log(rng.dirichlet(np.ones(5), size=3))
    q = rng.normal(size=(3, 5))
    batched = plato_log_probs(log_pi, q, 0.3)
    for i in range(3):
        np.testing.assert_allclose(batched[i], plato_log_probs(log_pi[i], q[i], 0.3), atol=1e-12)
    p = np.exp(batched[0])
    draws = np.bincount([plato_sample(log_pi[0], q[0], 0.3, rng) for _ in range(4000)], minlength=5) / 4000
    np.testing.assert_allclose(draws, p, atol=0.03)
    with pytest.raises(ValueError):
        plato_log_probs(log_pi[0], q[0], -1.0)
