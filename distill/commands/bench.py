"""``distill bench planner``: the planner's benchmarks as ratios measured in one run.
``distill bench labels``: label quality at fixed states (:mod:`imitation.label_quality`):
how often two independent labellers agree and how often a labeller agrees with one of 16
times its budget, with the labels per core-hour it costs."""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

from common.errors import DistillError
from distill.args import add_actions, add_out, add_seed, positive_int

NAME = "bench"
HELP = ("benchmark the planner (emulator efficiency, kernel cost, plain-Python reference, root-parallel "
        "scaling) or the labels' quality (agreement of independent labellers and with a 16x budget)")


@dataclass(frozen=True)
class BenchConfig:
    game: str
    decisions: int
    sims: int
    depth: int
    max_workers: int
    seed: int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from distill.expert_args import add_expert_arguments, add_guidance_arguments

    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True, parser_class=type(parser))
    planner = sub.add_parser("planner", help="the planner's benchmarks in under 2 minutes")
    planner.add_argument("--game", default="pong", help="ALE game (default pong)")
    planner.add_argument("--decisions", type=positive_int, default=12, help="decisions per measurement (default 12)")
    planner.add_argument("--sims", type=positive_int, default=40, help="simulations per decision (default 40)")
    planner.add_argument("--depth", type=positive_int, default=30, help="search depth (default 30)")
    planner.add_argument("--max-workers", type=positive_int, default=min(os.cpu_count() or 1, 4),
                         help="largest root-worker count in the scaling run (default: cores, at most 4)")
    labels = sub.add_parser("labels", help="label quality at fixed states, for the expert of `plan` / `train`")
    labels.add_argument("--game", default="pong", help="ALE game (default pong)")
    labels.add_argument("--states", type=positive_int, default=40, help="states probed (default 40)")
    labels.add_argument("--stride", type=positive_int, default=10,
                        help="steps between probed states along the sampling episode (default 10)")
    labels.add_argument("--budget-factor", type=positive_int, default=16,
                        help="the larger labeller's budget over the labeller's (default 16)")
    labels.add_argument("--workers", type=positive_int, default=1,
                        help="processes deciding the states (the figures do not depend on it; default 1)")
    add_actions(labels)
    add_expert_arguments(labels)
    labels.add_argument("--checkpoint", default=None, metavar="PT",
                        help="a policy that guides the labellers (with the guidance flags; default: plain UCT)")
    add_guidance_arguments(labels, "with --checkpoint")
    for p in (planner, labels):
        add_seed(p)
        add_out(p)


def run(args: argparse.Namespace) -> int:
    return run_labels(args) if args.what == "labels" else run_planner(args)


