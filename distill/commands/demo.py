"""``distill demo``: the main job in miniature, on the built-in defaults.

Each stage is a real ``distill`` command writing into a subfolder of ``--out``, so the
demo shows exactly what a user would run. The stages' results are gathered into
``DIR/result.json``.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass

from distill.args import add_out, add_seed

NAME = "demo"
HELP = "run the main job in miniature (env check, planning, distillation, evaluation)"


@dataclass(frozen=True)
class DemoConfig:
    game: str
    seed: int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--game", default="pong", help="Atari game (default: pong)")
    add_seed(parser)
    add_out(parser)


def stages(game: str, seed: int) -> list[tuple[str, list[str]]]:
    """(stage name, distill argv without --out) in the order they run."""
    s = ["--seed", str(seed)]
    return [
        ("env-check", ["env-check", "--game", game, "--points", "20", "--steps", "30", *s]),
    ]


def run(args: argparse.Namespace) -> int:
    from distill import rundir
    from distill.cli import main
    from distill.errors import DistillError
    from envs.atari import canonical_game

    game = canonical_game(args.game)
    out = rundir.prepare_out(args.out, "demo", game)
    rundir.write_config(out, NAME, DemoConfig(game, args.seed), args.seed)
    results = {}
    for name, argv in stages(game, args.seed):
        print(f"\n== distill {' '.join(argv)} --out {out / name}")
        t0 = time.perf_counter()
        code = main([*argv, "--out", str(out / name)])
        if code != 0:
            raise DistillError(f"demo stage {name!r} failed with exit code {code}", exit_code=1)
        results[name] = {"seconds": round(time.perf_counter() - t0, 1),
                         "result": json.loads((out / name / "result.json").read_text())}
    rundir.write_result(out, {"game": game, "stages": results})
    print(f"\ndemo finished: {out}/result.json")
    return 0
