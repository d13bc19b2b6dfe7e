"""``distill trajopt``: GPS's trajectory optimisation only, on a continuous task.

Local linear-Gaussian dynamics fitted from samples (with a GMM prior), then
KL-constrained LQR (Levine & Abbeel 2014; Levine et al. 2016). Writes
``result.json`` (``cost`` per iteration with iteration 0 the initial controller,
``final_distance`` per iteration and condition, ``samples`` = environment steps used,
``success`` per condition at the last iteration), ``cost.png`` and TensorBoard scalars
``trajopt/*`` under ``tb/``.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from distill.args import add_out, add_seed, positive_float, positive_int
from common.errors import DistillError

if TYPE_CHECKING:
    from imitation.gps.trajopt import TrajOptConfig

NAME = "trajopt"
HELP = "GPS trajectory optimisation only: local models + KL-constrained LQR on a continuous task"


@dataclass(frozen=True)
class TrajOptRun:
    """task, its horizon T and the algorithm's configuration."""

    task: str
    horizon: int
    trajopt: TrajOptConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from imitation.gps.trajopt import INITIALISATIONS

    parser.add_argument("--task", required=True, help="pointmass, arm, pendulum or reacher")
    parser.add_argument("--conditions", type=positive_int, default=1,
                        help="use the first C training conditions (default 1)")
    parser.add_argument("--samples", type=positive_int, default=5,
                        help="samples per condition per iteration (default 5)")
    parser.add_argument("--iterations", type=positive_int, default=10,
                        help="controller updates; samples are drawn once more to measure the last (default 10)")
    parser.add_argument("--horizon", type=int, default=None, metavar="T",
                        help="episode length T (default: the task's)")
    parser.add_argument("--init", choices=INITIALISATIONS, default="zero",
                        help="initial controller: zero-mean noise, PD to the goal, or rough-model LQR (default zero)")
    parser.add_argument("--noise", type=positive_float, default=None,
                        help="initial exploration noise std (default: the task's)")
    parser.add_argument("--kl-step", type=positive_float, default=0.2,
                        help="base KL step per time step (default 0.2, the GPS codebase's)")
    parser.add_argument("--no-prior", action="store_true",
                        help="fit the dynamics by regression alone, without the GMM prior")
    add_seed(parser)
    add_out(parser)


def load_task(name: str, horizon: int | None):
    """The task, with its horizon overridden; bad names and horizons are DistillErrors."""
    from envs.control import UnknownTaskError, make_task

    try:
        task = make_task(name)
    except UnknownTaskError as exc:
        raise DistillError(str(exc)) from None
    if horizon is not None:
        if horizon <= 0:
            raise DistillError(f"--horizon must be a positive number of steps, got {horizon}")
        task.T = horizon
    return task


def run(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm import tqdm

    from common import rundir
    from imitation.gps.gmm import GMMPriorConfig
    from imitation.gps.trajopt import TrajOptConfig, run_trajopt

    task = load_task(args.task, args.horizon)
    for flag in ("conditions", "samples", "iterations"):
        if getattr(args, flag) <= 0:
            raise DistillError(f"--{flag} must be a positive integer, got {getattr(args, flag)}")
    n_train = len(task.train_conditions)
    if args.conditions > n_train:
        raise DistillError(f"--conditions {args.conditions}: {task.name} has {n_train} training "
                           f"conditions (1..{n_train})")
    config = TrajOptConfig(conditions=args.conditions, samples=args.samples,
                           iterations=args.iterations, base_kl_step=args.kl_step, init=args.init,
                           noise_std=args.noise, prior=None if args.no_prior else GMMPriorConfig())
    out = rundir.prepare_out(args.out, NAME, task.name)
    rundir.write_config(out, NAME, TrajOptRun(task.name, task.T, config), args.seed)

    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(out / "tb"))
    bar = tqdm(total=args.iterations + 1, desc=f"trajopt {task.name}", unit="iter")

    def on_iteration(i, stats):
        writer.add_scalar("trajopt/cost", float(stats.cost.mean()), i)
        writer.add_scalar("trajopt/final_distance", float(stats.final_distance.mean()), i)
        writer.add_scalar("trajopt/task_return", float(stats.task_return.mean()), i)
        if i < args.iterations:
            writer.add_scalar("trajopt/kl", float(np.mean(stats.kl)), i)
            writer.add_scalar("trajopt/eta", float(np.mean(stats.eta)), i)
            writer.add_scalar("trajopt/step_mult", float(np.mean(stats.step_mult)), i)
        bar.set_postfix(cost=f"{stats.cost.mean():.3g}", dist=f"{stats.final_distance.mean():.3g}")
        bar.update()

    result = run_trajopt(task, config, np.random.default_rng(args.seed), on_iteration)
    bar.close()
    writer.close()
    rundir.write_result(out, {
        "task": task.name,
        "cost": result.cost,
        "final_distance": result.final_distance,
        "samples": result.samples,
        "success": result.success,
        "success_threshold": task.success_threshold,
        "task_return": [float(it.task_return.mean()) for it in result.iterations],
        "eta": [it.eta.tolist() for it in result.iterations[:-1]],
        "kl": [it.kl.tolist() for it in result.iterations[:-1]],
        "kl_target": [it.kl_target.tolist() for it in result.iterations[:-1]],
    })
    _plot_cost(result.cost, out / "cost.png", task.name)
    print(f"{task.name}: cost {result.cost[0]:.4g} -> {result.cost[-1]:.4g} over {args.iterations} "
          f"iterations, final distance {np.mean(result.final_distance[-1]):.4g} "
          f"(success {sum(result.success)}/{len(result.success)}), {result.samples} environment steps "
          f"({out}/result.json)")
    return 0


def _plot_cost(cost: list[float], path, task_name: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 3.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(range(len(cost)), cost, marker="o")
    ax.set_yscale("log")
    ax.set_xlabel("iteration (0 = initial controller)")
    ax.set_ylabel("mean sample cost")
    ax.set_title(f"trajopt on {task_name}")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
