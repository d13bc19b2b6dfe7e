"""PLATO's acting teacher for discrete actions (Kahn, Zhang, Levine & Abbeel 2017).

PLATO executes actions from a teacher that maximises the planner's value while staying
close to the learner:

    pi_hat = argmax_pi  E_{a~pi}[Q(a)] - lambda_abs * KL(pi || pi_theta),

whose closed form is pi_hat(a) = pi_theta(a) exp(Q(a) / lambda_abs) / Z. Labels still
come from the unconstrained planner; only the executed action is drawn from pi_hat.

Definitions used here, at one state with root Q-values Q [A]:

* Actions the planner never tried (Q = NaN) get no mass: the teacher only executes
  actions whose value the planner has estimated. If no action was tried, pi_hat = pi_theta.
* lambda is relative to the spread of the tried actions' values:
  ``lambda_abs = lambda * (max Q - min Q)``. When the spread is zero (one tried action, or
  all equal) the Q term is constant and pi_hat = pi_theta restricted to tried actions.
* lambda = inf gives pi_theta (restricted to tried actions); lambda = 0 gives the limit
  lambda -> 0: all mass on the argmax set of Q, shared in proportion to pi_theta there
  (equally when pi_theta is uniform on the ties).

Everything is computed in log space: log pi_hat = log_softmax(log pi_theta + (Q - max Q) / lambda_abs).
"""
from __future__ import annotations

import math

import numpy as np


def _log_normalize(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return logits - (top + np.log(np.exp(logits - top).sum(axis=-1, keepdims=True)))


def plato_log_probs(log_pi_theta: np.ndarray, q: np.ndarray, lam: float) -> np.ndarray:
    """log pi_hat [..., A] from log pi_theta [..., A], root Q-values q [..., A] (NaN where
    untried) and the relative KL weight ``lam`` >= 0 (``math.inf`` allowed)."""
    if not lam >= 0:
        raise ValueError(f"lambda must be >= 0, got {lam}")
    log_pi_theta = np.asarray(log_pi_theta, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if log_pi_theta.shape != q.shape:
        raise ValueError(f"log_pi_theta {log_pi_theta.shape} and q {q.shape} differ in shape")
    tried = np.isfinite(q)
    any_tried = tried.any(axis=-1, keepdims=True)
    tried = np.where(any_tried, tried, True)  # nothing tried: fall back to pi_theta
    q_max = np.where(tried, q, -np.inf).max(axis=-1, keepdims=True)
    q_min = np.where(tried, q, np.inf).min(axis=-1, keepdims=True)
    spread = np.where(any_tried, q_max - q_min, 0.0)
    # A learner assigning no mass to any tried action would leave nothing: use a uniform prior.
    prior = np.where(tried, log_pi_theta, -np.inf)
    dead = ~np.isfinite(prior.max(axis=-1, keepdims=True))
    prior = np.where(dead & tried, 0.0, prior)
    gap = np.where(tried, np.nan_to_num(q) - np.where(any_tried, q_max, 0.0), 0.0)  # <= 0
    if math.isinf(lam):
        logits = prior
    elif lam == 0:
        logits = np.where((gap == 0) | (spread == 0), prior, -np.inf)
    else:
        lam_abs = np.where(spread > 0, np.maximum(lam * spread, np.finfo(np.float64).tiny), 1.0)
        with np.errstate(over="ignore"):  # a huge gap over a tiny lambda is -inf: no mass
            logits = prior + np.where(spread > 0, gap / lam_abs, 0.0)
    return _log_normalize(logits)


def plato_sample(log_pi_theta: np.ndarray, q: np.ndarray, lam: float,
                 rng: np.random.Generator) -> int:
    """Draw the executed action at one state from pi_hat (log_pi_theta, q: [A])."""
    p = np.exp(plato_log_probs(log_pi_theta, q, lam))
    return int(rng.choice(p.shape[-1], p=p / p.sum()))
