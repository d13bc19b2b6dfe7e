"""``distill gps``: Guided Policy Search with a PyTorch policy on a continuous task.

``--algo mdgps`` (the default): MDGPS (Montgomery & Levine 2016), on-policy by default:
local linear-Gaussian controllers improved by KL-constrained LQR against the policy's
linearisation (C-step), the network policy regressed onto them with precision weights
(S-step). ``--algo badmm``: BADMM GPS (Levine et al. 2016, :mod:`imitation.gps.badmm`),
off-policy, with dual variables on the controllers' and policy's mean actions. Writes
``result.json`` with an ``iterations`` list (iteration 0 = the untrained network), each
entry holding ``policy_cost``, ``policy_final_distance`` and ``success_rate`` under ``train``
(the conditions trained on) and ``test`` (the held-out conditions), plus
``samples_total`` (environment steps used so far); the policy after every iteration in
``policy/iter_XX.pt`` (and the last as ``policy.pt``); TensorBoard scalars under ``tb/``.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from distill.args import add_out, add_seed, nonneg_int, positive_float, positive_int
from common.errors import DistillError

if TYPE_CHECKING:
    from imitation.gps.badmm import BADMMConfig
    from imitation.gps.mdgps import MDGPSConfig

NAME = "gps"
HELP = "Guided Policy Search (MDGPS or BADMM) with a neural-network policy on a continuous task"

ALGORITHMS = ("mdgps", "badmm")


@dataclass(frozen=True)
class GPSRun:
    """task, horizon T, algorithm and its configuration."""

    task: str
    horizon: int
    algo: str
    config: MDGPSConfig | BADMMConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from imitation.gps.trajopt import INITIALISATIONS

    parser.add_argument("--task", required=True, help="pointmass, arm, pendulum or reacher")
    parser.add_argument("--algo", choices=ALGORITHMS, default="mdgps",
                        help="the GPS variant (default mdgps)")
    parser.add_argument("--conditions", type=positive_int, default=None,
                        help="use the first C training conditions (default: all, at most 4)")
    parser.add_argument("--samples", type=positive_int, default=5,
                        help="samples per condition per iteration (default 5)")
    parser.add_argument("--iterations", type=positive_int, default=10,
                        help="C-step/S-step iterations (default 10)")
    parser.add_argument("--off-policy", action="store_true",
                        help="mdgps: sample the local controllers instead of the policy (badmm always does)")
    parser.add_argument("--init", choices=INITIALISATIONS, default="zero",
                        help="initial controllers: zero-mean noise, PD to the goal, or rough-model LQR (default zero)")
    parser.add_argument("--kl-step", type=positive_float, default=None,
                        help="base KL step per time step (default 0.2, the GPS codebase's)")
    parser.add_argument("--hidden", default=None, metavar="W1,W2",
                        help="hidden layer widths of the policy (default 64,64; '' for an affine policy)")
    parser.add_argument("--activation", choices=("relu", "tanh"), default="relu",
                        help="hidden-layer activation of the policy (default relu)")
    parser.add_argument("--sstep-steps", type=positive_int, default=None,
                        help="Adam steps per S-step (default 1000)")
    parser.add_argument("--nu", type=positive_float, default=None,
                        help="badmm: weight of the KL(p || pi) penalty and dual step size (default 0.1)")
    parser.add_argument("--augment-states", type=nonneg_int, default=0, metavar="M",
                        help="mdgps S-step: M perturbed copies of every sampled state, labelled by the local "
                             "controllers, no simulator steps (default 0: the samples alone)")
    parser.add_argument("--augment-scale", type=positive_float, default=None,
                        help="std of those perturbations in units of the controller's state marginal's (default 1)")
    parser.add_argument("--horizon", type=int, default=None, metavar="T",
                        help="episode length T (default: the task's)")
    add_seed(parser)
    add_out(parser)


def _hidden(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(w) for w in text.split(",") if w.strip())
    except ValueError:
        raise DistillError(f"--hidden {text!r}: expected comma-separated positive integers") from None
    if any(w <= 0 for w in widths):
        raise DistillError(f"--hidden {text!r}: widths must be positive")
    return widths


def config_from_args(args: argparse.Namespace, task) -> MDGPSConfig | BADMMConfig:
    from dataclasses import replace

    from imitation.gps.badmm import BADMMConfig
    from imitation.gps.mdgps import MDGPSConfig
    from imitation.gps.policy import GaussianPolicyConfig
    from imitation.gps.sstep import SStepConfig

    n_train = len(task.train_conditions)
    conditions = min(4, n_train) if args.conditions is None else args.conditions
    if conditions > n_train:
        raise DistillError(f"--conditions {conditions}: {task.name} has {n_train} training "
                           f"conditions (1..{n_train})")
    common = dict(conditions=conditions, samples=args.samples, iterations=args.iterations, init=args.init)
    if args.algo == "badmm":
        if args.off_policy or args.augment_states > 0 or args.augment_scale is not None:
            raise DistillError("--off-policy, --augment-states and --augment-scale are mdgps options "
                               "(badmm always samples its controllers)")
        config = BADMMConfig(**common)
        if args.nu is not None:
            config = replace(config, nu=args.nu)
    else:
        if args.nu is not None:
            raise DistillError("--nu is a badmm option")
        config = MDGPSConfig(**common, on_policy=not args.off_policy, augment_states=args.augment_states)
        if args.augment_scale is not None:
            config = replace(config, augment_scale=args.augment_scale)
    if args.kl_step is not None:
        config = replace(config, base_kl_step=args.kl_step)
    hidden = _hidden(args.hidden) if args.hidden is not None else GaussianPolicyConfig().hidden
    config = replace(config, policy=GaussianPolicyConfig(hidden=hidden, activation=args.activation))
    if args.sstep_steps is not None:
        config = replace(config, sstep=SStepConfig(steps=args.sstep_steps))
    return config


def run(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm import tqdm

    from common import rundir
    from distill.commands.trajopt import load_task
    from imitation.gps.badmm import run_badmm
    from imitation.gps.mdgps import run_mdgps

    import torch

    torch.set_num_threads(1)  # a small policy: more intra-op threads only add overhead
    task = load_task(args.task, args.horizon)
    config = config_from_args(args, task)
    out = rundir.prepare_out(args.out, NAME, task.name)
    rundir.write_config(out, NAME, GPSRun(task.name, task.T, args.algo, config), args.seed)
    (out / "policy").mkdir(exist_ok=True)

    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(out / "tb"))
    bar = tqdm(total=config.iterations + 1, desc=f"gps {task.name}", unit="iter", disable=None)
    entries = []

    def on_iteration(entry, policy):
        i, ev = entry.iteration, entry.evaluation
        summary = ev.summary()
        record = {"iteration": i, "samples_total": entry.env_steps,
                  "policy_cost": {s: summary[s]["policy_cost"] for s in ("train", "test")},
                  "policy_final_distance": {s: summary[s]["policy_final_distance"] for s in ("train", "test")},
                  "success_rate": {s: summary[s]["success_rate"] for s in ("train", "test")},
                  "catastrophes": entry.catastrophes, "sample_cost": entry.sample_cost,
                  "c_step_failures": entry.c_step_failures}
        if entry.kl is not None:
            record.update(kl=entry.kl, kl_target=entry.kl_target, eta=entry.eta, step_mult=entry.step_mult,
                          sstep_loss=entry.sstep.loss_after)
        entries.append(record)
        for split in ("train", "test"):
            writer.add_scalar(f"policy/cost_{split}", summary[split]["policy_cost"], i)
            writer.add_scalar(f"policy/final_distance_{split}", summary[split]["policy_final_distance"], i)
            writer.add_scalar(f"policy/success_{split}", summary[split]["success_rate"], i)
        writer.add_scalar("gps/samples_total", entry.env_steps, i)
        writer.add_scalar("gps/catastrophes", entry.catastrophes, i)
        if entry.kl is not None:
            writer.add_scalar("gps/sample_cost", entry.sample_cost, i)
            writer.add_scalar("gps/kl", float(np.mean(entry.kl)), i)
            writer.add_scalar("gps/eta", float(np.nanmean(entry.eta)) if np.isfinite(entry.eta).any() else 0.0, i)
            writer.add_scalar("gps/step_mult", float(np.mean(entry.step_mult)), i)
            writer.add_scalar("sstep/loss", entry.sstep.loss_after, i)
        policy.save(out / "policy" / f"iter_{i:02d}.pt")
        bar.set_postfix(test_cost=f"{summary['test']['policy_cost']:.4g}",
                        test_dist=f"{summary['test']['policy_final_distance']:.3g}")
        bar.update()

    try:
        algorithm = run_badmm if args.algo == "badmm" else run_mdgps
        result = algorithm(task, config, np.random.default_rng(args.seed), args.seed, on_iteration)
    finally:
        bar.close()
        writer.close()
    result.policy.save(out / "policy.pt")
    last = entries[-1]
    on_policy = args.algo == "mdgps" and config.on_policy
    rundir.write_result(out, {
        "task": task.name, "algo": args.algo, "on_policy": on_policy,
        "conditions": config.conditions, "samples_total": last["samples_total"],
        "success_threshold": task.success_threshold, "iterations": entries,
    })
    print(f"{task.name}: {args.algo} ({'on' if on_policy else 'off'}-policy), held-out policy cost "
          f"{entries[0]['policy_cost']['test']:.4g} -> {last['policy_cost']['test']:.4g}, final distance "
          f"{last['policy_final_distance']['test']:.4g}, success {last['success_rate']['test']:.0%} "
          f"after {last['samples_total']} environment steps ({out}/result.json)")
    return 0
