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
from pathlib import Path

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


# The miniature's budgets: a small expert, episodes capped at 2,000 emulator frames (500
# agent steps) for the expert, the labelling and the evaluation alike.
DEMO_EXPERT = ["--sims", "12", "--depth", "20"]
DEMO_CAP = ["--max-episode-frames", "2000"]


def stages(game: str, seed: int, out: Path) -> list[tuple[str, list[str]]]:
    """(stage name, distill argv without --out) in the order they run; stage NAME writes
    into ``out / NAME``."""
    s = ["--seed", str(seed)]
    return [
        ("env-check", ["env-check", "--game", game, "--points", "20", "--steps", "30", *s]),
        ("plan", ["plan", "--game", game, "--episodes", "2", "--workers", "2", *DEMO_CAP, *DEMO_EXPERT, *s]),
        ("train", ["train", "--algo", "dagger", "--game", game, "--rounds", "2", "--episodes-per-round", "4",
                   "--labels-per-episode", "150", "--workers", "2", "--eval-episodes", "2", "--epochs", "30",
                   *DEMO_CAP, *DEMO_EXPERT, *s]),
        ("eval", ["eval", "--checkpoint", str(out / "train" / "policy.pt"), "--episodes", "4", *DEMO_CAP, *s]),
        ("compare", ["compare", "--task", "pointmass", "--methods", "dagger,plato,gps", "--seeds", "1", *s]),
    ]


def headline(results: dict) -> dict:
    """Expert score, policy score and how much faster the policy decides than the planner."""
    plan, evaluation = results["plan"]["result"], results["eval"]["result"]
    planner_s = plan["seconds_per_decision"]
    policy_ms = evaluation["decision_latency_ms_p50"]
    return {"expert_score": sum(plan["score"]) / len(plan["score"]),
            "policy_score": evaluation["mean_score"], "policy_std": evaluation["std_score"],
            "random_score": evaluation["random_mean"],
            "planner_seconds_per_decision": planner_s, "policy_ms_per_decision": policy_ms,
            "latency_ratio": planner_s * 1e3 / policy_ms, "device": evaluation["device"]}


def summary(h: dict) -> str:
    return (f"expert (UCT) score {h['expert_score']:.2f}, distilled policy score {h['policy_score']:.2f} "
            f"± {h['policy_std']:.2f}, random {h['random_score']:.2f} "
            f"(episodes capped at {DEMO_CAP[1]} frames)\n"
            f"latency: planner {h['planner_seconds_per_decision']:.3f} s/decision, policy "
            f"{h['policy_ms_per_decision']:.3f} ms/decision (p50, batch 1, {h['device']}): "
            f"{h['latency_ratio']:.0f}x faster")


def run(args: argparse.Namespace) -> int:
    from common import rundir
    from distill.cli import main
    from common.errors import DistillError
    from envs.atari import canonical_game

    game = canonical_game(args.game)
    out = rundir.prepare_out(args.out, "demo", game)
    rundir.write_config(out, NAME, DemoConfig(game, args.seed), args.seed)
    results = {}
    for name, argv in stages(game, args.seed, out):
        print(f"\n== distill {' '.join(argv)} --out {out / name}")
        t0 = time.perf_counter()
        code = main([*argv, "--out", str(out / name)])
        if code != 0:
            raise DistillError(f"demo stage {name!r} failed with exit code {code}", exit_code=code)
        results[name] = {"seconds": round(time.perf_counter() - t0, 1),
                         "result": json.loads((out / name / "result.json").read_text())}
    h = headline(results)
    rundir.write_result(out, {"game": game, "headline": h, "stages": results})
    print(f"\n{summary(h)}\ndemo finished: {out}/result.json")
    return 0
