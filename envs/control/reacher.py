"""``reacher``: gymnasium's MuJoCo Reacher-v5, with its state set and read through MuJoCo.

State ``x = [q0, q1, target_x, target_y, qd0, qd1]`` (MuJoCo's ``qpos`` and the arm's
``qvel``; the target's slide joints never move, their velocity is always zero).
Action ``u: [2]`` in [-1, 1] (MuJoCo clamps it: ``ctrllimited``). One environment step
is ``frame_skip = 2`` physics steps of 0.01 s, exactly as gymnasium steps it.
Conditions are target positions (the arm starts near ``qpos = 0`` at rest), drawn once
from gymnasium's own reset distribution with fixed seeds.

Dynamics Jacobians come from MuJoCo's finite-difference routine ``mjd_transitionFD``,
chained over the two physics steps: ``A = A2 A1``, ``B = A2 B1 + B2``. MuJoCo 4.0's
``mjd_transitionFD`` rejects the RK4 integrator that Reacher-v5's XML selects, so it
runs on a twin model that differs only in using MuJoCo's Euler integrator (same
timestep; joint damping implicit). The simulator itself stays gymnasium's RK4 model;
the twin's Jacobians differ from RK4's by about 0.5% (relative, measured at random
states; ``tests/control/test_reacher.py`` checks it stays under 2%).
"""
from __future__ import annotations

import numpy as np

from envs.control.base import Task, two_link_ik

LINK0 = 0.1      # body1 sits 0.1 along link 0 (reacher.xml)
LINK1 = 0.11     # the fingertip body sits 0.11 along link 1
FD_EPS = 1e-6    # mjd_transitionFD's perturbation (MuJoCo's documented typical value)


def _targets(seed: int, count: int) -> np.ndarray:
    """Gymnasium's Reacher reset distribution: arm angles U(-0.1, 0.1), targets uniform in
    the disk of radius 0.2 (by rejection from the square), everything at rest."""
    rng = np.random.default_rng(seed)
    out = np.zeros((count, 6))
    for n in range(count):
        out[n, :2] = rng.uniform(-0.1, 0.1, size=2)
        while True:
            goal = rng.uniform(-0.2, 0.2, size=2)
            if np.linalg.norm(goal) < 0.2:
                break
        out[n, 2:4] = goal
    return out


