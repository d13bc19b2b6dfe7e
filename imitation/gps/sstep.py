"""The S-step: precision-weighted regression of the policy onto a teacher's mean actions.

Levine et al. 2016 (JMLR, Sec. 4.2 and Appendix A.4); Montgomery & Levine 2016 (MDGPS):
with the local controllers ``p_i(u | x) = N(K_t x + k_t, Sigma_t)`` fixed, minimising
``sum KL(pi_theta(u | o(x)) || p_i(u | x))`` over the policy's samples splits into

* the mean: ``min_theta sum_n (mu_theta(o_n) - u_n)^T W_n (mu_theta(o_n) - u_n)`` with
  ``u_n = K_t x_n + k_t`` and ``W_n = Sigma_t^-1``, a weighted least-squares regression;
* the covariance, state-independent: ``min_S sum_n tr(W_n S) - log det S``, whose
  minimiser is ``S = (mean_n W_n)^-1`` in closed form.

Continuous DAgger and PLATO use the same regression with ``W_n`` the MPC's ``Quu`` at the
labelled state (the precision of the maximum-entropy controller ``N(u*, Quu^-1)``), so all
three methods fit one policy class by one loss.

The mean is fitted by Adam (Kingma & Ba 2015) on minibatches with a cosine learning-rate
decay to zero, warm-started from the current parameters (as the GPS codebase continues
from its previous solution). The weights are divided by their mean trace, which leaves
the minimiser unchanged and keeps the loss on the scale of a squared action error.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from imitation.gps.policy import GaussianPolicy


@dataclass(frozen=True)
class SStepConfig:
    """steps: Adam steps per S-step;  batch_size: minibatch size (the whole data set when
    it is smaller);  learning_rate: Adam's initial step, decayed to 0 by a cosine;
    weight_decay: L2 penalty on the network's parameters (Adam's, 0 for none)."""

    steps: int = 1000
    batch_size: int = 256
    learning_rate: float = 3e-3
    weight_decay: float = 0.0

    def __post_init__(self):
        if self.steps <= 0 or self.batch_size <= 0:
            raise ValueError("steps and batch_size must be positive")
        if not self.learning_rate > 0 or self.weight_decay < 0:
            raise ValueError("learning_rate must be > 0 and weight_decay >= 0")


@dataclass
class SStepStats:
    """loss_before, loss_after: the normalised weighted loss on the whole data set;
    points: its size."""

    loss_before: float
    loss_after: float
    points: int


def closed_form_covariance(W: np.ndarray) -> np.ndarray:
    """The policy covariance minimising the summed KL to the teachers: ``(mean_n W_n)^-1``.

    W: [N, dU, dU] precisions -> [dU, dU].
    """
    S = np.linalg.inv(W.mean(axis=0))
    return 0.5 * (S + S.T)


def weighted_loss(policy: GaussianPolicy, obs: torch.Tensor, U: torch.Tensor,
                  W: torch.Tensor) -> torch.Tensor:
    """``mean_n (mu(o_n) - u_n)^T W_n (mu(o_n) - u_n)``: obs [B, dO], U [B, dU], W [B, dU, dU]."""
    r = policy(obs) - U
    return torch.einsum("bi,bij,bj->b", r, W, r).mean()


def precision_weighted_regression(policy: GaussianPolicy, obs: np.ndarray, U: np.ndarray,
                                  W: np.ndarray, config: SStepConfig,
                                  rng: np.random.Generator) -> SStepStats:
    """Fit the policy's mean to targets ``U: [N, dU]`` at observations ``obs: [N, dO]`` with
    weights ``W: [N, dU, dU]`` (positive definite), and set its covariance to
    :func:`closed_form_covariance` of ``W``. Sets the observation standardisation on the
    first call. Minibatches are drawn with ``rng``."""
    policy.set_observation_scale(obs)
    policy.set_covariance(closed_form_covariance(W))
    N = obs.shape[0]
    W = W / np.mean(np.trace(W, axis1=1, axis2=2))
    o = torch.as_tensor(np.asarray(obs, dtype=np.float64))
    u = torch.as_tensor(np.asarray(U, dtype=np.float64))
    w = torch.as_tensor(np.asarray(W, dtype=np.float64))
    with torch.no_grad():
        before = float(weighted_loss(policy, o, u, w))
    optimiser = torch.optim.Adam(policy.net.parameters(), lr=config.learning_rate,
                                 weight_decay=config.weight_decay)
    batch = min(config.batch_size, N)
    for step in range(config.steps):
        for group in optimiser.param_groups:
            group["lr"] = config.learning_rate * 0.5 * (1.0 + math.cos(math.pi * step / config.steps))
        idx = torch.from_numpy(rng.choice(N, size=batch, replace=False)) if batch < N else slice(None)
        loss = weighted_loss(policy, o[idx], u[idx], w[idx])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        after = float(weighted_loss(policy, o, u, w))
    return SStepStats(loss_before=before, loss_after=after, points=N)
