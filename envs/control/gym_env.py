"""A gymnasium ``Env`` around any :class:`envs.control.base.Task`."""
from __future__ import annotations

import gymnasium as gym
import numpy as np

from envs.control.base import SPLITS, Task


class TaskEnv(gym.Env):
    """Episodes of ``task.T`` steps from the task's training or test conditions.

    ``reset(options={"condition": i})`` starts from condition ``i`` of ``split``; without it
    a condition is drawn with the env's ``np_random``. Observations are ``o(x)``, the reward
    is the task's own (``-l(x, u)`` unless the task defines another, e.g. Reacher-v5's), and
    ``info`` carries the full state, the cost, the distance and the catastrophe flag.
    Episodes are truncated (never terminated) after ``T`` steps.
    """

    metadata = {"render_modes": []}

    def __init__(self, task: Task, split: str = "train"):
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        self.task = task
        self.split = split
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (task.dO,), np.float64)
        self.action_space = gym.spaces.Box(task.u_low.astype(np.float64),
                                           task.u_high.astype(np.float64), dtype=np.float64)
        self._t = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        conditions = self.task.train_conditions if self.split == "train" else self.task.test_conditions
        condition = (options or {}).get("condition")
        if condition is None:
            condition = int(self.np_random.integers(len(conditions)))
        x = self.task.initial_state(int(condition), self.split)
        self.task.set_state(x)
        self._t = 0
        return self.task.observation(x), {"condition": int(condition), "state": x}

    def step(self, action):
        task = self.task
        u = np.asarray(action, dtype=np.float64).reshape(task.dU)
        x = task.get_state()
        task.step(u)
        x_next = task.get_state()
        self._t += 1
        info = {
            "state": x_next,
            "cost": float(task.cost(x, u)),
            "distance": float(task.distance(x_next)),
            "catastrophe": bool(task.catastrophe(x_next, self._t)),
        }
        truncated = self._t >= task.T
        if truncated:
            info["final_cost"] = float(task.final_cost(x_next))
        return task.observation(x_next), float(task.reward(x, u, x_next)), False, truncated, info
