"""A receding-horizon iLQR expert that plans with the true simulator.

At every real step the MPC reads the state, plans ``horizon`` steps ahead (never past
the episode's end, where the task's final cost applies; before it the final cost
stands in for the rest of the episode) by iLQR through the simulator's state set and
step (:mod:`imitation.gps.ilqr`), warm-started from its previous plan shifted by one,
and returns the first action with ``Quu``, the precision continuous DAgger and PLATO use
as regression weights. Optionally the plan is pulled towards a Gaussian policy (the
KL term that makes it PLATO's acting teacher; Kahn et al. 2017), in the spirit of GPS's
local controllers (Levine & Abbeel 2014).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from imitation.gps.ilqr import ILQRConfig, PolicyLinearisation, ilqr


@dataclass
class MPCConfig:
    """horizon: planning steps;  first_iterations: iLQR iterations for the first plan of an
    episode (from zero actions);  iterations: iLQR iterations when replanning
    (warm-started). :data:`MPC_DEFAULTS` holds the per-task defaults."""

    horizon: int = 30
    first_iterations: int = 50
    iterations: int = 5


# Per-task defaults: enough horizon to see the goal, few warm-started iterations.
MPC_DEFAULTS = {
    "pointmass": MPCConfig(horizon=40, first_iterations=20, iterations=2),
    "arm": MPCConfig(horizon=40, first_iterations=30, iterations=3),
    "pendulum": MPCConfig(horizon=60, first_iterations=60, iterations=5),
    "reacher": MPCConfig(horizon=30, first_iterations=30, iterations=3),
}


@dataclass
class MPCDecision:
    """u: [dU] the action to take;  Quu: [dU, dU] the plan's action-value Hessian at the
    first step (positive definite);  planned_cost: the plan's cost;  simulator_steps:
    simulator steps this decision spent (rollouts and finite differences);
    seconds: wall time of the decision."""

    u: np.ndarray
    Quu: np.ndarray
    planned_cost: float
    simulator_steps: int
    seconds: float


class MPC:
    """``act(x, t)`` plans from state ``x`` at time step ``t`` of the task's episode.

    The simulator's state is restored after planning, so the MPC can plan in the same
    task object the episode runs in.
    """

    def __init__(self, task, config: MPCConfig | None = None):
        self.task = task
        self.config = config if config is not None else MPC_DEFAULTS.get(task.name, MPCConfig())
        self._plan: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the previous plan (call at the start of an episode)."""
        self._plan = None

    def act(self, x: np.ndarray, t: int, policy: PolicyLinearisation | None = None,
            policy_weight: float = 0.0) -> MPCDecision:
        """Plan from ``x: [dX]`` at step ``t``; ``policy``/``policy_weight`` add the pull
        ``policy_weight * 0.5 (u - mu(x))^T Sigma^-1 (u - mu(x))`` to a Gaussian policy."""
        task, cfg = self.task, self.config
        start, steps0 = time.perf_counter(), task.simulator_steps
        saved = task.get_state()
        H = max(1, min(cfg.horizon, task.T - t))
        if self._plan is None:
            U0, iterations = np.zeros((H, task.dU)), cfg.first_iterations
        else:
            shifted = self._plan[1:]
            U0 = np.concatenate([shifted, np.repeat(shifted[-1:], H - len(shifted), 0)])[:H] \
                if len(shifted) else np.zeros((H, task.dU))
            iterations = cfg.iterations
        result = ilqr(task, np.asarray(x, dtype=np.float64), U0,
                      ILQRConfig(iterations=iterations), policy, policy_weight)
        self._plan = result.U
        task.set_state(saved)
        return MPCDecision(u=result.U[0].copy(), Quu=result.Quu[0].copy(),
                           planned_cost=result.costs[-1],
                           simulator_steps=task.simulator_steps - steps0,
                           seconds=time.perf_counter() - start)


@dataclass
class MPCEpisode:
    """X: [T + 1, dX], U: [T, dU] the executed trajectory;  cost: its total cost;
    final_distance;  simulator_steps: spent planning (the episode's own T steps excluded);
    planning_seconds: total planning time;  Quu: [T, dU, dU] per decision."""

    X: np.ndarray
    U: np.ndarray
    cost: float
    final_distance: float
    simulator_steps: int
    planning_seconds: float
    Quu: np.ndarray


def run_mpc_episode(task, mpc: MPC, x0: np.ndarray, progress=None) -> MPCEpisode:
    """Run the MPC for one episode of ``task.T`` steps from ``x0``, in the task's simulator."""
    T, dX, dU = task.T, task.dX, task.dU
    X, U, Quu = np.empty((T + 1, dX)), np.empty((T, dU)), np.empty((T, dU, dU))
    X[0] = x0
    mpc.reset()
    task.set_state(x0)
    sim_steps, seconds = 0, 0.0
    for t in range(T):
        decision = mpc.act(X[t], t)
        U[t], Quu[t] = decision.u, decision.Quu
        sim_steps += decision.simulator_steps
        seconds += decision.seconds
        task.step(U[t])
        X[t + 1] = task.get_state()
        if progress is not None:
            progress(t)
    return MPCEpisode(X=X, U=U, cost=float(task.trajectory_cost(X, U)),
                      final_distance=float(task.distance(X[-1])), simulator_steps=sim_steps,
                      planning_seconds=seconds, Quu=Quu)
