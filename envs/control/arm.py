"""``arm``: a 2-link planar arm (horizontal plane, no gravity) reaching a fixed target.

Our own dynamics: two uniform rods of mass ``m`` and length ``l`` with viscous joint
damping ``b``, ``M(q) qdd + c(q, qd) + b qd = tau``, integrated with semi-implicit Euler
in ``substeps`` sub-steps per environment step. The counterpart of the 2-link arm
shipped with the 2017 GPS codebase (Finn, Levine et al.), T = 100, dt = 0.05.
State ``x = [q1, q2, qd1, qd2]`` (angles unwrapped), action ``u = tau: [2]`` in N m.
"""
from __future__ import annotations

import numpy as np

from envs.control.base import AnalyticTask, two_link_ik


class Arm(AnalyticTask):
    """Reach ``target`` with the fingertip.

    Cost: in joint space, as the 2017 GPS codebase's arm: ``s(x) = |q - q_target|^2 +
    velocity_weight |qd|^2`` where ``q_target`` is the (elbow-up) inverse kinematics of
    ``target``; ``l = s + 1e-2 |u|^2``, ``l_T = 10 s``. (A fingertip-space cost
    ``|p(q) - target|^2`` has an indefinite exact Hessian far from the target, which makes
    the KL-constrained LQR raise eta until it barely moves.) The distance is the
    fingertip's to ``target``.
    Observation: ``[cos q1, sin q1, cos q2, sin q2, qd1, qd2, p - target]``.
    Catastrophe: a joint speed above ``joint_speed_limit`` (rad/s).
    """

    name = "arm"
    T = 100
    dt = 0.05
    substeps = 5
    dX, dU, dO = 4, 2, 8
    mass = 1.0
    length = 0.5
    damping = 0.1
    u_low = np.full(2, -5.0)
    u_high = np.full(2, 5.0)
    action_weight = 1e-2
    final_weight = 10.0
    velocity_weight = 1e-2
    success_threshold = 0.05
    joint_speed_limit = 10.0
    exploration_std = 0.3
    pd_gains = np.array([[5.0, 0.0, 1.0, 0.0], [0.0, 5.0, 0.0, 1.0]])
    target = np.array([0.2, 0.7])
    # the elbow-up joint angles that put the fingertip on the target
    q_target = two_link_ik(target, length, length, np.array([0.0, 1.0]))
    train_conditions = np.array([
        [0.0, 0.5, 0.0, 0.0],
        [-0.5, 1.0, 0.0, 0.0],
        [1.0, 1.5, 0.0, 0.0],
        [0.5, -1.0, 0.0, 0.0],
    ])
    test_conditions = np.array([
        [-0.3, 0.8, 0.0, 0.0],
        [0.8, 0.3, 0.0, 0.0],
        [0.2, 1.8, 0.0, 0.0],
        [-0.8, 0.5, 0.0, 0.0],
    ])

    def _f(self, X: np.ndarray, U: np.ndarray) -> np.ndarray:
        m, l, b = self.mass, self.length, self.damping
        lc, inertia = l / 2.0, m * l * l / 12.0
        q, qd = X[:, :2].copy(), X[:, 2:].copy()
        h = self.dt / self.substeps
        for _ in range(self.substeps):
            cos2, sin2 = np.cos(q[:, 1]), np.sin(q[:, 1])
            M11 = 2 * inertia + m * lc * lc + m * (l * l + lc * lc + 2 * l * lc * cos2)
            M12 = inertia + m * (lc * lc + l * lc * cos2)
            M22 = np.full_like(M11, inertia + m * lc * lc)
            k = m * l * lc * sin2
            c1 = -k * (2 * qd[:, 0] * qd[:, 1] + qd[:, 1] ** 2)
            c2 = k * qd[:, 0] ** 2
            r1 = U[:, 0] - c1 - b * qd[:, 0]
            r2 = U[:, 1] - c2 - b * qd[:, 1]
            det = M11 * M22 - M12 * M12
            qdd = np.stack([(M22 * r1 - M12 * r2) / det, (M11 * r2 - M12 * r1) / det], axis=1)
            qd = qd + h * qdd
            q = q + h * qd
        return np.concatenate([q, qd], axis=1)

    def fingertip(self, X: np.ndarray) -> np.ndarray:
        """Fingertip position ``[..., 2]``."""
        q1, q12 = X[..., 0], X[..., 0] + X[..., 1]
        return self.length * np.stack([np.cos(q1) + np.cos(q12), np.sin(q1) + np.sin(q12)], axis=-1)

    def state_cost(self, X):
        e = X[..., :2] - self.q_target
        qd = X[..., 2:]
        w = np.array([1.0, 1.0, self.velocity_weight, self.velocity_weight])
        err = np.concatenate([e, qd], axis=-1)
        s = np.sum(w * err * err, axis=-1)
        sxx = np.broadcast_to(np.diag(2.0 * w), X.shape[:-1] + (4, 4)).copy()
        return s, 2.0 * w * err, sxx

    def observation(self, X):
        return np.concatenate([np.cos(X[..., :1]), np.sin(X[..., :1]), np.cos(X[..., 1:2]),
                               np.sin(X[..., 1:2]), X[..., 2:], self.fingertip(X) - self.target],
                              axis=-1)

    def goal_state(self, x0):
        return np.concatenate([self.q_target, [0.0, 0.0]])

    def distance(self, X):
        return np.linalg.norm(self.fingertip(X) - self.target, axis=-1)

    def catastrophe(self, X, t):
        return np.any(np.abs(X[..., 2:]) > self.joint_speed_limit, axis=-1)
