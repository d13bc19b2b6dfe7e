"""``pendulum``: torque-limited swing-up of a damped pendulum, nonlinear.

``theta = 0`` is upright and the pendulum starts hanging near ``theta = pi``.
``theta'' = (g / l) sin(theta) - b theta' + u / (m l^2)`` with m = l = 1, integrated with
one semi-implicit Euler step per dt (``omega' = omega + dt theta''``, ``theta' = theta + dt omega'``),
whose Jacobians we write out exactly. The torque bound (4 N m < m g l = 9.81 N m)
means the pendulum must pump before it can rise.
"""
from __future__ import annotations

import numpy as np

from envs.control.base import AnalyticTask, wrap_angle


class Pendulum(AnalyticTask):
    """Swing up and balance.

    Cost: ``s(x) = 2 (1 - cos theta) + velocity_weight omega^2`` (smooth, periodic, zero
    upright; its Hessian ``2 cos theta`` is negative below the horizontal), ``l = s + 1e-2 u^2``,
    ``l_T = 100 s``. Distance: the wrapped angle from upright, in radians.
    Observation ``[cos theta, sin theta, omega]``.
    Catastrophe (a fall): after ``balance_from`` of the horizon the pendulum is more than
    pi/2 from upright.
    """

    name = "pendulum"
    T = 100
    dt = 0.05
    dX, dU, dO = 2, 1, 3
    gravity = 9.81
    damping = 0.1
    u_low = np.array([-4.0])
    u_high = np.array([4.0])
    action_weight = 1e-2
    final_weight = 100.0
    velocity_weight = 1e-2
    success_threshold = 0.1
    balance_from = 0.6
    exploration_std = 1.0
    pd_gains = np.array([[10.0, 2.0]])
    train_conditions = np.array([
        [np.pi - 0.2, 0.0],
        [np.pi + 0.3, 0.0],
        [np.pi - 0.5, 0.5],
        [np.pi + 0.1, -0.5],
    ])
    test_conditions = np.array([
        [np.pi + 0.2, 0.0],
        [np.pi - 0.4, -0.3],
        [np.pi + 0.5, 0.3],
        [np.pi - 0.1, 0.2],
    ])

    def _f(self, X: np.ndarray, U: np.ndarray) -> np.ndarray:
        theta, omega = X[:, 0], X[:, 1]
        omega = omega + self.dt * (self.gravity * np.sin(theta) - self.damping * omega + U[:, 0])
        return np.stack([theta + self.dt * omega, omega], axis=1)

    def jacobians(self, X: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact Jacobians of the semi-implicit Euler step; ``B`` is zero where ``u`` is clipped."""
        dt, H = self.dt, X.shape[0]
        domega_dtheta = dt * self.gravity * np.cos(X[:, 0])
        domega_domega = 1.0 - dt * self.damping
        A = np.empty((H, 2, 2))
        A[:, 1, 0] = domega_dtheta
        A[:, 1, 1] = domega_domega
        A[:, 0, 0] = 1.0 + dt * domega_dtheta
        A[:, 0, 1] = dt * domega_domega
        inside = ((U[:, 0] >= self.u_low[0]) & (U[:, 0] <= self.u_high[0])).astype(np.float64)
        B = np.stack([dt * dt * inside, dt * inside], axis=1)[:, :, None]
        return A, B

    def state_cost(self, X):
        theta, omega = X[..., 0], X[..., 1]
        w = self.velocity_weight
        s = 2.0 * (1.0 - np.cos(theta)) + w * omega ** 2
        sx = np.stack([2.0 * np.sin(theta), 2.0 * w * omega], axis=-1)
        sxx = np.zeros(X.shape[:-1] + (2, 2))
        sxx[..., 0, 0] = 2.0 * np.cos(theta)
        sxx[..., 1, 1] = 2.0 * w
        return s, sx, sxx

    def observation(self, X):
        return np.stack([np.cos(X[..., 0]), np.sin(X[..., 0]), X[..., 1]], axis=-1)

    def goal_state(self, x0):
        return np.array([x0[0] - wrap_angle(x0[0]), 0.0])

    def distance(self, X):
        return np.abs(wrap_angle(X[..., 0]))

    def catastrophe(self, X, t):
        late = np.asarray(t) >= int(self.balance_from * self.T)
        return late & (self.distance(X) > np.pi / 2)
