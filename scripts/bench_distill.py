"""The distillation benchmarks of the README: decision latency and fidelity, each at the
labelling budget a ``distill train`` run actually used (read from its folder).

    python scripts/bench_distill.py latency  --run runs/train-pong-... [--decisions 200]
    python scripts/bench_distill.py expert   --run runs/train-pong-... [--episodes 3] [--workers W]
    python scripts/bench_distill.py self-agreement --run runs/train-pong-... [--steps 500]
    python scripts/bench_distill.py fidelity --run runs/train-pong-... [--episodes 10] [--expert-episodes 3]
    python scripts/bench_distill.py label-budget --game pong [--frames 2000 8000 32000 128000] [--states 30]
    python scripts/bench_distill.py refit --run runs/train-pong-... --head regression --q-weights visits
    python scripts/bench_distill.py tracker [--labels 20000] [--epochs 5]
    python scripts/bench_distill.py label-stats --run runs/train-pong-...

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

``label-budget``: how the labels' consistency grows with the planner's budget, at fixed
states. States are sampled along an episode the planner plays at the smallest budget;
at each state and budget two fresh planners (no kept subtree, different seeds) decide,
and the figure is the self-agreement measure above, beside the agreement a uniformly
random second choice would get (the chance level). It needs no run folder.

``refit``: a fresh policy fitted on a run's labels with another head, target or weighting
(the labels stay as they are), its validation agreement and its score under the
evaluation protocol beside a random policy's; with the run's expert scores cached (by
``expert``), its fidelity. It compares ways of fitting at no labelling cost.

``tracker``: can the learner learn Pong at all from labels that are consistent? A
teacher that reads the ball's and its paddle's heights from the console RAM (addresses
54 and 51, as annotated by Anand et al. 2019, "Unsupervised State Representation
Learning in Atari") labels up, down or stay; it acts on its label with probability 0.7,
else at random, so the states spread. The same labels are fitted twice with ``train``'s
defaults, with the input centring and explicitly without it, and each policy plays. It
tests the learning pipeline, not the planner: the tracker is not the expert.

``label-stats``: what a run's labels carry, round by round, at no emulator cost: labels
per episode, the labelling games' scores, the fraction of executed actions that were not
the planner's, the fraction of states where every root Q ties (nothing rewarded within
the search depth: the label says nothing), and the mean spread max_a Q - min_a Q and
visits per action over the other states.

Each writes ``--out/<what>.json`` and prints a summary.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.errors import DistillError
from common.rundir import to_jsonable, write_json


def run_config(run: Path):
    """The :class:`DistillConfig` a train run folder was made with."""
    from envs.atari import AtariConfig
    from imitation.collect import CollectConfig
    from mcts.config import Budget, UCTConfig

    path = run / "config.json"
    try:
        data = json.loads(path.read_text())["config"]["run"]
        collect = data["collect"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DistillError(f"{path}: not a `distill train` run folder ({exc})", exit_code=1) from None
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
    from common.workers import report
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


def cached_expert_scores(run: Path, key: dict) -> list[float]:
    """The expert scores cached in ``run/expert_scores.json`` under ``key`` (else none)."""
    cache = run / "expert_scores.json"
    if cache.exists():
        cached = json.loads(cache.read_text())
        if cached.get("key") == key:
            return [float(x) for x in cached["scores"]]
    return []


def play_expert(run: Path, collect, protocol, seed: int, episodes: int, workers: int) -> list[float]:
    """``episodes`` expert scores under ``protocol``: those cached in ``run/expert_scores.json``
    for the same expert, protocol and seed, then new ones (added to the cache)."""
    from tqdm import tqdm

    from common.workers import run_tasks
    from imitation.collect import label_spec

    cache = run / "expert_scores.json"
    key = _expert_key(collect, protocol, seed)
    scores = cached_expert_scores(run, key)
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


# ALE action -> its joystick direction (the action without the fire button):
# NOOP FIRE UP RIGHT LEFT DOWN UPRIGHT UPLEFT DOWNRIGHT DOWNLEFT, then the *FIRE variants.
_JOYSTICK = np.array([0, 0, 2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5, 6, 7, 8, 9])


@dataclass(frozen=True)
class BudgetProbe:
    game: str
    env: object            # AtariConfig
    uct: object            # UCTConfig (its budget replaced per probe)
    state: object          # the root's emulator state
    index: int             # the state's index (the decision number of both searches)
    seed: int


def probe_budget(task: BudgetProbe) -> tuple[np.ndarray, int, int]:
    """(q [A], first action, second action) of two fresh planners at one state."""
    from mcts.play import planning_model_factory
    from mcts.uct import UCTPlanner

    decisions = []
    for k in (1, 2):
        model = planning_model_factory(task.game, task.env, task.uct, task.seed + k)()
        decisions.append(UCTPlanner(model, task.uct, task.seed + k).decide(task.state, task.index))
    return decisions[0].q, decisions[0].action, decisions[1].action


def label_budget(args) -> dict:
    from dataclasses import replace

    from tqdm import tqdm

    from common.workers import run_tasks
    from envs.atari import AtariConfig, AtariEnv
    from envs.atari.names import canonical_game
    from imitation.policy import best_actions
    from mcts.config import Budget, UCTConfig
    from mcts.parallel import make_planner
    from mcts.play import planning_model_factory

    game = canonical_game(args.game)
    env_config = AtariConfig()
    uct = UCTConfig(budget=Budget(frames=min(args.frames)), max_depth=args.depth,
                    exploration=args.exploration, final_action=args.final_action,
                    life_loss_penalty=args.life_loss_penalty)
    env = AtariEnv(game, env_config, seed=args.seed)
    env.reset(seed=args.seed)
    states, t = [], 0
    with make_planner(planning_model_factory(game, env_config, uct, args.seed), uct, args.seed) as planner:
        with tqdm(total=args.states, desc="sampling states", disable=None) as bar:
            while len(states) < args.states:
                state = env.snapshot().ale_state
                decision = planner.decide(state, t)
                if not decision.skipped and t % args.stride == 0:
                    states.append(state)
                    bar.update(1)
                _, _, terminated, truncated, _ = env.step(decision.action)
                t += 1
                if terminated or truncated:
                    break
    rows = []
    for frames in args.frames:
        probe_uct = replace(uct, budget=Budget(frames=frames), reuse_tree=False)
        tasks = [BudgetProbe(game, env_config, probe_uct, s, i, args.seed) for i, s in enumerate(states)]
        bar = tqdm(total=len(tasks), desc=f"{frames} frames", disable=None)
        out = run_tasks(probe_budget, tasks, args.workers, on_result=lambda i, r: bar.update(1))
        bar.close()
        q = np.stack([o[0] for o in out])
        first = np.array([o[1] for o in out])
        second = np.array([o[2] for o in out])
        best = best_actions(q, first).astype(bool)
        useful = ~best.all(axis=-1)
        agree = best[np.arange(len(second)), second][useful]
        chance = best[useful].mean(axis=-1)
        # The same up to the fire button: does the second search push the joystick the
        # way one of the first one's best actions does?
        stick = _JOYSTICK[np.asarray(env.action_set)]
        best_stick = (stick[None, :, None] == np.arange(_JOYSTICK.max() + 1)[None, None]) & best[..., None]
        best_stick = best_stick.any(axis=1)                                   # [states, directions]
        agree_stick = best_stick[np.arange(len(second)), stick[second]][useful]
        chance_stick = best_stick[useful][:, stick].mean(axis=-1)
        row = {"frames_per_decision": frames, "states": len(out), "informative": int(useful.sum()),
               "self_agreement": float(agree.mean()) if useful.any() else float("nan"),
               "chance": float(chance.mean()) if useful.any() else float("nan"),
               "joystick_agreement": float(agree_stick.mean()) if useful.any() else float("nan"),
               "joystick_chance": float(chance_stick.mean()) if useful.any() else float("nan"),
               "q": q, "first": first, "second": second}
        rows.append(row)
        print(f"{game}: {frames:>7} frames/decision: agreement {row['self_agreement']:.3f} "
              f"(chance {row['chance']:.3f}), joystick direction {row['joystick_agreement']:.3f} "
              f"(chance {row['joystick_chance']:.3f}), on {row['informative']} of {row['states']} "
              f"informative states")
    return {"game": game, "expert": uct, "stride": args.stride, "seed": args.seed, "rows": rows}


def refit(args) -> dict:
    from dataclasses import replace

    from imitation.checkpoint import save_checkpoint
    from imitation.collect import label_spec
    from imitation.dataset import LabelDataset
    from imitation.evaluate import evaluate_policy, evaluate_random
    from imitation.networks import NetworkConfig
    from imitation.policy import DistilledPolicy, PolicyConfig
    from imitation.train_policy import train_policy

    collect, data = run_config(args.run)
    spec = label_spec(collect.game, collect.env)
    dataset = LabelDataset.open(args.run / "labels", expect=spec)
    config = PolicyConfig(head=args.head, target=args.target, q_weights=args.q_weights,
                          network=NetworkConfig(arch=args.network))
    train = replace(_train_config(data), epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                    seed=args.seed)
    policy = DistilledPolicy(config, spec.num_actions, seed=args.seed, device="cpu")
    fit = train_policy(policy, dataset, train, progress=True)
    out = args.out or args.run
    save_checkpoint(out / f"refit-{_refit_name(args)}.pt", policy, spec, round=0)
    protocol = _protocol(args, collect)
    score = evaluate_policy(policy, spec, protocol, args.seed)
    random = evaluate_random(spec, protocol, args.seed)
    result = {"game": collect.game, "policy": config, "train": train, "labels": fit.train_rows + fit.val_rows,
              "train_loss": fit.epoch_losses, "val_loss": fit.val_losses, "val_agreement": fit.val_agreement,
              "policy_mean": score.mean, "policy_std": score.std, "policy_scores": score.scores,
              "random_mean": random.mean, "protocol": protocol, "seed": args.seed}
    experts = cached_expert_scores(args.run, _expert_key(collect, protocol, args.seed))
    if experts:
        expert_mean = float(np.mean(experts))
        result["expert_mean"] = expert_mean
        result["fidelity"] = (score.mean - random.mean) / (expert_mean - random.mean)
    print(f"{collect.game} refit {_refit_name(args)}: validation loss by epoch "
          f"{' '.join(f'{v:.4f}' for v in fit.val_losses)}")
    print(f"{collect.game} refit {_refit_name(args)}: val agreement {fit.val_agreement:.3f}, "
          f"policy {score.mean:.2f} ± {score.std:.2f} (random {random.mean:.2f})"
          + (f", fidelity {result['fidelity']:.3f}" if "fidelity" in result else ""))
    return result


# -- label-stats --------------------------------------------------------------------------

def label_stats(args) -> dict:
    from imitation.dataset import LabelDataset

    dataset = LabelDataset.open(args.run / "labels")
    stick = _JOYSTICK[np.asarray(dataset.spec.action_set)]   # action index -> direction
    by_round: dict[int, list] = {}
    for r, e in dataset.keys():
        episode = dataset.read_episode(r, e)
        if episode is not None:
            by_round.setdefault(r, []).append(episode)
    rows = []
    for r, episodes in sorted(by_round.items()):
        q = np.concatenate([ep.q for ep in episodes]).astype(np.float64)
        visits = np.concatenate([ep.visits for ep in episodes])
        action = np.concatenate([ep.action for ep in episodes])
        executed = np.concatenate([ep.executed for ep in episodes])
        spread = np.nanmax(q, axis=-1) - np.nanmin(q, axis=-1)
        tied = spread == 0
        # Joystick directions (the fire button ignored) of the executed and the planner's
        # actions; chance is the agreement of independent draws from the two mixes.
        stick_ex, stick_pl = stick[executed], stick[action]
        mix_ex, mix_pl = (np.bincount(x, minlength=_JOYSTICK.max() + 1) / len(x)
                          for x in (stick_ex, stick_pl))
        row = {"round": r, "episodes": len(episodes), "labels": len(q),
               "labels_per_episode": len(q) / len(episodes),
               "scores": [float(ep.score) for ep in episodes],
               "executed_not_planner": float((executed != action).mean()),
               "joystick_agreement": float((stick_ex == stick_pl).mean()),
               "joystick_chance": float(mix_ex @ mix_pl),
               "all_tied": float(tied.mean()),
               "q_spread_untied": float(spread[~tied].mean()) if (~tied).any() else float("nan"),
               "visits_per_action": float(visits.mean())}
        rows.append(row)
        print(f"round {r}: {row['episodes']} episodes, {row['labels']} labels "
              f"({row['labels_per_episode']:.0f} per episode), games {np.mean(row['scores']):+.1f}, "
              f"executed != planner {row['executed_not_planner']:.2f} (joystick agreement "
              f"{row['joystick_agreement']:.2f}, chance {row['joystick_chance']:.2f}), "
              f"all Q tied {row['all_tied']:.3f}, "
              f"Q spread where not {row['q_spread_untied']:.3f}, visits per action {row['visits_per_action']:.1f}")
    return {"run": str(args.run), "rounds": rows}


# -- tracker ------------------------------------------------------------------------------

PONG_BALL_Y, PONG_PLAYER_Y = 54, 51   # RAM addresses (Anand et al. 2019)


def tracker_label(ram: np.ndarray, action_set: tuple[int, ...]) -> int:
    """Index (into Pong's minimal action set) of the tracker's choice: move the paddle
    towards the ball's height, or stay within 3 units of it."""
    gap = int(ram[PONG_BALL_Y]) - (int(ram[PONG_PLAYER_Y]) + 8)
    if abs(gap) < 3:
        return action_set.index(0)                            # NOOP
    return action_set.index(4 if gap > 0 else 3)              # LEFT moves down, RIGHT up


def tracker_scores(spec, protocol, seed: int) -> list[float]:
    """The tracker's own scores under ``protocol`` (the episode seeds and the epsilon rule
    of :func:`imitation.evaluate.evaluate`; it needs the console RAM, which the policy
    evaluation does not expose)."""
    from envs.atari import AtariEnv
    from imitation.evaluate import eval_seeds

    scores = []
    for e in range(protocol.episodes):
        env_seed, acting_seed = eval_seeds(seed, e)
        rng = np.random.default_rng(acting_seed)
        env = AtariEnv(spec.game, protocol.env_config(spec), seed=env_seed)
        env.reset(seed=env_seed)
        score, done = 0.0, False
        while not done:
            explore = rng.random() < protocol.epsilon
            action = tracker_label(env.ale.getRAM(), spec.action_set)
            _, reward, terminated, truncated, _ = env.step(
                int(rng.integers(spec.num_actions)) if explore else action)
            score, done = score + reward, terminated or truncated
        scores.append(score)
    return scores


def tracker_dataset(spec, root: Path, labels: int, noise: float, seed: int):
    """``labels`` tracker labels of Pong states, written to a dataset under ``root``; the
    tracker acts on its label with probability 1 - ``noise``, else at random. Returns the
    dataset and the tracker's score in each labelling game."""
    from envs.atari import AtariConfig, AtariEnv
    from imitation.dataset import EpisodeRecorder, LabelDataset
    from mcts.decision import Decision

    env = AtariEnv("pong", AtariConfig(), seed=seed)
    rng = np.random.default_rng(seed)
    dataset = LabelDataset.create(root / "labels", spec)
    written, episode, scores = 0, 0, []
    while written < labels:
        obs, _ = env.reset(seed=seed + episode)
        recorder = EpisodeRecorder(0, episode, seed + episode, spec)
        score, steps, done = 0.0, 0, False
        while not done and written + len(recorder) < labels:
            a = tracker_label(env.ale.getRAM(), spec.action_set)
            decision = Decision(action=a, q=np.eye(spec.num_actions)[a],
                                visits=np.ones(spec.num_actions, np.int64), frames=0)
            recorder.add(steps, obs, decision, a)
            act = a if rng.random() >= noise else int(rng.integers(spec.num_actions))
            obs, reward, terminated, truncated, _ = env.step(act)
            score, steps, done = score + reward, steps + 1, terminated or truncated
        dataset.write_episode(recorder.finish(score=score, env_steps=steps, lives_lost=0,
                                              terminated=done))
        written += len(recorder)
        scores.append(score)
        episode += 1
    return dataset, scores


def tracker(args) -> dict:
    import tempfile

    import torch

    from envs.atari import AtariConfig
    from imitation.collect import label_spec
    from imitation.evaluate import EvalProtocol, evaluate_policy, evaluate_random
    from imitation.policy import DistilledPolicy, PolicyConfig
    from imitation.train_policy import TrainConfig, train_policy

    if args.labels <= 0 or args.epochs <= 0 or args.episodes <= 0:
        raise DistillError("--labels, --epochs and --episodes must be positive")
    if not 0.0 <= args.noise <= 1.0:
        raise DistillError(f"--noise must be in [0, 1], got {args.noise}")
    torch.set_num_threads(1)
    spec = label_spec("pong", AtariConfig())
    protocol = EvalProtocol(episodes=args.episodes, max_episode_frames=args.max_episode_frames)
    teacher = tracker_scores(spec, protocol, args.seed)
    result = {"labels": args.labels, "noise": args.noise, "protocol": protocol,
              "random_mean": evaluate_random(spec, protocol, args.seed).mean,
              "tracker_mean": float(np.mean(teacher)), "tracker_scores": teacher}
    print(f"the tracker itself under the protocol: {result['tracker_mean']:.2f}")
    with tempfile.TemporaryDirectory(prefix="tracker-") as tmp:
        dataset, result["tracker_scores_while_labelling"] = tracker_dataset(
            spec, Path(tmp), args.labels, args.noise, args.seed)
        for name, centred in (("centred", True), ("uncentred", False)):
            policy = DistilledPolicy(PolicyConfig(), spec.num_actions, seed=args.seed, device="cpu")
            if not centred:
                policy.net.set_input_mean(np.zeros(spec.obs_shape))
            fit = train_policy(policy, dataset, TrainConfig(epochs=args.epochs, seed=args.seed))
            score = evaluate_policy(policy, spec, protocol, args.seed)
            result[name] = {"train_loss": fit.epoch_losses, "val_agreement": fit.val_agreement,
                            "policy_mean": score.mean, "policy_scores": score.scores}
            print(f"tracker labels, {name}: loss {fit.epoch_losses[0]:.3f} -> "
                  f"{fit.epoch_losses[-1]:.3f}, val agreement {fit.val_agreement:.3f}, policy "
                  f"{score.mean:.2f} (random {result['random_mean']:.2f})")
    return result


def _train_config(data: dict):
    from imitation.train_policy import TrainConfig

    return TrainConfig(**data["train"])


def _refit_name(args) -> str:
    fit = f"{args.network}-b{args.batch_size}-lr{args.lr:g}-e{args.epochs}"
    if args.head == "regression":
        return f"regression-{args.q_weights}-{fit}"
    return f"classification-{args.target}-{fit}"


def _labels_total(run: Path) -> int:
    return json.loads((run / "result.json").read_text())["labels_total"]


def main() -> None:
    from mcts.config import UCTConfig

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
    bud = sub.add_parser("label-budget")
    bud.add_argument("--game", default="pong")
    bud.add_argument("--depth", type=int, default=40)
    bud.add_argument("--exploration", type=float, default=UCTConfig.exploration)
    bud.add_argument("--final-action", choices=("mean", "visits"), default=UCTConfig.final_action)
    bud.add_argument("--life-loss-penalty", type=float, default=0.0)
    bud.add_argument("--frames", type=int, nargs="+", default=[2000, 8000, 32000, 128000])
    bud.add_argument("--states", type=int, default=30, help="states probed")
    bud.add_argument("--stride", type=int, default=10, help="steps between probed states")
    bud.add_argument("--workers", type=int, default=2)
    bud.add_argument("--seed", type=int, default=0)
    bud.add_argument("--out", type=Path, default=Path("runs/label-budget"))
    ref = sub.add_parser("refit")
    ref.add_argument("--head", choices=("classification", "regression"), default="classification")
    ref.add_argument("--target", choices=("action", "visits"), default="action")
    ref.add_argument("--q-weights", choices=("uniform", "visits"), default="uniform")
    ref.add_argument("--network", choices=("dqn2013", "nature"), default="dqn2013")
    ref.add_argument("--epochs", type=int, default=10)
    ref.add_argument("--lr", type=float, default=1e-3)
    ref.add_argument("--batch-size", type=int, default=100)
    ref.add_argument("--episodes", type=int, default=10, help="policy and random episodes")
    trk = sub.add_parser("tracker")
    trk.add_argument("--labels", type=int, default=20_000)
    trk.add_argument("--noise", type=float, default=0.3, help="probability of a random action")
    trk.add_argument("--epochs", type=int, default=10, help="train's default")
    trk.add_argument("--episodes", type=int, default=3, help="evaluation episodes per policy")
    trk.add_argument("--max-episode-frames", type=int, default=108_000)
    trk.add_argument("--seed", type=int, default=0)
    trk.add_argument("--out", type=Path, default=Path("runs/tracker"))
    sta = sub.add_parser("label-stats")
    for s in (exp, fid):
        s.add_argument("--workers", type=int, default=1, help="expert episodes in parallel")
    for s in (exp, fid, ref):
        s.add_argument("--sticky", action="store_true")
        s.add_argument("--max-episode-frames", type=int, default=None,
                       help="episode cap (default: the run's collection cap)")
    for s in (lat, exp, agr, fid, ref, sta):
        s.add_argument("--run", type=Path, required=True, help="a `distill train` output folder")
        s.add_argument("--seed", type=int, default=0)
        s.add_argument("--out", type=Path, default=None, help="folder for the JSON (default: --run)")
    args = p.parse_args()
    try:
        run_benchmark(args)
    except DistillError as exc:   # an unknown game, a bad budget, a damaged run folder
        raise SystemExit(f"bench_distill {args.what}: error: {exc}") from None


def run_benchmark(args) -> None:
    result = {"latency": latency, "expert": expert, "self-agreement": self_agreement,
              "fidelity": fidelity, "label-budget": label_budget,
              "refit": refit, "tracker": tracker, "label-stats": label_stats}[args.what](args)
    out = args.out or args.run
    out.mkdir(parents=True, exist_ok=True)
    name = f"refit-{_refit_name(args)}" if args.what == "refit" else args.what
    write_json(out / f"{name}.json", to_jsonable(result))


if __name__ == "__main__":
    main()
