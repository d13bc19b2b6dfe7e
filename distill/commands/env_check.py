"""``distill env-check``: does a restored snapshot replay exactly on this game?"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from importlib import metadata

from distill.args import add_out, add_seed, nonneg_int, positive_int

NAME = "env-check"
HELP = "check that restored emulator snapshots replay bit-identically"


@dataclass(frozen=True)
class EnvCheckConfig:
    game: str
    steps: int
    points: int
    seed: int
    sticky: bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--game", required=True, help="ALE game, e.g. pong, Breakout, ALE/SpaceInvaders-v5")
    parser.add_argument("--steps", type=positive_int, default=50, help="actions replayed per check (default 50)")
    parser.add_argument("--points", type=nonneg_int, default=200,
                        help="random restore points on a random trajectory, besides the reset state (default 200)")
    parser.add_argument("--sticky", action="store_true",
                        help="check with sticky actions (p=0.25) on, which the snapshot must also capture")
    add_seed(parser)
    add_out(parser)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from common import rundir
    from envs.atari import AtariConfig, AtariEnv, canonical_game
    from envs.atari.determinism import check_determinism

    game = canonical_game(args.game)
    config = EnvCheckConfig(game, args.steps, args.points, args.seed, args.sticky)
    out = rundir.prepare_out(args.out, "env-check", game)
    rundir.write_config(out, NAME, config, args.seed)
    env = AtariEnv(game, AtariConfig(sticky_prob=0.25 if args.sticky else 0.0), seed=args.seed)
    with tqdm(total=args.points + 1, desc=f"env-check {game}", unit="check", disable=None) as bar:
        report = check_determinism(env, args.steps, args.points, args.seed, progress=bar.update)
    rundir.write_result(out, {
        "game": game,
        "checks": report.checks,
        "steps_per_check": report.steps_per_check,
        "mismatches": len(report.mismatches),
        "mismatch_details": report.mismatches,
        "exact": report.exact,
        "ale_py": metadata.version("ale-py"),
    })
    verdict = "replays exactly" if report.exact else f"{len(report.mismatches)} MISMATCHES"
    print(f"{game}: {report.checks} checks of {args.steps} steps: {verdict}  ({out}/result.json)")
    for m in report.mismatches[:10]:
        print(f"  check {m.point} (trajectory step {m.trajectory_step}): step {m.step} differs in {', '.join(m.fields)}")
    return 0 if report.exact else 1
