"""Sampling trajectories of a linear-Gaussian controller on a task, batched over samples."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imitation.gps.controller import NOISE_SMOOTHING_STEPS, LinearGaussianController, smoothed_noise


@dataclass
class Samples:
    """N trajectories from one initial condition.

    X:    [N, T + 1, dX] states (``X[:, 0]`` the initial state)
    U:    [N, T, dU] commanded actions (the dynamics clip them to the task's bounds)
    cost: [N] total cost ``sum_t l(x_t, u_t) + l_T(x_T)``
    """

    X: np.ndarray
    U: np.ndarray
    cost: np.ndarray

    @property
    def N(self) -> int:
        return self.X.shape[0]


def sample_controller(task, controller: LinearGaussianController, x0: np.ndarray, N: int,
                      rng: np.random.Generator, smoothing: float = NOISE_SMOOTHING_STEPS) -> Samples:
    """Run ``controller`` ``N`` times from ``x0: [dX]`` with smoothed exploration noise.

    ``u_t = K_t x_t + k_t + chol(Sigma_t) eps_t`` with ``eps`` from :func:`smoothed_noise`.
    All N samples step together through ``task.dynamics``.
    """
    T, dX, dU = controller.T, task.dX, task.dU
    noise = smoothed_noise(rng, N, T, dU, smoothing)
    noise = np.einsum("tij,ntj->nti", controller.chol_Sigma(), noise)       # [N, T, dU]
    X = np.empty((N, T + 1, dX))
    U = np.empty((N, T, dU))
    X[:, 0] = x0
    for t in range(T):
        U[:, t] = controller.mean(t, X[:, t]) + noise[:, t]
        X[:, t + 1] = task.dynamics(X[:, t], U[:, t])
    return Samples(X=X, U=U, cost=task.trajectory_cost(X, U))