class Reacher(Task):
    """Reacher-v5 with a smooth cost.

    Cost: ``s(x) = (sqrt(|d|^2 + alpha^2) - alpha) + velocity_weight |qd|^2`` where ``d`` is
    fingertip minus target (``|d|`` itself has no Hessian at the goal), ``l = s + |u|^2``
    (gymnasium's control weight, 1), ``l_T = 10 s``. The task's own reward,
    ``-|d| - |u|^2``, is :meth:`reward`. Observation: gymnasium's 10-d observation.
    Catastrophe: a joint speed above ``joint_speed_limit`` rad/s.
    """

    name = "reacher"
    T = 50                      # gymnasium's max_episode_steps for Reacher-v5
    dt = 0.02
    dX, dU, dO = 6, 2, 10
    u_low = np.full(2, -1.0)
    u_high = np.full(2, 1.0)
    action_weight = 1.0
    final_weight = 10.0
    velocity_weight = 1e-3
    alpha = 0.01
    success_threshold = 0.02
    joint_speed_limit = 30.0
    exploration_std = 0.02
    pd_gains = np.array([[0.05, 0.0, 0.0, 0.0, 0.03, 0.0], [0.0, 0.05, 0.0, 0.0, 0.0, 0.03]])
    # 32 training targets, of which ``--conditions C`` takes the first C (the commands'
    # defaults use 4 or 8); the 8 held-out targets are separate draws.
    train_conditions = _targets(seed=0, count=32)
    test_conditions = _targets(seed=1, count=8)

    def __init__(self) -> None:
        super().__init__()
        import gymnasium as gym
        import mujoco

        self._mujoco = mujoco
        env = gym.make("Reacher-v5").unwrapped
        self.model, self.data = env.model, env.data
        self.frame_skip = env.frame_skip
        self.reward_weights = (env._reward_dist_weight, env._reward_control_weight)
        self._fd_model = mujoco.MjModel.from_xml_path(env.fullpath)
        self._fd_model.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
        self._fd_data = mujoco.MjData(self._fd_model)
        self.set_state(self.train_conditions[0])

    # ----- simulator -------------------------------------------------------------------
    @staticmethod
    def _load(mujoco, model, data, x: np.ndarray) -> None:
        data.qpos[:] = x[:4]
        data.qvel[:] = (x[4], x[5], 0.0, 0.0)
        data.qacc_warmstart[:] = 0.0
        data.ctrl[:] = 0.0
        mujoco.mj_forward(model, data)

    def set_state(self, x: np.ndarray) -> None:
        """Exact: ``qpos``, ``qvel``; the constraint solver's warm start is cleared so the
        next step depends on ``x`` and ``u`` only."""
        self._load(self._mujoco, self.model, self.data, np.asarray(x, dtype=np.float64))

    def get_state(self) -> np.ndarray:
        return np.concatenate([self.data.qpos, self.data.qvel[:2]])

    def step(self, u: np.ndarray) -> None:
        self.data.ctrl[:] = u
        self.data.qacc_warmstart[:] = 0.0
        self._mujoco.mj_step(self.model, self.data, nstep=self.frame_skip)
        self.simulator_steps += 1

    def jacobians(self, X: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``A: [H, 6, 6]``, ``B: [H, 6, 2]`` from ``mjd_transitionFD`` chained over the frame skip.

        Counted as ``2 (8 + 2) + 1`` simulator steps each: the physics steps one centred
        ``mjd_transitionFD`` call takes, over the two physics steps, halved.
        """
        mj, m, d = self._mujoco, self._fd_model, self._fd_data
        H = X.shape[0]
        nx = 2 * m.nv + m.na
        A = np.empty((H, self.dX, self.dX))
        B = np.empty((H, self.dX, self.dU))
        keep = [0, 1, 2, 3, 4, 5]     # qpos (4), arm qvel (2); the target's qvel stays 0
        Ai, Bi = np.zeros((nx, nx)), np.zeros((nx, m.nu))
        for h in range(H):
            self._load(mj, m, d, X[h])
            d.ctrl[:] = U[h]
            A_full, B_full = np.eye(nx), np.zeros((nx, m.nu))
            for _ in range(self.frame_skip):
                mj.mjd_transitionFD(m, d, FD_EPS, True, Ai, Bi, None, None)
                A_full, B_full = Ai @ A_full, Ai @ B_full + Bi
                mj.mj_step(m, d)
            A[h] = A_full[np.ix_(keep, keep)]
            B[h] = B_full[keep]
        self.simulator_steps += H * (2 * (nx + m.nu) + 1)
        return A, B

    # ----- cost, observation, judgement ------------------------------------------------
    def fingertip(self, X: np.ndarray) -> np.ndarray:
        """Fingertip position ``[..., 2]`` (the analytic forward kinematics of reacher.xml)."""
        q0, q01 = X[..., 0], X[..., 0] + X[..., 1]
        return np.stack([LINK0 * np.cos(q0) + LINK1 * np.cos(q01),
                         LINK0 * np.sin(q0) + LINK1 * np.sin(q01)], axis=-1)

    def state_cost(self, X):
        q0, q01 = X[..., 0], X[..., 0] + X[..., 1]
        c0, s0, c01, s01 = np.cos(q0), np.sin(q0), np.cos(q01), np.sin(q01)
        d = np.stack([LINK0 * c0 + LINK1 * c01, LINK0 * s0 + LINK1 * s01], -1) - X[..., 2:4]
        # dd/dx for x = (q0, q1, tx, ty): [..., 2, 4]
        Jq = np.stack([np.stack([-LINK0 * s0 - LINK1 * s01, -LINK1 * s01], -1),
                       np.stack([LINK0 * c0 + LINK1 * c01, LINK1 * c01], -1)], -2)
        J = np.concatenate([Jq, np.broadcast_to(-np.eye(2), Jq.shape)], axis=-1)
        # second derivatives of the fingertip with respect to (q0, q1)
        Hx = -np.stack([np.stack([LINK0 * c0 + LINK1 * c01, LINK1 * c01], -1),
                        np.stack([LINK1 * c01, LINK1 * c01], -1)], -2)
        Hy = -np.stack([np.stack([LINK0 * s0 + LINK1 * s01, LINK1 * s01], -1),
                        np.stack([LINK1 * s01, LINK1 * s01], -1)], -2)
        a = self.alpha
        phi = np.sqrt(np.sum(d * d, axis=-1) + a * a)                      # [...]
        dphi = d / phi[..., None]                                         # [..., 2]
        ddphi = (np.eye(2) - dphi[..., :, None] * dphi[..., None, :]) / phi[..., None, None]
        qd = X[..., 4:]
        w = self.velocity_weight
        s = phi - a + w * np.sum(qd * qd, axis=-1)
        sx = np.concatenate([np.einsum("...i,...ia->...a", dphi, J), 2.0 * w * qd], axis=-1)
        sxx = np.zeros(X.shape[:-1] + (6, 6))
        sxx[..., :4, :4] = np.einsum("...ia,...ij,...jb->...ab", J, ddphi, J)
        sxx[..., :2, :2] += dphi[..., 0, None, None] * Hx + dphi[..., 1, None, None] * Hy
        sxx[..., 4:, 4:] = 2.0 * w * np.eye(2)
        return s, sx, sxx

    def reward(self, X, U, X_next):
        """Gymnasium's Reacher-v5 reward, ``-w_d |fingertip - target| - w_u |u|^2`` with its
        weights (both 1 by default), at the state
        reached. (Gymnasium evaluates it, and the observation's last two entries, with the
        kinematics ``mj_step`` leaves behind, computed before the last physics step's
        integration: one 0.01 s physics step stale.)"""
        return -self.reward_weights[0] * self.distance(X_next) \
            - self.reward_weights[1] * np.sum(U * U, axis=-1)

    def observation(self, X):
        """Gymnasium's observation: cos q, sin q, target, qd, fingertip - target."""
        return np.concatenate([np.cos(X[..., :2]), np.sin(X[..., :2]), X[..., 2:4], X[..., 4:6],
                               self.fingertip(X) - X[..., 2:4]], axis=-1)

    def goal_state(self, x0):
        q = two_link_ik(x0[2:4], LINK0, LINK1, x0[:2])
        return np.concatenate([q, x0[2:4], [0.0, 0.0]])

    def distance(self, X):
        return np.linalg.norm(self.fingertip(X) - X[..., 2:4], axis=-1)

    def catastrophe(self, X, t):
        return np.any(np.abs(X[..., 4:6]) > self.joint_speed_limit, axis=-1)
