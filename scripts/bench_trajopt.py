"""Longer reproduction of the trajectory-optimisation and MPC results, over seeds.

    .venv/bin/python scripts/bench_trajopt.py [--seeds 10] [--iterations 10]

Trajopt (1 condition, 5 samples, zero-mean start) on pointmass and arm: per seed, the
first iteration whose mean final distance is within the success threshold and the first
whose cost is below 10% of iteration 0's (the GPS codebase documents "goal by about
iteration 4" for its point mass and "about 6" for its arm). Reacher with 4 conditions,
and the arm without the GMM prior (Levine et al. 2016: 5 samples suffice only with it).
Then one MPC episode per task: cost, final distance, planning time and simulator steps
per step. Timings are single readings on a shared machine.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from envs.control import make_task
from imitation.gps.mpc import MPC, run_mpc_episode
from imitation.gps.trajopt import TrajOptConfig, run_trajopt


def first(mask) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if len(hits) else None


def bench_trajopt(name: str, conditions: int, seeds: int, iterations: int, prior: bool = True) -> None:
    task = make_task(name)
    goal_its, cost_its, finals, seconds = [], [], [], []
    for seed in range(seeds):
        start = time.perf_counter()
        config = TrajOptConfig(conditions=conditions, iterations=iterations)
        if not prior:
            config.prior = None
        result = run_trajopt(task, config, np.random.default_rng(seed))
        seconds.append(time.perf_counter() - start)
        dist = np.array(result.final_distance).mean(axis=1)
        cost = np.array(result.cost)
        goal_its.append(first(dist <= task.success_threshold))
        cost_its.append(first(cost < 0.1 * cost[0]))
        finals.append(dist)
    finals = np.array(finals)
    print(f"\n## trajopt {name}{'' if prior else ' without the GMM prior'}: {conditions} "
          f"condition(s), 5 samples, {seeds} seeds, "
          f"{result.samples} environment steps per run, {np.mean(seconds):.1f} s per run")
    print("mean final distance per iteration (mean over seeds):",
          " ".join(f"{d:.3f}" for d in finals.mean(axis=0)))
    print(f"first iteration at the goal (<= {task.success_threshold}): {goal_its}")
    print(f"first iteration with cost < 10% of iteration 0: {cost_its}")


def bench_mpc(name: str) -> None:
    task = make_task(name)
    ep = run_mpc_episode(task, MPC(task), task.initial_state(0))
    print(f"mpc {name:<10} cost {ep.cost:9.3f}  final distance {ep.final_distance:.2e}  "
          f"{1e3 * ep.planning_seconds / task.T:6.1f} ms and {ep.simulator_steps / task.T:6.0f} "
          f"simulator steps of planning per step")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=10)
    args = parser.parse_args()
    for name, conditions in (("pointmass", 1), ("arm", 1), ("reacher", 4)):
        bench_trajopt(name, conditions, args.seeds, args.iterations)
    bench_trajopt("arm", 1, args.seeds, args.iterations, prior=False)
    print("\n## MPC, training condition 0")
    for name in ("pointmass", "arm", "pendulum", "reacher"):
        bench_mpc(name)


if __name__ == "__main__":
    main()
