"""``pointmass``: a 2-D double integrator that must come to rest at the origin.

The counterpart of the point-mass experiment shipped with the 2017 GPS codebase
(Finn, Levine et al.), which uses T = 100 and dt = 0.05 as we do.
State ``x = [p_x, p_y, v_x, v_y]``, action ``u = [a_x, a_y]`` (an acceleration),
dynamics the exact zero-order-hold discretisation ``p' = p + dt v + dt^2/2 a``,
``v' = v + dt a``. Observation ``o(x) = x``.
"""
from __future__ import annotations

import numpy as np

from envs.control.base import AnalyticTask


class PointMass(AnalyticTask):
    """2-D double integrator to the origin.

    Cost: ``s(x) = |p|^2 + velocity_weight |v|^2``, ``l = s + 1e-2 |u|^2``, ``l_T = 10 s``.
    The velocity weight keeps the final approach damped. Catastrophe: speed above
    ``speed_limit`` or leaving the arena ``|p_i| > arena``.
    """

    name = "pointmass"
    T = 100
    dt = 0.05
    dX, dU, dO = 4, 2, 4
    u_low = np.full(2, -10.0)
    u_high = np.full(2, 10.0)
    action_weight = 1e-2
    final_weight = 10.0
    velocity_weight = 0.1
    success_threshold = 0.05
    speed_limit = 5.0
    exploration_std = 0.3
    pd_gains = np.array([[4.0, 0.0, 4.0, 0.0], [0.0, 4.0, 0.0, 4.0]])   # critically damped, 2 rad/s
    arena = 3.0
    train_conditions = np.array([
        [-1.0, 1.0, 0.0, 0.0],
        [1.0, 0.5, 0.0, 0.0],
        [0.5, -1.0, 0.0, 0.0],
        [-0.8, -0.6, 0.0, 0.0],
    ])
    test_conditions = np.array([
        [0.0, 1.2, 0.0, 0.0],
        [-1.1, 0.2, 0.0, 0.0],
        [0.9, -0.4, 0.0, 0.0],
        [-0.3, -1.1, 0.0, 0.0],
    ])

    def __init__(self) -> None:
        super().__init__()
        dt = self.dt
        self.A = np.block([[np.eye(2), dt * np.eye(2)], [np.zeros((2, 2)), np.eye(2)]])
        self.B = np.vstack([0.5 * dt * dt * np.eye(2), dt * np.eye(2)])

    def _f(self, X: np.ndarray, U: np.ndarray) -> np.ndarray:
        return X @ self.A.T + U @ self.B.T

    def jacobians(self, X: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact: ``A`` and ``B`` everywhere, except ``B`` is zero where ``u`` is clipped."""
        H = X.shape[0]
        inside = ((U >= self.u_low) & (U <= self.u_high)).astype(np.float64)    # [H, dU]
        return np.broadcast_to(self.A, (H, 4, 4)).copy(), self.B[None] * inside[:, None, :]

    def state_cost(self, X):
        w = np.array([1.0, 1.0, self.velocity_weight, self.velocity_weight])
        s = np.sum(w * X * X, axis=-1)
        sx = 2.0 * w * X
        sxx = np.broadcast_to(np.diag(2.0 * w), X.shape[:-1] + (4, 4)).copy()
        return s, sx, sxx

    def observation(self, X):
        return np.array(X, dtype=np.float64, copy=True)

    def goal_state(self, x0):
        return np.zeros(4)

    def distance(self, X):
        return np.linalg.norm(X[..., :2], axis=-1)

    def catastrophe(self, X, t):
        speed = np.linalg.norm(X[..., 2:], axis=-1)
        return (speed > self.speed_limit) | np.any(np.abs(X[..., :2]) > self.arena, axis=-1)
