"""``distill bench planner``: the planner's benchmarks as ratios measured in one run."""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

from distill.args import add_out, add_seed, positive_int

NAME = "bench"
HELP = "benchmark the planner: emulator efficiency, kernel cost, plain-Python reference, root-parallel scaling"


@dataclass(frozen=True)
class BenchConfig:
    game: str
    decisions: int
    sims: int
    depth: int
    max_workers: int
    seed: int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=["planner"], help="what to benchmark")
    parser.add_argument("--game", default="pong", help="ALE game (default pong)")
    parser.add_argument("--decisions", type=positive_int, default=12, help="decisions per measurement (default 12)")
    parser.add_argument("--sims", type=positive_int, default=40, help="simulations per decision (default 40)")
    parser.add_argument("--depth", type=positive_int, default=30, help="search depth (default 30)")
    parser.add_argument("--max-workers", type=positive_int, default=min(os.cpu_count() or 1, 4),
                        help="largest root-worker count in the scaling run (default: cores, at most 4)")
    add_seed(parser)
    add_out(parser)


def run(args: argparse.Namespace) -> int:
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
