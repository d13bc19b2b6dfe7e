"""``distill compare``: methods against each other at an equal budget, across seeds.

``--game G`` compares the Atari distillation methods at an equal label budget
(:mod:`imitation.compare_atari`); ``--task T`` is the continuous-control comparison.
Both write ``table.md``, ``curves.png`` and ``result.json`` through :mod:`common.report`.
Each target has its own argument group and its own ``run_*`` function below.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass

from distill.args import add_out, add_seed, given, positive_float, positive_int
from common.errors import DistillError

NAME = "compare"
HELP = "compare distillation methods at an equal budget across seeds (table, curves)"

ATARI_METHODS = "uct-classification,dagger,plato"
# compare's own expert default, smaller than plan's, so that its defaults finish in minutes.
ATARI_SIMS, ATARI_DEPTH = 8, 20
# The continuous-control side's own flags, and those of the shared collection flags it uses.
CONTROL_ONLY = ("samples", "conditions")
CONTROL_USES = ("schedule", "lambda_schedule")


@dataclass(frozen=True)
class AtariCompareCommand:
    compare: "AtariCompareConfig"   # noqa: F821 - imitation.compare_atari, imported lazily
    execution: "Execution"          # noqa: F821
    stop_after_hours: float | None = None   # where this invocation stops, not what it labels


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from distill.commands.train import add_collection_arguments
    from distill.expert_args import add_expert_arguments, add_guidance_arguments

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
    shared = {a.dest for a in parser._actions}
    atari = parser.add_argument_group("Atari (--game)")
    atari.add_argument("--labels", type=positive_int, default=600, metavar="N",
                       help="label budget of every run (default 600)")
    atari.add_argument("--rounds", type=positive_int, default=3, help="rounds per run (default 3)")
    atari.add_argument("--episodes-per-round", type=positive_int, default=2,
                       help="labelling episodes per round (default 2)")
    add_collection_arguments(parser, eval_episodes=3)
    add_expert_arguments(parser, sims=ATARI_SIMS, depth=ATARI_DEPTH)
    add_guidance_arguments(parser, "the exit method, from round 1")
    atari.add_argument("--stop-after-hours", type=positive_float, default=None, metavar="H",
                       help="stop this invocation between rounds, before a round expected to end more than "
                            "H hours after its start (a compare longer than a session); --resume continues")
    atari.add_argument("--resume", action="store_true",
                       help="continue the compare in --out where it stopped (same flags): finished runs "
                            "are kept, an interrupted one resumes, the rest start")
    # Every flag added since `shared` but the two schedules is the Atari side's alone.
    parser.set_defaults(_atari_only=tuple(a.dest for a in parser._actions
                                          if a.dest not in shared and a.dest not in CONTROL_USES))
    add_seed(parser)
    add_out(parser)


def run(args: argparse.Namespace) -> int:
    if args.task is not None:
        wrong = given(args, *args._atari_only)
        if wrong:
            raise DistillError(f"{', '.join(wrong)}: Atari (--game) only; --task {args.task} is budgeted "
                               f"by --samples and has no planner, labels or rounds")
        return run_continuous(args)
    wrong = given(args, *CONTROL_ONLY)
    if wrong:
        raise DistillError(f"{', '.join(wrong)}: continuous control (--task) only; --game {args.game} "
                           f"is budgeted by --labels")
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


def check_same_compare(out, command: AtariCompareCommand) -> None:
    """Refuse to resume the compare in ``out`` with other methods, seeds, budget or settings
    than it was started with (the execution, e.g. workers, may change)."""
    import json

    from common import rundir

    path = out / "config.json"
    try:
        before = json.loads(path.read_text())["config"]["compare"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DistillError(f"{path}: unreadable ({exc}); cannot resume") from None
    now = rundir.to_jsonable(command.compare)
    if before != now:
        changed = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
        raise DistillError(f"--resume: {out} was started with other settings ({', '.join(changed)} differ); "
                           f"resume with the same flags or choose another --out")


def run_atari(args: argparse.Namespace) -> int:
    from common import rundir
    from distill.commands.train import (algorithm_settings, check_device, distill_config, execution_of,
                                        policy_options)
    from envs.atari import canonical_game
    from envs.atari.determinism import require_exact_replay
    from imitation.algorithms import UCTClassification, learner_policy
    from imitation.compare_atari import AtariCompareConfig, compare_atari, labels_per_episode, method_runs, parse_methods
    from imitation.networks import NetworkConfig
    from imitation.time_budget import Deadline

    game = canonical_game(args.game)
    require_exact_replay(game)
    check_device(args.device)
    methods = parse_methods(args.methods or ATARI_METHODS)
    per_episode = labels_per_episode(args.labels, args.rounds, args.episodes_per_round)
    seeds = tuple(args.seed + k for k in range(args.seeds))
    # The settings every method shares; each method's algorithm and policy are filled in by
    # method_runs from the library's defaults and the flags that apply to it.
    base = UCTClassification()
    shared = distill_config(args, base, learner_policy(base, network=NetworkConfig(arch=args.network)), game,
                            rounds=args.rounds, episodes_per_round=args.episodes_per_round,
                            labels_per_episode=per_episode, seed=args.seed)
    runs = method_runs(methods, shared, algorithm_settings(args), policy_options(args))
    config = AtariCompareConfig(runs, seeds, args.labels)
    out = rundir.prepare_out(args.out, "compare", game, resume=args.resume)
    command = AtariCompareCommand(config, execution_of(args), args.stop_after_hours)
    if args.resume:
        check_same_compare(out, command)
    rundir.write_config(out, NAME, command, args.seed)
    deadline = None if args.stop_after_hours is None else Deadline(args.stop_after_hours)
    payload = compare_atari(config, execution_of(args), out, resume=args.resume, deadline=deadline)
    if payload is not None:
        print((out / "table.md").read_text().rstrip())
    if payload is None or payload["partial"]:
        print(f"\nstopped by --stop-after-hours {args.stop_after_hours:g}: "
              f"{payload['runs_finished'] if payload else 0} of {len(methods) * len(seeds)} runs finished in {out} "
              f"(the table is theirs); continue with the same flags and --resume")
        return 0
    print(f"\n{len(methods)} methods x {len(seeds)} seeds at {args.labels} labels "
          f"({per_episode} per episode): {out}/table.md, curves.png, result.json")
    return 0
