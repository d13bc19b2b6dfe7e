"""``distill mpc``: one episode of the iLQR model-predictive expert on a continuous task.

The MPC plans with the true simulator (state set and step) every step over a receding
horizon. Writes ``result.json`` with ``cost`` (the episode's total cost),
``final_distance``, ``planning_seconds_per_step`` and ``simulator_steps`` (what planning
spent: rollouts and finite-difference Jacobians, the episode's own steps excluded).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from distill.args import add_out, add_seed, nonneg_int, positive_int
from distill.commands.trajopt import load_task
from common.errors import DistillError

if TYPE_CHECKING:
    from imitation.gps.mpc import MPCConfig

NAME = "mpc"
HELP = "run the iLQR MPC expert (true simulator) for one episode of a continuous task"


@dataclass(frozen=True)
class MPCRun:
    """task, training condition, horizon T and the planner's configuration."""

    task: str
    condition: int
    horizon: int
    mpc: MPCConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", required=True, help="pointmass, arm, pendulum or reacher")
    parser.add_argument("--condition", type=nonneg_int, default=0,
                        help="index of the training condition to start from (default 0)")
    parser.add_argument("--horizon", type=int, default=None, metavar="T",
                        help="episode length T (default: the task's)")
    parser.add_argument("--lookahead", type=positive_int, default=None,
                        help="planning steps per decision (default: per task)")
    parser.add_argument("--iterations", type=positive_int, default=None,
                        help="iLQR iterations per replanning step (default: per task)")
    add_seed(parser)
    add_out(parser)


def run(args: argparse.Namespace) -> int:
    import dataclasses

    import numpy as np

    from tqdm import tqdm

    from common import rundir
    from imitation.gps.mpc import MPC, MPC_DEFAULTS, MPCConfig, run_mpc_episode

    task = load_task(args.task, args.horizon)
    n_train = len(task.train_conditions)
    if not 0 <= args.condition < n_train:
        raise DistillError(f"--condition {args.condition} out of range: {task.name} has training "
                           f"conditions 0..{n_train - 1}")
    config = MPC_DEFAULTS.get(task.name, MPCConfig())
    for flag, field in (("lookahead", "horizon"), ("iterations", "iterations")):
        value = getattr(args, flag)
        if value is not None:
            if value <= 0:
                raise DistillError(f"--{flag} must be a positive integer, got {value}")
            config = dataclasses.replace(config, **{field: value})
    out = rundir.prepare_out(args.out, NAME, task.name)
    rundir.write_config(out, NAME, MPCRun(task.name, args.condition, task.T, config), args.seed)
    x0 = task.initial_state(args.condition)
    with tqdm(total=task.T, desc=f"mpc {task.name}", unit="step") as bar:
        episode = run_mpc_episode(task, MPC(task, config), x0, progress=lambda t: bar.update())
    task_return = float(task.reward(episode.X[:-1], episode.U, episode.X[1:]).sum())
    result = {
        "task": task.name,
        "condition": args.condition,
        "cost": episode.cost,
        "final_distance": episode.final_distance,
        "success": bool(episode.final_distance <= task.success_threshold),
        "task_return": task_return,
        "planning_seconds_per_step": episode.planning_seconds / task.T,
        "simulator_steps": episode.simulator_steps,
        "catastrophes": int(task.catastrophe(episode.X, np.arange(task.T + 1)).sum()),
    }
    rundir.write_result(out, result)
    print(f"{task.name} condition {args.condition}: cost {episode.cost:.4g}, final distance "
          f"{episode.final_distance:.4g}, {result['planning_seconds_per_step'] * 1e3:.1f} ms and "
          f"{episode.simulator_steps / task.T:.0f} simulator steps of planning per step ({out}/result.json)")
    return 0
