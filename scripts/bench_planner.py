"""The planner's long benchmarks, for the README. Every figure is a ratio measured in
one run, or a score at a stated emulator-frame budget.

    python scripts/bench_planner.py efficiency --games pong breakout seaquest
    python scripts/bench_planner.py equal-time --games pong breakout --seconds 0.2 --steps 300
    python scripts/bench_planner.py scaling --game pong --workers 1 2
    python scripts/bench_planner.py scores --frames-per-decision 1000 --depth 25 --out runs/scores
    python scripts/bench_planner.py aliases --games pong breakout --decisions 300
    python scripts/bench_planner.py twins --games pong breakout

`scores` plays one episode per game with `distill plan`, capped at 18,000 emulator
frames (the Bandres et al. 2018 protocol's cap), at a fixed emulator-frame budget per
decision, and prints a Markdown table next to the published rows of shared/anchors.md.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from mcts import bench

SEVEN = ["beam_rider", "breakout", "enduro", "pong", "qbert", "seaquest", "space_invaders"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    e = sub.add_parser("efficiency")
    e.add_argument("--games", nargs="+", default=["pong", "breakout", "seaquest", "space_invaders"])
    e.add_argument("--decisions", type=int, default=30)
    e.add_argument("--sims", type=int, default=50)
    e.add_argument("--depth", type=int, default=50)
    t = sub.add_parser("equal-time")
    t.add_argument("--games", nargs="+", default=["pong", "breakout"])
    t.add_argument("--seconds", type=float, default=0.2)
    t.add_argument("--steps", type=int, default=300)
    s = sub.add_parser("scaling")
    s.add_argument("--game", default="pong")
    s.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    s.add_argument("--sims", type=int, default=128)
    c = sub.add_parser("scores")
    c.add_argument("--games", nargs="+", default=SEVEN)
    c.add_argument("--frames-per-decision", type=int, default=1000)
    c.add_argument("--depth", type=int, default=25)
    c.add_argument("--max-episode-frames", type=int, default=18_000)
    c.add_argument("--life-loss-penalty", type=float, default=0.0)
    c.add_argument("--out", default="runs/bench-scores")
    al = sub.add_parser("aliases")
    al.add_argument("--games", nargs="+", default=["pong", "breakout"])
    al.add_argument("--decisions", type=int, default=300)
    al.add_argument("--frames-per-decision", type=int, default=2000)
    al.add_argument("--depth", type=int, default=40)
    al.add_argument("--life-loss-penalty", type=float, default=0.0)
    tw = sub.add_parser("twins")
    tw.add_argument("--games", nargs="+", default=["pong", "breakout"])
    tw.add_argument("--states", type=int, default=64)
    tw.add_argument("--steps", type=int, default=32)
    args = p.parse_args()

    if args.what == "efficiency":
        for g in args.games:
            r = bench.emulator_efficiency(g, args.decisions, args.sims, args.depth)
            print(json.dumps(asdict(r)))
    elif args.what == "equal-time":
        for g in args.games:
            print(json.dumps(asdict(bench.equal_time_scores(g, args.seconds, args.steps))))
    elif args.what == "aliases":
        for g in args.games:
            print(json.dumps(asdict(bench.root_aliases(g, args.decisions, args.frames_per_decision, args.depth,
                                                       args.life_loss_penalty))))
    elif args.what == "twins":
        for g in args.games:
            print(json.dumps(asdict(bench.action_twins(g, args.states, args.steps))))
    elif args.what == "scaling":
        print(json.dumps(asdict(bench.root_parallel_scaling(args.game, args.workers, sims=args.sims))))
    else:
        from distill.cli import main as distill

        rows = []
        for g in args.games:
            out = Path(args.out) / g
            code = distill(["plan", "--game", g, "--frames-per-decision", str(args.frames_per_decision),
                            "--depth", str(args.depth), "--max-episode-frames", str(args.max_episode_frames),
                            "--life-loss-penalty", str(args.life_loss_penalty),
                            "--out", str(out)])
            if code != 0:
                rows.append(f"| {g} | refused (exit {code}) | | |")
                continue
            r = json.loads((out / "result.json").read_text())
            rows.append(f"| {g} | {r['score'][0]:g} | {r['steps']} | {r['seconds_per_decision']:.3f} |")
        print("| game | score | steps | s/decision |\n|---|---|---|---|")
        print("\n".join(rows))


if __name__ == "__main__":
    main()
