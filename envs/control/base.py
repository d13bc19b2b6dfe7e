"""The continuous-control task interface shared by every task.

A task is the continuous analogue of an emulator with cloning: a fixed horizon ``T``,
a state ``x`` that can be read and set exactly, an observation ``o(x)`` for the
policy (the input-remapping trick of Levine et al. 2016: the trajectory optimiser
sees ``x``, the policy sees ``o``), action bounds, training and held-out test
conditions (initial states), a success threshold and a cost with analytic
derivatives, batched over time and samples.

Conventions used by every task and by ``imitation.gps``:

* a trajectory has states ``X: [T + 1, dX]`` and actions ``U: [T, dU]``;
* the cost is ``sum_t l(x_t, u_t) + l_T(x_T)`` with ``l(x, u) = s(x) + action_weight * |u|^2``
  and ``l_T(x) = final_weight * s(x)``, where ``s(x) >= 0`` is zero at the goal;
* the cost is charged on the commanded action, the dynamics apply it clipped to the
  bounds (as MuJoCo does with ``ctrllimited``), so ``B`` is zero beyond the bounds.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

SPLITS = ("train", "test")

# Central finite-difference step for tasks without analytic dynamics Jacobians.
# Relative error ~eps^2 * f''' for smooth dynamics, round-off ~1e-16 / eps.
FD_EPS = 1e-5


@dataclass(frozen=True)
class CostExpansion:
    """Second-order expansion of a cost at points batched over leading dims ``[...]``.

    l: [...]                       the cost value
    g: [..., dX + dU]              gradient with respect to the stacked ``[x; u]``
    H: [..., dX + dU, dX + dU]     Hessian with respect to ``[x; u]`` (exact, may be indefinite)

    For the final cost ``l_T(x)`` the ``u`` entries are zero.
    """

    l: np.ndarray
    g: np.ndarray
    H: np.ndarray


class Task(ABC):
    """One continuous-control task. Subclasses set the attributes below as class attributes.

    name:              registry name
    T:                 horizon (number of actions per episode)
    dt:                seconds per environment step
    dX, dU, dO:        state, action and observation sizes
    u_low, u_high:     [dU] action bounds (actions are clipped to them by the dynamics)
    action_weight:     w_u in l(x, u) = s(x) + w_u |u|^2
    final_weight:      w_T in l_T(x) = w_T s(x)
    success_threshold: an episode succeeds when ``distance(x_T) <= success_threshold``
    exploration_std:   std of the zero-mean initial controller's action noise (action units)
    pd_gains:          [dU, dX] gains of the PD initialisation ``u = -pd_gains (x - goal_state(x0))``
    train_conditions:  [C_train, dX] initial states; ``--conditions C`` uses the first C
    test_conditions:   [C_test, dX] fixed held-out initial states
    simulator_steps:   environment steps simulated so far by this object (rollouts and
                       finite differences; analytic Jacobians cost none), the planning
                       budget DAgger and PLATO report
    """

    name: str
    T: int
    dt: float
    dX: int
    dU: int
    dO: int
    u_low: np.ndarray
    u_high: np.ndarray
    action_weight: float
    final_weight: float
    success_threshold: float
    train_conditions: np.ndarray
    test_conditions: np.ndarray
    exploration_std: float
    pd_gains: np.ndarray

    def __init__(self) -> None:
        self.simulator_steps = 0

    # ----- the simulator: exact state get/set, one step at a time -----------------
    @abstractmethod
    def set_state(self, x: np.ndarray) -> None:
        """Put the simulator in state ``x: [dX]`` exactly."""

    @abstractmethod
    def get_state(self) -> np.ndarray:
        """The simulator's state, ``[dX]`` (a copy)."""

    @abstractmethod
    def step(self, u: np.ndarray) -> None:
        """Advance the simulator by one environment step with action ``u: [dU]``."""

    # ----- batched dynamics ---------------------------------------------------------
    def dynamics(self, X: np.ndarray, U: np.ndarray) -> np.ndarray:
        """``x' = f(x, u)`` for a batch: ``X: [N, dX]``, ``U: [N, dU]`` -> ``[N, dX]``.

        The default runs the simulator through set/step/get; analytic tasks vectorise.
        The simulator is left in the last computed state.
        """
        out = np.empty_like(X, dtype=np.float64)
        for n in range(X.shape[0]):
            self.set_state(X[n])
            self.step(U[n])
            out[n] = self.get_state()
        return out

    def jacobians(self, X: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``A = df/dx: [H, dX, dX]`` and ``B = df/du: [H, dX, dU]`` at ``X: [H, dX]``, ``U: [H, dU]``.

        The default takes central differences of :meth:`dynamics` with all ``2 (dX + dU)``
        perturbations of all ``H`` points in one batched call.
        """
        H, dX, dU = X.shape[0], self.dX, self.dU
        E = FD_EPS * np.eye(dX + dU)
        XU = np.concatenate([X, U], axis=1)                               # [H, dXU]
        pert = XU[:, None, :] + np.concatenate([E, -E])[None]            # [H, 2 dXU, dXU]
        out = self.dynamics(pert[..., :dX].reshape(-1, dX), pert[..., dX:].reshape(-1, dU))
        out = out.reshape(H, 2, dX + dU, dX)
        J = (out[:, 0] - out[:, 1]).transpose(0, 2, 1) / (2 * FD_EPS)    # [H, dX, dXU]
        return J[:, :, :dX], J[:, :, dX:]

    def rollout(self, x0: np.ndarray, U: np.ndarray) -> np.ndarray:
        """Open-loop rollout through the simulator: ``x0: [dX]``, ``U: [H, dU]`` -> ``X: [H + 1, dX]``."""
        X = np.empty((U.shape[0] + 1, self.dX))
        X[0] = x0
        self.set_state(x0)
        for t in range(U.shape[0]):
            self.step(U[t])
            X[t + 1] = self.get_state()
        return X

    def clip(self, U: np.ndarray) -> np.ndarray:
        """Actions clipped to the bounds, ``[..., dU]``."""
        return np.clip(U, self.u_low, self.u_high)

    # ----- cost ---------------------------------------------------------------------
    @abstractmethod
    def state_cost(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``s(x) >= 0`` with its exact derivatives: ``X: [..., dX]`` ->
        ``s: [...]``, ``s_x: [..., dX]``, ``s_xx: [..., dX, dX]``."""

    def cost(self, X: np.ndarray, U: np.ndarray) -> np.ndarray:
        """``l(x, u) = s(x) + w_u |u|^2``: ``X: [..., dX]``, ``U: [..., dU]`` -> ``[...]``."""
        return self.state_cost(X)[0] + self.action_weight * np.sum(U * U, axis=-1)

    def final_cost(self, X: np.ndarray) -> np.ndarray:
        """``l_T(x) = w_T s(x)``: ``X: [..., dX]`` -> ``[...]``."""
        return self.final_weight * self.state_cost(X)[0]

    def trajectory_cost(self, X: np.ndarray, U: np.ndarray) -> np.ndarray:
        """Total cost ``X: [..., T + 1, dX]``, ``U: [..., T, dU]`` -> ``[...]``."""
        return self.cost(X[..., :-1, :], U).sum(axis=-1) + self.final_cost(X[..., -1, :])

    def cost_expansion(self, X: np.ndarray, U: np.ndarray) -> CostExpansion:
        """Exact expansion of ``l`` at ``X: [..., dX]``, ``U: [..., dU]`` (batched over time)."""
        s, sx, sxx = self.state_cost(X)
        dX, dU = self.dX, self.dU
        batch = s.shape
        g = np.concatenate([sx, 2.0 * self.action_weight * U], axis=-1)
        H = np.zeros(batch + (dX + dU, dX + dU))
        H[..., :dX, :dX] = sxx
        H[..., dX:, dX:] = 2.0 * self.action_weight * np.eye(dU)
        return CostExpansion(l=s + self.action_weight * np.sum(U * U, axis=-1), g=g, H=H)

    def final_cost_expansion(self, X: np.ndarray) -> CostExpansion:
        """Exact expansion of ``l_T`` at ``X: [..., dX]``; the ``u`` entries are zero."""
        s, sx, sxx = self.state_cost(X)
        dX, dU = self.dX, self.dU
        w = self.final_weight
        g = np.concatenate([w * sx, np.zeros(s.shape + (dU,))], axis=-1)
        H = np.zeros(s.shape + (dX + dU, dX + dU))
        H[..., :dX, :dX] = w * sxx
        return CostExpansion(l=w * s, g=g, H=H)

    def reward(self, X: np.ndarray, U: np.ndarray, X_next: np.ndarray) -> np.ndarray:
        """The task's own reward for taking ``U`` in ``X`` and reaching ``X_next`` (all
        ``[..., d]``), ``[...]``; by default ``-l(x, u)``."""
        return -self.cost(X, U)

    # ----- what the policy sees and how an episode is judged -----------------------
    @abstractmethod
    def observation(self, X: np.ndarray) -> np.ndarray:
        """``o(x)``: ``X: [..., dX]`` -> ``[..., dO]``."""

    @abstractmethod
    def goal_state(self, x0: np.ndarray) -> np.ndarray:
        """A state at rest at the goal, ``[dX]``, reached from ``x0: [dX]`` (where the goal has
        several such states, the one nearest ``x0``); ``s(goal_state) = 0``."""

    @abstractmethod
    def distance(self, X: np.ndarray) -> np.ndarray:
        """The task's natural distance to the goal, ``X: [..., dX]`` -> ``[...]``."""

    @abstractmethod
    def catastrophe(self, X: np.ndarray, t: np.ndarray | int) -> np.ndarray:
        """Whether state ``X: [..., dX]`` at time step ``t`` (broadcastable) is a
        catastrophic event (a safety bound exceeded), ``bool [...]``."""

    def initial_state(self, condition: int, split: str = "train") -> np.ndarray:
        """Initial state ``[dX]`` of training or test condition ``condition``."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        conditions = self.train_conditions if split == "train" else self.test_conditions
        if not 0 <= condition < len(conditions):
            raise IndexError(f"{self.name}: {split} condition {condition} out of range "
                             f"0..{len(conditions) - 1}")
        return conditions[condition].copy()


class AnalyticTask(Task):
    """A task whose dynamics are our own vectorised numpy function ``_f``."""

    def __init__(self) -> None:
        super().__init__()
        self._x = self.train_conditions[0].copy()

    @abstractmethod
    def _f(self, X: np.ndarray, U: np.ndarray) -> np.ndarray:
        """Dynamics with already clipped actions: ``[N, dX]``, ``[N, dU]`` -> ``[N, dX]``."""

    def dynamics(self, X: np.ndarray, U: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        self.simulator_steps += X.shape[0]
        return self._f(X, self.clip(np.asarray(U, dtype=np.float64)))

    def set_state(self, x: np.ndarray) -> None:
        self._x = np.array(x, dtype=np.float64).reshape(self.dX)

    def get_state(self) -> np.ndarray:
        return self._x.copy()

    def step(self, u: np.ndarray) -> None:
        self._x = self.dynamics(self._x[None], np.asarray(u, dtype=np.float64).reshape(1, self.dU))[0]


def two_link_ik(target: np.ndarray, l1: float, l2: float, q_near: np.ndarray) -> np.ndarray:
    """Joint angles ``[2]`` putting a planar 2-link arm's tip at ``target: [2]`` (clipped to
    the reachable annulus), choosing the elbow branch and the ``2 pi`` shifts nearest ``q_near``."""
    r2 = float(np.dot(target, target))
    cos2 = np.clip((r2 - l1 * l1 - l2 * l2) / (2 * l1 * l2), -1.0, 1.0)
    best = None
    for q2 in (np.arccos(cos2), -np.arccos(cos2)):
        q1 = np.arctan2(target[1], target[0]) - np.arctan2(l2 * np.sin(q2), l1 + l2 * np.cos(q2))
        q = np.array([q1, q2])
        q = q_near + wrap_angle(q - q_near)
        if best is None or np.sum((q - q_near) ** 2) < np.sum((best - q_near) ** 2):
            best = q
    return best


def wrap_angle(theta: np.ndarray) -> np.ndarray:
    """Angle wrapped to ``[-pi, pi)``."""
    return (theta + np.pi) % (2.0 * np.pi) - np.pi
