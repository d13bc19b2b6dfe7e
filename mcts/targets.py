"""What a search's root statistics say beyond its action: its tie set, a value target, a
weight and an improved policy target.

Both come from the root's children (A actions): ``visits`` [A] (n_a), ``value_sum`` [A]
(sum of the returns through a) and ``value_sq`` [A] (sum of their squares).

* :func:`search_value`: the root's value under the search, the visit-weighted mean
  return sum_a value_sum_a / sum_a n_a (AlphaZero's value target is the game's outcome;
  a depth-limited search's discounted return is the target here, Silver et al. 2017).
* :func:`preference_weight`: how significant the search's preference is. The best and
  the second-best tried actions are compared with a two-sample z statistic,
  z = (Q_1 - Q_2) / (s sqrt(1/n_1 + 1/n_2)), s^2 the pooled within-action variance of
  the returns; the weight is min(1, z / Z_FULL), so a state where the planner's choice
  is within the noise of its rollouts teaches the policy little (issue 14: "a state whose
  preference is not significant gets a small weight"). With one tried action, or a tie
  at the top, it is 0; with returns of no spread and a strict preference, it is 1.
* :func:`best_actions`: the actions tied at the highest tried Q, among which the planner
  picks uniformly: UCTtoClassification's target (Guo et al. 2014), and what agreement
  with a label is measured against.
* :func:`completed_q_policy`: a policy target from a batch of labels, Gumbel MuZero's
  improved policy softmax(log prior + sigma(completed Q)) (``--target completed-q``).

:data:`TARGETS` names the policy targets a learner can take from a label (``--target``):
the planner's action (ties spread uniformly, :func:`best_actions`), the root's visit
distribution, or the completed-Q policy. They live here, with no torch import, so that
the command line can offer them without loading the learner.
"""
from __future__ import annotations

from typing import Literal, get_args

import numpy as np

Target = Literal["action", "visits", "completed-q"]
TARGETS: tuple[str, ...] = get_args(Target)

Z_FULL = 2.0
"""A preference this many standard errors wide gets the full weight 1 (about 95% one-sided
confidence that the chosen action is better than the runner-up)."""


def best_actions(q: np.ndarray, action: np.ndarray) -> np.ndarray:
    """[B, A] float32 indicator of the actions tied at the highest tried Q (q [B, A], NaN
    for untried). Rows with no tried action mark the labelled ``action`` [B] alone."""
    q = np.asarray(q, dtype=np.float64)
    tried = np.isfinite(q)
    top = np.where(tried, q, -np.inf).max(axis=-1, keepdims=True)
    best = tried & (q == top)
    none = ~tried.any(axis=-1)
    best[none] = False
    best[none, np.asarray(action)[none]] = True
    return best.astype(np.float32)


def search_value(visits: np.ndarray, value_sum: np.ndarray) -> float:
    """The visit-weighted mean root return (NaN with no visits)."""
    n = float(np.sum(visits))
    return float(np.sum(value_sum) / n) if n > 0 else float("nan")


def preference_weight(visits: np.ndarray, value_sum: np.ndarray, value_sq: np.ndarray) -> float:
    """min(1, z / Z_FULL) for the best tried action against the runner-up (see module)."""
    visits = np.asarray(visits, np.float64)
    tried = visits > 0
    if tried.sum() < 2:
        return 0.0
    n = visits[tried]
    mean = np.asarray(value_sum, np.float64)[tried] / n
    order = np.argsort(-mean, kind="stable")
    b, s = order[0], order[1]
    gap = mean[b] - mean[s]
    if not gap > 1e-12:
        return 0.0
    dof = n.sum() - len(n)
    within = float(np.sum(np.asarray(value_sq, np.float64)[tried] - n * mean ** 2))
    if dof <= 0 or within <= 1e-12 * max(1.0, float(np.sum(n * mean ** 2))):
        return 1.0   # no spread seen within any action: the preference is all there is
    z = gap / np.sqrt(within / dof * (1.0 / n[b] + 1.0 / n[s]))
    return float(min(1.0, z / Z_FULL))


C_VISIT = 50.0
"""Gumbel MuZero's c_visit: sigma's scale grows as (C_VISIT + max_a N(a)) (Danihelka et al.
2022, their default; mctx's ``maxvisit_init``)."""
C_SCALE = 0.1
"""Gumbel MuZero's c_scale on the rescaled Q-values (mctx's ``value_scale``)."""


def completed_q_policy(q: np.ndarray, visits: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """[B, A] float64 the improved policy of Gumbel MuZero (Danihelka et al. 2022, "Policy
    improvement by planning with Gumbel"): softmax(log prior + sigma(completed Q)).

    q [B, A] root Q-values (NaN where untried), visits [B, A] root visit counts, prior
    [B, A] the search's root prior (a row of NaN: no prior, taken as uniform).

    * completed Q: Q(a) where a was tried, else the root's value under the search, the
      visit-weighted mean of the tried Q (:func:`search_value`; the paper mixes in the
      network's value, which a label does not keep);
    * rescaled per root to [0, 1] by its min and max (as mctx does per node), so
      sigma(q) = (C_VISIT + max_a N(a)) * C_SCALE * q is in logits whatever the game's
      reward scale; a root whose completed Q are all equal gives back the prior.

    Unlike the visit distribution, it moves the prior towards the searched Q even when
    PUCT spent its few visits where the prior pointed. Rows without visits give the prior.
    """
    q = np.asarray(q, np.float64)
    n = np.asarray(visits, np.float64)
    prior = np.asarray(prior, np.float64)
    A = q.shape[-1]
    tried = n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        v = (np.where(tried, q, 0.0) * n).sum(axis=-1, keepdims=True) / n.sum(axis=-1, keepdims=True)
        completed = np.where(tried, q, v)
        lo = completed.min(axis=-1, keepdims=True)
        span = completed.max(axis=-1, keepdims=True) - lo
        scaled = np.where(span > 1e-8, (completed - lo) / np.maximum(span, 1e-8), 0.0)
        sigma = (C_VISIT + n.max(axis=-1, keepdims=True)) * C_SCALE * scaled
        known = np.isfinite(prior).all(axis=-1, keepdims=True)
        log_prior = np.where(known, np.log(np.where(known, prior, 1.0)), -np.log(A))
    logits = log_prior + sigma   # sigma is 0 on a row without visits (its span is NaN)
    logits = logits - logits.max(axis=-1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=-1, keepdims=True)
