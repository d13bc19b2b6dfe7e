"""The distillation benchmarks of the README: decision latency and fidelity, each at the
labelling budget a ``distill train`` run actually used (read from its folder).

    python scripts/bench_distill.py latency  --run runs/train-pong-... [--decisions 200]
    python scripts/bench_distill.py expert   --run runs/train-pong-... [--episodes 3] [--workers W]
    python scripts/bench_distill.py self-agreement --run runs/train-pong-... [--steps 500]
    python scripts/bench_distill.py fidelity --run runs/train-pong-... [--episodes 10] [--expert-episodes 3]

``latency``: the policy's batch-1 decision time on the CPU with one torch thread (p50 and
p99 over real observations of the game) against the run's expert's seconds per decision
on the same states; goals: >= 1000x faster and <= 1 ms per decision.

``fidelity`` = (policy - random) / (expert - random), all three under one protocol: up
to 30 no-ops, epsilon 0.05 (the expert too: a random action with probability 0.05
instead of the planner's), episodes capped at 108,000 frames, optionally sticky actions.
The expert is the run's own (same budget, depth, root workers), and the episode cap is
the run's own unless ``--max-episode-frames`` says otherwise. Goals: >= 0.95 on Pong,
>= 0.7 on Breakout; Guo et al.'s UCC-I figures imply about 0.90 and 0.53.

Expert episodes are slow (a full Pong game at 100 simulations x depth 50 takes hours on
one core): they run in parallel on ``--workers`` processes, and ``expert`` plays them on
their own, before the policy exists if need be (alongside the labelling), into
``--run/expert_scores.json``; ``fidelity`` reuses those scores when the protocol, seed and
expert match, and plays whatever episodes are missing.

``self-agreement``: how consistent the run's labels are, the ceiling on the policy's
validation agreement. A second planner with the same budget and another seed decides at
every state of an episode the first one plays; the figure is the fraction of the states
where the first planner preferred something (its Q not all tied) at which the second
one's action is among the first one's best, the same measure as ``val_agreement``.

Each writes ``--out/<what>.json`` and prints a summary.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from distill.rundir import to_jsonable, write_json


def run_config(run: Path):
    """The :class:`DistillConfig` a train run folder was made with."""
    from envs.atari import AtariConfig
    from imitation.collect import CollectConfig
    from mcts.config import Budget, UCTConfig

    data = json.loads((run / "config.json").read_text())["config"]["run"]
    collect = data["collect"]
    uct = dict(collect["uct"])
    uct["budget"] = Budget(**uct["budget"])
    return CollectConfig(collect["game"], AtariConfig(**collect["env"]), UCTConfig(**uct),
                         collect["labels_per_episode"]), data


def load(run: Path):
    from imitation.checkpoint import load_checkpoint

    return load_checkpoint(run / "policy.pt", device="cpu")


# -- latency ------------------------------------------------------------------------------

def latency(args) -> dict:
    import torch

    from envs.atari import AtariEnv
    from mcts.parallel import make_planner
    from mcts.play import planning_model_factory

    torch.set_num_threads(1)
    collect, _ = run_config(args.run)
    ckpt = load(args.run)
    env = AtariEnv(collect.game, collect.env, seed=args.seed)
    obs, _ = env.reset(seed=args.seed)
    planner_s, policy_ms = [], []
    factory = planning_model_factory(collect.game, collect.env, collect.uct, args.seed)
    with make_planner(factory, collect.uct, args.seed) as planner:
        for t in range(args.decisions):
            t0 = time.perf_counter()
            decision = planner.decide(env.snapshot().ale_state, t)
            planner_s.append(time.perf_counter() - t0)
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                ckpt.policy.greedy(obs)
                policy_ms.append((time.perf_counter() - t0) * 1e3)
            obs, _, terminated, truncated, _ = env.step(decision.action)
            if terminated or truncated:
                obs, _ = env.reset()
    p50 = float(np.percentile(policy_ms, 50))
    result = {"game": collect.game, "expert": collect.uct, "decisions": args.decisions,
              "planner_seconds_per_decision": float(np.mean(planner_s)),
              "policy_ms_p50": p50, "policy_ms_p99": float(np.percentile(policy_ms, 99)),
              "speedup": float(np.mean(planner_s)) * 1e3 / p50, "device": "cpu", "torch_threads": 1}
    result["goals_met"] = {"speedup_1000x": result["speedup"] >= 1000, "policy_under_1ms": p50 <= 1.0}
    print(f"{collect.game}: planner {result['planner_seconds_per_decision']:.3f} s/decision, policy "
          f"p50 {p50:.3f} ms (p99 {result['policy_ms_p99']:.3f} ms): {result['speedup']:.0f}x faster")
    return result


# -- fidelity -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ExpertEpisode:
    collect: object        # CollectConfig: game and expert
    protocol: object       # EvalProtocol
    spec: object           # the policy's LabelSpec: the same preprocessing
    seed: int
    episode: int


def expert_episode(task: ExpertEpisode) -> float:
    """One episode of the planner under the evaluation protocol (epsilon included)."""
    from distill.workers import report
    from envs.atari import AtariEnv
    from imitation.evaluate import eval_seeds
    from mcts.parallel import make_planner
    from mcts.play import planning_model_factory

    env_config = task.protocol.env_config(task.spec)
    env_seed, acting_seed = eval_seeds(task.seed, task.episode)
    rng = np.random.default_rng(acting_seed)
    env = AtariEnv(task.collect.game, env_config, seed=env_seed)
    obs, _ = env.reset(seed=env_seed)
    score, t = 0.0, 0
    factory = planning_model_factory(task.collect.game, env_config, task.collect.uct, env_seed)
    with make_planner(factory, task.collect.uct, env_seed) as planner:
        while True:
            explore = rng.random() < task.protocol.epsilon
            action = planner.decide(env.snapshot().ale_state, t).action
            if explore:
                action = int(rng.integers(len(env.action_set)))
            _, reward, terminated, truncated, _ = env.step(action)
            score += reward
            t += 1
            report(task.episode, reward)
            if terminated or truncated:
                return score


def _protocol(args, collect):
    """The evaluation protocol of ``args``, capped as the run's collection was by default."""
    from imitation.evaluate import EvalProtocol

    cap = args.max_episode_frames or collect.env.max_episode_frames
    return EvalProtocol(episodes=args.episodes, sticky=args.sticky, max_episode_frames=cap)