def run_labels(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from common import rundir
    from distill.expert_args import expert_config
    from envs.atari import AtariConfig, canonical_game
    from envs.atari.determinism import require_exact_replay
    from imitation.label_quality import LabelQualityConfig, label_quality, sample_states

    from distill.expert_args import guidance_config
    from mcts.config import GuidanceConfig

    game = canonical_game(args.game)
    guidance = guidance_config(args)
    if args.checkpoint is not None and guidance is None:
        guidance = GuidanceConfig()
    if guidance is not None and args.checkpoint is None:
        raise DistillError("the learner-guided planner's flags need --checkpoint: the policy that guides it")
    require_exact_replay(game)
    if args.checkpoint is not None:
        _check_guide(args.checkpoint, game, guidance)
    cfg = LabelQualityConfig(game, expert_config(args), AtariConfig(actions=args.actions), args.states, args.stride,
                             args.budget_factor, args.seed, guidance, args.checkpoint)
    out = rundir.prepare_out(args.out, NAME, f"labels-{game}")
    rundir.write_config(out, NAME, cfg, args.seed)
    with tqdm(total=cfg.states, desc="sampling states", disable=None) as bar:
        states, action_set = sample_states(cfg, on_state=bar.update)
    with tqdm(total=2 * len(states), desc="labelling", disable=None) as bar:
        q = label_quality(cfg, states, action_set, workers=args.workers, on_result=lambda i, r: bar.update())
    rundir.write_result(out, {"game": game, "states": len(states), "action_set": action_set, **vars_of(q)})
    print(f"{game}: {len(states)} states, labeller {_budget(cfg.uct.budget)}, depth {cfg.uct.max_depth}, "
          f"{cfg.uct.rollout_noise} rollout noise" + (", aliases merged" if cfg.uct.merge_aliases else "")
          + ("" if guidance is None else f", guided: {guidance}"))
    for name, c in (("two independent labellers", q.independent),
                    (f"labeller vs {cfg.budget_factor}x its budget", q.larger)):
        print(f"  {name}: joystick {c.joystick.value:.3f} (chance {c.joystick.chance:.3f}), exact action "
              f"{c.actions.value:.3f} (chance {c.actions.chance:.3f}), on {c.actions.informative} informative states")
    print(f"  {q.frames_per_decision:.0f} frames/decision at {q.frames_per_second:.0f} frames/s: "
          f"{q.labels_per_core_hour:.0f} labels per core-hour")
    print(f"  ({out}/result.json)")
    return 0


def _check_guide(checkpoint: str, game: str, guidance) -> None:
    """The guiding checkpoint loads, is for ``game`` and has what ``guidance`` uses."""
    from distill.args import require_file
    from imitation.checkpoint import load_checkpoint
    from mcts.guided import check_guidance

    require_file(checkpoint, "--checkpoint")
    ck = load_checkpoint(checkpoint, device="cpu")
    if ck.spec.game != game:
        raise DistillError(f"--checkpoint {checkpoint} is a {ck.spec.game} policy, not a {game} one")
    check_guidance(guidance, ck.policy)


def vars_of(q) -> dict:
    """The result's fields (dataclasses serialised by :func:`common.rundir.to_jsonable`)."""
    from dataclasses import fields

    return {f.name: getattr(q, f.name) for f in fields(q)}


def _budget(budget) -> str:
    return f"{budget.sims} sims" if budget.sims is not None else f"{budget.frames} frames"


def run_planner(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from common import rundir
    from envs.atari import canonical_game
    from envs.atari.determinism import require_exact_replay
    from mcts import bench

    game = canonical_game(args.game)
    require_exact_replay(game)
    cfg = BenchConfig(game, args.decisions, args.sims, args.depth, args.max_workers, args.seed)
    out = rundir.prepare_out(args.out, NAME, f"planner-{game}")
    rundir.write_config(out, NAME, cfg, args.seed)
    workers = sorted({1, *[w for w in (2, 4, 8, 16) if w <= cfg.max_workers], cfg.max_workers})
    with tqdm(total=4, desc=f"bench planner {game}", disable=None) as bar:
        eff = bench.emulator_efficiency(game, cfg.decisions, cfg.sims, cfg.depth, cfg.seed)
        bar.update()
        kernels = bench.kernel_microseconds(game, sims=10 * cfg.sims, depth=cfg.depth)
        bar.update()
        plain = bench.versus_plain(game, cfg.decisions, cfg.sims, cfg.depth, cfg.seed)
        bar.update()
        scaling = bench.root_parallel_scaling(game, workers, cfg.decisions, 2 * cfg.sims, cfg.depth, cfg.seed)
        bar.update()
    rundir.write_result(out, {"game": game, "efficiency": eff.efficiency, "emulator_efficiency": eff,
                              "kernels": kernels, "versus_plain": plain, "root_parallel_scaling": scaling})
    print(f"{game}: planner {eff.planner_fps:.0f} emulator frames/s in search; raw loops (frame skip 4): "
          f"4 act calls per step {eff.raw_fps:.0f} (planner / raw {eff.efficiency:.3f}), 1 call with ALE's "
          f"frame skip {eff.raw_one_call_fps:.0f} (planner / raw {eff.efficiency_one_call:.3f})")
    print(f"  kernels: {kernels.select_backup_us:.2f} us select+backup, {kernels.expand_us:.2f} us expand per simulation")
    print(f"  plain-Python UCT: identical actions {plain.identical_actions}, array planner {plain.speedup:.2f}x its speed")
    print("  root-parallel decisions/s vs W=1: "
          + ", ".join(f"W={w}: {r:.2f}x" for w, r in zip(scaling.workers, scaling.ratio_to_one)))
    print(f"  ({out}/result.json)")
    return 0
