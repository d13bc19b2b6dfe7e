"""``distill compare``: methods against each other at an equal budget, across seeds.

``--game G`` compares the Atari distillation methods at an equal label budget
(:mod:`imitation.compare_atari`); ``--task T`` is the continuous-control comparison.
Both write ``table.md``, ``curves.png`` and ``result.json`` through :mod:`common.report`.
Each target has its own argument group and its own ``run_*`` function below.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass

from distill.args import add_out, add_seed, positive_int
from common.errors import DistillError

NAME = "compare"
HELP = "compare distillation methods at an equal budget across seeds (table, curves)"

ATARI_METHODS = "uct-classification,dagger,plato"
# compare's own expert default, smaller than plan's, so that its defaults finish in minutes.
ATARI_SIMS, ATARI_DEPTH = 8, 20


@dataclass(frozen=True)
class AtariCompareCommand:
    compare: "AtariCompareConfig"   # noqa: F821 - imitation.compare_atari, imported lazily
    execution: "Execution"          # noqa: F821


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from distill.commands.train import add_collection_arguments
    from distill.expert_args import add_expert_arguments

    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--game", help="Atari game: compare distillation methods (e.g. pong)")
    target.add_argument("--task", help="continuous-control task: DAgger, PLATO and GPS (e.g. pointmass)")
    parser.add_argument("--methods", default=None,
                        help=f"comma-separated methods (Atari default: {ATARI_METHODS})")
    parser.add_argument("--seeds", type=positive_int, default=2,
                        help="seeds per method: --seed, --seed + 1, ... (default 2)")
    control = parser.add_argument_group("continuous control (--task)")
    control.add_argument("--samples", type=positive_int, default=None, metavar="N",
                         help="environment-step budget of every run (default: per task, 2400; reacher 4000)")
    control.add_argument("--conditions", type=positive_int, default=None, metavar="C",
                         help="training conditions used (default: per task)")
    atari = parser.add_argument_group("Atari (--game)")
    atari.add_argument("--labels", type=positive_int, default=600, metavar="N",
                       help="label budget of every run (default 600)")
    atari.add_argument("--rounds", type=positive_int, default=3, help="rounds per run (default 3)")
    atari.add_argument("--episodes-per-round", type=positive_int, default=2,
                       help="labelling episodes per round (default 2)")
    add_collection_arguments(parser, eval_episodes=3)
    add_expert_arguments(parser, sims=ATARI_SIMS, depth=ATARI_DEPTH)
    add_seed(parser)
    add_out(parser)


def run(args: argparse.Namespace) -> int:
    if args.task is not None:
        return run_continuous(args)
    return run_atari(args)


def run_continuous(args: argparse.Namespace) -> int:
    from common import rundir
    from distill.commands.trajopt import load_task
    from imitation.gps.compare import build_config, compare_continuous, parse_methods

    import torch

    torch.set_num_threads(1)  # small policies: more intra-op threads only spin against the MPC
    task = load_task(args.task, None)
    methods = parse_methods(args.methods)
    seeds = tuple(args.seed + k for k in range(args.seeds))
    config = build_config(task, methods, seeds, env_steps=args.samples, conditions=args.conditions,
                          schedule=args.schedule, lambda_schedule=args.lambda_schedule)
    out = rundir.prepare_out(args.out, "compare", task.name)
    rundir.write_config(out, NAME, config, args.seed)
    compare_continuous(config, out)
    print((out / "table.md").read_text().rstrip())
    print(f"\n{len(methods)} methods x {len(seeds)} seeds at {config.env_steps} environment steps "
          f"on {task.name}: {out}/table.md, curves.png, result.json")
    return 0


def run_atari(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from common import rundir
    from distill.commands.train import check_device, distill_config, execution_of
    from envs.atari import canonical_game
    from envs.atari.determinism import require_exact_replay
    from imitation.compare_atari import (AtariCompareConfig, compare_atari, labels_per_episode,
                                         parse_methods, run_config)

    game = canonical_game(args.game)
    require_exact_replay(game)
    check_device(args.device)
    methods = parse_methods(args.methods or ATARI_METHODS)
    for flag, value, method in (("--schedule", args.schedule, "dagger"),
                                ("--lambda-schedule", args.lambda_schedule, "plato"),
                                ("--tau", args.tau, "uct-regression"),
                                ("--q-weights", args.q_weights, "uct-regression")):
        if value is not None and method not in methods:
            raise DistillError(f"{flag} applies to {method}, which is not among --methods")
    if args.head is not None and not {"dagger", "plato"} & set(methods):
        raise DistillError("--head is the dagger and plato learner's; neither is among --methods")
    per_episode = labels_per_episode(args.labels, args.rounds, args.episodes_per_round)
    seeds = tuple(args.seed + k for k in range(args.seeds))
    # The shared settings, checked as for uct-classification; per-method ones are put back after.
    shared = argparse.Namespace(**{**vars(args), "schedule": None, "lambda_schedule": None,
                                   "tau": None, "q_weights": None, "head": None})
    template = distill_config(shared, "uct-classification", game, rounds=args.rounds,
                              episodes_per_round=args.episodes_per_round,
                              labels_per_episode=per_episode, seed=args.seed)
    template = replace(template, schedule=args.schedule, lambda_schedule=args.lambda_schedule,
                       policy=replace(template.policy, head=args.head or template.policy.head,
                                      tau=args.tau or template.policy.tau,
                                      q_weights=args.q_weights or template.policy.q_weights))
    config = AtariCompareConfig(methods, seeds, args.labels, template)
    for method in methods:  # bad schedules fail before any run starts
        run_config(config, method, args.seed).algorithm()
    out = rundir.prepare_out(args.out, "compare", game)
    rundir.write_config(out, NAME, AtariCompareCommand(config, execution_of(args)), args.seed)
    compare_atari(config, execution_of(args), out)
    print((out / "table.md").read_text().rstrip())
    print(f"\n{len(methods)} methods x {len(seeds)} seeds at {args.labels} labels "
          f"({per_episode} per episode): {out}/table.md, curves.png, result.json")
    return 0