def _expert_key(collect, protocol, seed: int) -> dict:
    """What must match for cached expert scores to be reused: the expert, the game, the
    protocol (less the episode count) and the seed."""
    key = {"game": collect.game, "expert": collect.uct, "seed": seed,
           "protocol": {**vars(protocol), "episodes": None}}
    return to_jsonable(key)


def play_expert(run: Path, collect, protocol, seed: int, episodes: int, workers: int) -> list[float]:
    """``episodes`` expert scores under ``protocol``: those cached in ``run/expert_scores.json``
    for the same expert, protocol and seed, then new ones (added to the cache)."""
    from tqdm import tqdm

    from distill.workers import run_tasks
    from imitation.collect import label_spec

    cache = run / "expert_scores.json"
    key = _expert_key(collect, protocol, seed)
    scores: list[float] = []
    if cache.exists():
        cached = json.loads(cache.read_text())
        if cached.get("key") == key:
            scores = [float(x) for x in cached["scores"]]
    missing = range(len(scores), episodes)
    if len(missing):
        spec = label_spec(collect.game, collect.env)
        tasks = [ExpertEpisode(collect, protocol, spec, seed, e) for e in missing]
        bar = tqdm(desc="expert", unit="step", disable=None)
        scores += run_tasks(expert_episode, tasks, workers, on_event=lambda e, r: bar.update(1))
        bar.close()
        write_json(cache, {"key": key, "scores": scores, "mean": float(np.mean(scores))})
    return scores[:episodes]


def expert(args) -> dict:
    collect, _ = run_config(args.run)
    protocol = _protocol(args, collect)
    scores = play_expert(args.run, collect, protocol, args.seed, args.episodes, args.workers)
    print(f"{collect.game}: expert {np.mean(scores):.2f} ± {np.std(scores):.2f} over {len(scores)} episodes "
          f"({', '.join(f'{x:g}' for x in scores)})")
    return {"game": collect.game, "expert_mean": float(np.mean(scores)), "expert_scores": scores,
            "expert": collect.uct, "protocol": protocol, "seed": args.seed}


def fidelity(args) -> dict:
    from imitation.evaluate import evaluate_policy, evaluate_random

    collect, data = run_config(args.run)
    ckpt = load(args.run)
    protocol = _protocol(args, collect)
    policy = evaluate_policy(ckpt.policy, ckpt.spec, protocol, args.seed)
    random = evaluate_random(ckpt.spec, protocol, args.seed)
    print(f"policy {policy.mean:.2f} ± {policy.std:.2f}, random {random.mean:.2f}; expert episodes...")
    experts = play_expert(args.run, collect, protocol, args.seed, args.expert_episodes, args.workers)
    expert_mean = float(np.mean(experts))
    value = ((policy.mean - random.mean) / (expert_mean - random.mean)
             if expert_mean != random.mean else float("nan"))
    result = {"game": collect.game, "fidelity": value, "policy_mean": policy.mean, "policy_std": policy.std,
              "policy_scores": policy.scores, "random_mean": random.mean, "random_scores": random.scores,
              "expert_mean": expert_mean, "expert_scores": experts, "expert": collect.uct,
              "protocol": protocol, "labels_total": _labels_total(args.run), "algo": data["algo"],
              "rounds": data["rounds"]}
    print(f"{collect.game}: fidelity {value:.3f} = ({policy.mean:.2f} - {random.mean:.2f}) / "
          f"({expert_mean:.2f} - {random.mean:.2f}) at {result['labels_total']} labels ({data['algo']})")
    return result


def self_agreement(args) -> dict:
    from envs.atari import AtariEnv
    from imitation.policy import best_actions
    from mcts.parallel import make_planner
    from mcts.play import planning_model_factory

    from dataclasses import replace

    from mcts.config import Budget

    collect, _ = run_config(args.run)
    if args.frames_per_decision is not None:   # the same expert at another budget
        collect = replace(collect, uct=replace(collect.uct, budget=Budget(frames=args.frames_per_decision)))
    env = AtariEnv(collect.game, collect.env, seed=args.seed)
    env.reset(seed=args.seed)
    make = [planning_model_factory(collect.game, collect.env, collect.uct, args.seed + k) for k in (0, 1)]
    agree = informative = decisions = 0
    with make_planner(make[0], collect.uct, args.seed) as first, \
            make_planner(make[1], collect.uct, args.seed + 1) as second:
        for t in range(args.steps):
            state = env.snapshot().ale_state
            a, b = first.decide(state, t), second.decide(state, t)
            if not (a.skipped or b.skipped):
                decisions += 1
                best = best_actions(a.q[None], np.array([a.action]))[0]
                if not best.all():
                    informative += 1
                    agree += int(best[b.action])
            _, _, terminated, truncated, _ = env.step(a.action)
            if terminated or truncated:
                break
    value = agree / informative if informative else float("nan")
    print(f"{collect.game}: the planner agrees with itself (another seed) on {value:.3f} of the "
          f"{informative} states where it preferred something ({decisions} decisions, "
          f"{informative / max(decisions, 1):.2f} of them informative)")
    return {"game": collect.game, "self_agreement": value, "agreeing": agree, "informative": informative,
            "decisions": decisions, "expert": collect.uct, "seed": args.seed}


def _labels_total(run: Path) -> int:
    return json.loads((run / "result.json").read_text())["labels_total"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    lat = sub.add_parser("latency")
    lat.add_argument("--decisions", type=int, default=100, help="planner decisions timed")
    lat.add_argument("--repeats", type=int, default=20, help="policy forward passes timed per state")
    exp = sub.add_parser("expert")
    exp.add_argument("--episodes", type=int, default=3, help="expert episodes")
    agr = sub.add_parser("self-agreement")
    agr.add_argument("--steps", type=int, default=500, help="decisions compared (one episode at most)")
    agr.add_argument("--frames-per-decision", type=int, default=None,
                     help="the run's expert at this frame budget instead of its own")
    fid = sub.add_parser("fidelity")
    fid.add_argument("--episodes", type=int, default=10, help="policy and random episodes")
    fid.add_argument("--expert-episodes", type=int, default=3)
    for s in (exp, fid):
        s.add_argument("--workers", type=int, default=1, help="expert episodes in parallel")
        s.add_argument("--sticky", action="store_true")
        s.add_argument("--max-episode-frames", type=int, default=None,
                       help="episode cap (default: the run's collection cap)")
    for s in (lat, exp, agr, fid):
        s.add_argument("--run", type=Path, required=True, help="a `distill train` output folder")
        s.add_argument("--seed", type=int, default=0)
        s.add_argument("--out", type=Path, default=None, help="folder for the JSON (default: --run)")
    args = p.parse_args()
    result = {"latency": latency, "expert": expert, "self-agreement": self_agreement,
              "fidelity": fidelity}[args.what](args)
    out = args.out or args.run
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / f"{args.what}.json", to_jsonable(result))


if __name__ == "__main__":
    main()
