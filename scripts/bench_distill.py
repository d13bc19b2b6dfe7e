"""The distillation benchmarks of the README: decision latency and fidelity, each at the
labelling budget a ``distill train`` run actually used (read from its folder).

    python scripts/bench_distill.py latency  --run runs/train-pong-... [--decisions 200] [--policy PT ...] [--guide PT]
    python scripts/bench_distill.py expert   --run runs/train-pong-... [--episodes 3] [--workers W] [--guide PT]
    python scripts/bench_distill.py self-agreement --run runs/train-pong-... [--steps 500]
    python scripts/bench_distill.py fidelity --run runs/train-pong-... [--episodes 10] [--expert-episodes 3]
    python scripts/bench_distill.py label-budget --game pong [--frames 2000 8000 32000 128000] [--states 30]
    python scripts/bench_distill.py refit --run runs/train-pong-... --head regression --q-weights visits
    python scripts/bench_distill.py tracker [--labels 20000] [--epochs 5]
    python scripts/bench_distill.py label-stats --run runs/train-pong-...
    python scripts/bench_distill.py teacher --run runs/exit-pong-... [--guided-frames 200 2000] [--steps 500]

``latency``: the policy's batch-1 decision time on the CPU with one torch thread (p50 and
p99 over real observations of the game) against the run's expert's seconds per decision
on the same states; goals: >= 1000x faster and <= 1 ms per decision. ``--policy`` times
other checkpoints instead (several are timed interleaved, state by state), e.g. a
``distill compress`` student against the expert its teacher imitates; ``--guide`` leads
an exit run's planner with another checkpoint, as for ``expert``.

``fidelity`` = (policy - random) / (expert - random), all three under one protocol: up
to 30 no-ops, epsilon 0.05 (the expert too: a random action with probability 0.05
instead of the planner's), episodes capped at 108,000 frames, optionally sticky actions.
The expert is the run's own (same budget, depth, root workers; for an exit run, its last
round's planner, guided by the run's policy.pt), and the episode cap is the run's own
unless ``--max-episode-frames`` says otherwise. Goals: >= 0.95 on Pong,
>= 0.7 on Breakout; Guo et al.'s UCC-I figures imply about 0.90 and 0.53.

Expert episodes are slow (a full Pong game at 100 simulations x depth 50 takes hours on
one core): they run in parallel on ``--workers`` processes, and ``expert`` plays them on
their own, before the policy exists if need be (alongside the labelling), into
``--run/expert_scores.json``; ``fidelity`` reuses those scores when the protocol, seed and
expert match, and plays whatever episodes are missing. ``expert --guide PT`` plays an exit
run's planner guided by another checkpoint (say a shipped policy) instead of the run's
policy.pt: the teacher that checkpoint would have (its scores replace the cache).

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

``refit``: a fresh policy fitted on a run's labels (all of them, or those of rounds
``--min-round`` to ``--max-round``) with another head, target, value head or weighting (the labels stay as
they are), for all ``--epochs`` whatever the run's per-round step cap; its validation
agreement and its score under the evaluation protocol beside a random policy's; with the
run's expert scores cached (by ``expert``), its fidelity. It compares ways of fitting at
no labelling cost. ``--weak-labels noop|guide`` asks what a fixed rule among near-equal
moves is worth: every label whose search preference is weak (weight below
``--weak-below``) is replaced by the no-op, or by the greedy action of the network that
guided its round (``checkpoints/round{r-1}.pt``; round 0 keeps its labels), its Q and visits
made one-hot on it, and every weight set to 1; the relabelled copy is written under
``--out`` and fitted as above.

``tracker``: can the learner learn the game at all from labels that are consistent? A
teacher that reads the ball and its paddle from the console RAM (as annotated by Anand
et al. 2019, "Unsupervised State Representation Learning in Atari";
:class:`imitation.tracker.RamTracker`; ``--game pong`` or ``breakout``) labels the move
towards the ball; it acts on its label with probability 1 - ``--noise``, else at random,
so the states spread. The same labels are fitted with ``train``'s defaults, with the
input centring and (``--fits``) explicitly without it, and each policy plays. With
``--label-noise Q ...`` a share Q of the recorded labels is replaced by random actions
(the same states for every Q): how the student's score falls as its labels agree less
with themselves. It tests the learning pipeline, not the planner: the tracker is not the
expert.

``teacher``: an exit run's teacher against its student, at no training cost. The run's
guided planner (guided by its policy.pt) plays the first ``--steps`` steps of a game at
each ``--guided-frames`` budget (score and seconds per decision), and so does the policy
alone; then, at the run's own guided budget, the fraction of states where the policy's
greedy action pushes the joystick as the planner's does, once on states where the
planner plays and once where the policy plays. Equal figures say the policy's errors are
not DAgger's distribution shift: it has not learnt the teacher's choices on its states.

``label-stats``: what a run's labels carry, round by round, at no emulator cost: labels
per episode, the labelling games' scores, the fraction of executed actions that were not
the planner's, the fraction of states where every root Q ties (nothing rewarded within
the search depth: the label says nothing), and the mean spread max_a Q - min_a Q and
visits per action over the other states. With ``--checkpoint PT``, how much of them a
policy has learnt: its joystick agreement with the validation labels, by label weight.

Each writes ``--out/<what>.json`` and prints a summary. The measures are the package's
(:mod:`imitation.metrics`: fidelity, agreement, label consistency, the expert's score
under the protocol; :mod:`imitation.tracker`), and every episode is played by the one
loop, :class:`mcts.episode.Episode`: this script only reads run folders and drives them.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
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
        raise DistillError(f"{path}: not a `distill train` run folder ({exc})") from None
    uct = dict(collect["uct"])
    uct["budget"] = Budget(**uct["budget"])
    return CollectConfig(collect["game"], AtariConfig(**collect["env"]), UCTConfig(**uct),
                         collect["labels_per_episode"]), data


def run_guidance(data: dict):
    """The guidance of a run's latest expert (an ``exit`` run's, from round 1), or None."""
    from mcts.config import GuidanceConfig

    guidance = data.get("algorithm", {}).get("guidance")
    return None if guidance is None else GuidanceConfig(**guidance)


def load(run: Path):
    from imitation.checkpoint import load_checkpoint

    return load_checkpoint(run / "policy.pt", device="cpu")


# -- latency ------------------------------------------------------------------------------

def latency(args) -> dict:
    import torch

    from envs.atari import AtariEnv
    from imitation.checkpoint import load_checkpoint
    from imitation.collect import one_thread
    from mcts.episode import Episode, expert_acts
    from mcts.play import uct_expert

    collect, data = run_config(args.run)
    guidance = run_guidance(data)   # an exit run's expert is guided by its policy (or --guide)
    if args.guide is not None and guidance is None:
        raise DistillError(f"--guide: {args.run} is not an exit run; its planner takes no network")
    guide = load_checkpoint(_guide_path(args.run, args.guide), device="cpu").policy if guidance else None
    paths = args.policy or [args.run / "policy.pt"]
    policies = {str(p): load_checkpoint(p, device="cpu").policy for p in paths}
    first = next(iter(policies.values()))
    env = AtariEnv(collect.game, collect.env, seed=args.seed)
    obs, _ = env.reset(seed=args.seed)
    variants = _inference_variants(first) if args.variants else {}
    variant_ms = {name: [] for name in variants}
    variant_agree = {name: 0 for name in variants}
    planner_s, policy_ms = [], {name: [] for name in policies}
    with one_thread(), uct_expert(collect.game, collect.env, collect.uct, args.seed, guidance, guide) as planner:
        while len(planner_s) < args.decisions:   # episodes after the first: reset unseeded
            obs = obs if not planner_s else env.reset()[0]
            for turn in Episode(env, obs, expert_acts, expert=planner):
                planner_s.append(turn.seconds)
                for name, policy in policies.items():   # interleaved: one ratio per run
                    for _ in range(args.repeats):
                        t0 = time.perf_counter()
                        policy.greedy(turn.obs)
                        policy_ms[name].append((time.perf_counter() - t0) * 1e3)
                shipped = int(first.greedy(turn.obs)[0]) if variants else None
                for name, act in variants.items():
                    x = torch.from_numpy(np.ascontiguousarray(turn.obs[None]))
                    for _ in range(args.repeats):
                        t0 = time.perf_counter()
                        action = act(x)
                        variant_ms[name].append((time.perf_counter() - t0) * 1e3)
                    variant_agree[name] += int(action == shipped)
                if len(planner_s) >= args.decisions:
                    break
    planner = float(np.mean(planner_s))
    result = {"game": collect.game, "expert": collect.uct, "guidance": guidance,
              "guide": None if guide is None else str(_guide_path(args.run, args.guide)),
              "decisions": args.decisions, "planner_seconds_per_decision": planner,
              "device": "cpu", "torch_threads": 1, "policies": {}}
    print(f"{collect.game}: planner {planner:.3f} s/decision")
    for name, times in policy_ms.items():
        p50, p99 = float(np.percentile(times, 50)), float(np.percentile(times, 99))
        entry = {"policy_ms_p50": p50, "policy_ms_p99": p99, "speedup": planner * 1e3 / p50,
                 "goals_met": {"speedup_1000x": planner * 1e3 / p50 >= 1000, "policy_under_1ms": p50 <= 1.0}}
        result["policies"][name] = entry
        print(f"  {name}: p50 {p50:.3f} ms (p99 {p99:.3f} ms): {entry['speedup']:.0f}x faster")
    result.update(result["policies"][str(paths[0])])   # the first policy's figures at the top level
    p50 = result["policy_ms_p50"]
    result["variants"] = {}
    for name, times in variant_ms.items():
        v50 = float(np.percentile(times, 50))
        agree = variant_agree[name] / len(planner_s)
        result["variants"][name] = {"policy_ms_p50": v50, "speedup": result["speedup"] * p50 / v50,
                                    "same_action_as_shipped": agree}
        print(f"  {name}: p50 {v50:.3f} ms, {result['speedup'] * p50 / v50:.0f}x; "
              f"same greedy action as the shipped network at {agree:.3f} of the states")
    return result


def _inference_variants(policy) -> dict:
    """Other ways to run the same network at batch 1 on the CPU than the shipped one
    (``DistilledPolicy.greedy``: :class:`imitation.fast_forward.FastForward`), each a map
    from a uint8 tensor [1, frames, size, size] to the greedy action (int): torch's eager
    forward pass (what ``greedy`` ran before), channels-last memory layout, bfloat16
    weights and activations, and a traced, frozen TorchScript graph."""
    import copy

    import torch

    net = copy.deepcopy(policy.net).eval()
    centred = net.centred   # the network's own input scaling and centring, in float32

    layers = torch.nn.Sequential(*net.features, *net.head).eval()
    last = copy.deepcopy(layers).to(memory_format=torch.channels_last)
    bf16 = copy.deepcopy(layers).to(torch.bfloat16)
    example = centred(torch.zeros(1, *net.input_mean.shape, dtype=torch.uint8))
    with torch.inference_mode():
        frozen = torch.jit.freeze(torch.jit.trace(copy.deepcopy(layers), example))

    def run(model, prepare):
        @torch.inference_mode()
        def act(x):
            return int(model(prepare(x)).argmax())
        return act

    return {"torch_eager": run(layers, centred),
            "channels_last": run(last, lambda x: centred(x).contiguous(memory_format=torch.channels_last)),
            "bfloat16": run(bf16, lambda x: centred(x).to(torch.bfloat16)),
            "torchscript_frozen": run(frozen, centred)}


# -- fidelity -----------------------------------------------------------------------------

def _protocol(args, collect):
    """The evaluation protocol of ``args``, capped as the run's collection was by default."""
    from imitation.evaluate import EvalProtocol

    cap = args.max_episode_frames or collect.env.max_episode_frames
    return EvalProtocol(episodes=args.episodes, sticky=args.sticky, max_episode_frames=cap)


def _expert_key(run: Path, collect, data: dict, protocol, seed: int, guide: Path | None = None) -> dict:
    """What must match for cached expert scores to be reused: the expert (for an exit run,
    its guidance and the guiding checkpoint's digest too), the game, the protocol (less
    the episode count) and the seed."""
    import hashlib

    key = {"game": collect.game, "expert": collect.uct, "seed": seed,
           "protocol": {**vars(protocol), "episodes": None}}
    guidance = run_guidance(data)
    if guidance is not None:
        key["guidance"] = guidance
        path = _guide_path(run, guide)
        if not path.is_file():
            raise DistillError(f"{path}: no such checkpoint, so the exit run's expert (the planner it "
                               f"guides) cannot be identified")
        key["guide_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return to_jsonable(key)


def _guide_path(run: Path, guide: Path | None) -> Path:
    """The network that guides an exit run's planner: ``guide``, else the run's policy.pt."""
    return run / "policy.pt" if guide is None else guide


def run_expert(run: Path, collect, data: dict, env_config, guide: Path | None = None):
    """The expert a run's policy imitates, as a picklable maker of an expert from a seed:
    an exit run's is its last round's planner, guided by ``run/policy.pt`` (or ``guide``);
    any other run's is its UCT planner."""
    from functools import partial

    from imitation.label_quality import guided_expert
    from mcts.play import uct_expert

    guidance = run_guidance(data)
    if guidance is None:
        return partial(uct_expert, collect.game, env_config, collect.uct)
    return partial(guided_expert, collect.game, env_config, collect.uct, guidance, str(_guide_path(run, guide)))


def cached_expert_scores(run: Path, key: dict) -> list[float]:
    """The expert scores cached in ``run/expert_scores.json`` under ``key`` (else none)."""
    cache = run / "expert_scores.json"
    if cache.exists():
        cached = json.loads(cache.read_text())
        if cached.get("key") == key:
            return [float(x) for x in cached["scores"]]
    return []


def play_expert(run: Path, collect, data: dict, protocol, seed: int, episodes: int, workers: int,
                guide: Path | None = None) -> list[float]:
    """``episodes`` scores of the run's expert (:func:`run_expert`) under ``protocol``: those
    cached in ``run/expert_scores.json`` for the same expert, protocol and seed, then new
    ones (added to the cache)."""
    from tqdm import tqdm

    from imitation.collect import label_spec
    from imitation.metrics import expert_scores

    cache = run / "expert_scores.json"
    key = _expert_key(run, collect, data, protocol, seed, guide)
    scores = cached_expert_scores(run, key)
    missing = range(len(scores), episodes)
    if len(missing):
        spec = label_spec(collect.game, collect.env)
        make_expert = run_expert(run, collect, data, protocol.env_config(spec), guide)
        bar = tqdm(desc="expert", unit="step", disable=None)
        scores += expert_scores(spec, protocol, make_expert, seed, missing, workers=workers,
                                on_event=lambda e, r: bar.update(1))
        bar.close()
        write_json(cache, {"key": key, "scores": scores, "mean": float(np.mean(scores))})
    return scores[:episodes]


def expert(args) -> dict:
    collect, data = run_config(args.run)
    protocol = _protocol(args, collect)
    guidance = run_guidance(data)
    if args.guide is not None and guidance is None:
        raise DistillError(f"--guide: {args.run} is not an exit run; its planner takes no network")
    if args.guide is not None and not args.guide.is_file():
        raise DistillError(f"--guide {args.guide}: no such file")
    scores = play_expert(args.run, collect, data, protocol, args.seed, args.episodes, args.workers, args.guide)
    print(f"{collect.game}: expert {np.mean(scores):.2f} ± {np.std(scores):.2f} over {len(scores)} episodes "
          f"({', '.join(f'{x:g}' for x in scores)})")
    return {"game": collect.game, "expert_mean": float(np.mean(scores)), "expert_scores": scores,
            "expert": collect.uct, "guidance": guidance,
            "guide": None if guidance is None else str(_guide_path(args.run, args.guide)),
            "protocol": protocol, "seed": args.seed}


def fidelity(args) -> dict:
    from imitation.evaluate import evaluate_policy, evaluate_random
    from imitation.metrics import fidelity as fidelity_of

    collect, data = run_config(args.run)
    ckpt = load(args.run)
    protocol = _protocol(args, collect)
    policy = evaluate_policy(ckpt.policy, ckpt.spec, protocol, args.seed)
    random = evaluate_random(ckpt.spec, protocol, args.seed)
    print(f"policy {policy.mean:.2f} ± {policy.std:.2f}, random {random.mean:.2f}; expert episodes...")
    experts = play_expert(args.run, collect, data, protocol, args.seed, args.expert_episodes, args.workers)
    expert_mean = float(np.mean(experts))
    value = fidelity_of(policy.mean, expert_mean, random.mean)
    result = {"game": collect.game, "fidelity": value, "policy_mean": policy.mean, "policy_std": policy.std,
              "policy_scores": policy.scores, "random_mean": random.mean, "random_scores": random.scores,
              "expert_mean": expert_mean, "expert_scores": experts, "expert": collect.uct,
              "protocol": protocol, "labels_total": _labels_total(args.run), "algo": _algo_name(data),
              "rounds": data["rounds"]}
    print(f"{collect.game}: fidelity {value:.3f} = ({policy.mean:.2f} - {random.mean:.2f}) / "
          f"({expert_mean:.2f} - {random.mean:.2f}) at {result['labels_total']} labels ({result['algo']})")
    return result


def self_agreement(args) -> dict:
    from dataclasses import replace

    from envs.atari import AtariEnv
    from imitation.metrics import agreement
    from mcts.config import Budget
    from mcts.episode import Episode, expert_acts
    from mcts.play import uct_expert

    collect, _ = run_config(args.run)
    if args.frames_per_decision is not None:   # the same expert at another budget
        collect = replace(collect, uct=replace(collect.uct, budget=Budget(frames=args.frames_per_decision)))
    env = AtariEnv(collect.game, collect.env, seed=args.seed)
    obs, _ = env.reset(seed=args.seed)
    q, first, second = [], [], []
    with uct_expert(collect.game, collect.env, collect.uct, args.seed) as one, \
            uct_expert(collect.game, collect.env, collect.uct, args.seed + 1) as other:
        for turn in Episode(env, obs, expert_acts, expert=one):   # the first plays, both decide
            b = other.decide(turn.state, turn.t)
            if not (turn.decision.skipped or b.skipped):
                q.append(turn.decision.q)
                first.append(turn.decision.action)
                second.append(b.action)
            if turn.t + 1 >= args.steps:
                break
    q = np.stack(q) if q else np.zeros((0, len(env.action_set)))
    result = agreement(q, np.array(first, np.int64), np.array(second, np.int64))
    decisions, informative = result.states, result.informative
    print(f"{collect.game}: the planner agrees with itself (another seed) on {result.value:.3f} of the "
          f"{informative} states where it preferred something ({decisions} decisions, "
          f"{informative / max(decisions, 1):.2f} of them informative)")
    return {"game": collect.game, "self_agreement": result.value, "agreeing": result.agreeing,
            "informative": informative, "decisions": decisions, "expert": collect.uct, "seed": args.seed}


def label_budget(args) -> dict:
    from dataclasses import replace
    from functools import partial

    from tqdm import tqdm

    from envs.atari import AtariConfig, AtariEnv
    from envs.atari.names import canonical_game
    from imitation.metrics import label_consistency
    from mcts.config import Budget, UCTConfig
    from mcts.episode import Episode, expert_acts
    from mcts.play import uct_expert

    game = canonical_game(args.game)
    env_config = AtariConfig()
    uct = UCTConfig(budget=Budget(frames=min(args.frames)), max_depth=args.depth,
                    exploration=args.exploration, final_action=args.final_action,
                    life_loss_penalty=args.life_loss_penalty)
    env = AtariEnv(game, env_config, seed=args.seed)
    obs, _ = env.reset(seed=args.seed)
    states = []
    with uct_expert(game, env_config, uct, args.seed) as planner:
        with tqdm(total=args.states, desc="sampling states", disable=None) as bar:
            for turn in Episode(env, obs, expert_acts, expert=planner):
                if not turn.decision.skipped and turn.t % args.stride == 0:
                    states.append(turn.state)
                    bar.update(1)
                if len(states) >= args.states:
                    break
    rows = []
    for frames in args.frames:
        probe_uct = replace(uct, budget=Budget(frames=frames), reuse_tree=False)
        first, second = (partial(uct_expert, game, env_config, probe_uct, args.seed + k) for k in (1, 2))
        bar = tqdm(total=len(states), desc=f"{frames} frames", disable=None)
        c = label_consistency(states, first, second, env.action_set, workers=args.workers,
                              on_result=lambda i, r: bar.update(1))
        bar.close()
        row = {"frames_per_decision": frames, "states": c.actions.states, "informative": c.actions.informative,
               "self_agreement": c.actions.value, "chance": c.actions.chance,
               "joystick_agreement": c.joystick.value, "joystick_chance": c.joystick.chance,
               "q": c.q, "first": c.first, "second": c.second}
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
    out = args.out or args.run
    if args.weak_labels != "keep":
        dataset = relabel_weak(dataset, out / f"labels-weak-{args.weak_labels}-{args.weak_below:g}", args.run,
                               args.weak_labels, args.weak_below)
    if args.max_round is not None:
        dataset = dataset.up_to_round(args.max_round)
    if args.min_round:
        dataset = dataset.from_round(args.min_round)
    config = PolicyConfig(head=args.head, target=args.target, q_weights=args.q_weights,
                          network=NetworkConfig(arch=args.network), value_head=args.value_head,
                          label_weights=args.label_weights)
    train = replace(_train_config(data), epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                    max_steps=None, seed=args.seed)   # all --epochs, whatever the run's per-round cap
    policy = DistilledPolicy(config, spec.num_actions, seed=args.seed, device="cpu")
    fit = train_policy(policy, dataset, train, progress=True)
    save_checkpoint(out / f"refit-{_refit_name(args)}.pt", policy, spec, round=0)
    protocol = _protocol(args, collect)
    score = evaluate_policy(policy, spec, protocol, args.seed)
    random = evaluate_random(spec, protocol, args.seed)
    result = {"game": collect.game, "policy": config, "train": train, "labels": fit.train_rows + fit.val_rows,
              "train_loss": fit.epoch_losses, "val_loss": fit.val_losses, "val_agreement": fit.val_agreement,
              "policy_mean": score.mean, "policy_std": score.std, "policy_scores": score.scores,
              "random_mean": random.mean, "protocol": protocol, "seed": args.seed}
    experts = (cached_expert_scores(args.run, _expert_key(args.run, collect, data, protocol, args.seed))
               if (args.run / "expert_scores.json").is_file() else [])   # no cache, no fidelity
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
    from imitation.metrics import joystick_match
    from mcts.targets import completed_q_policy

    dataset = LabelDataset.open(args.run / "labels")
    by_round: dict[int, list] = {}
    for r, e in dataset.keys():
        episode = dataset.read_episode(r, e)
        if episode is not None:
            by_round.setdefault(r, []).append(episode)
    rows = []
    for r, episodes in sorted(by_round.items()):
        q = np.concatenate([ep.q for ep in episodes]).astype(np.float64)
        visits = np.concatenate([ep.visits for ep in episodes])
        prior = np.concatenate([ep.prior for ep in episodes]).astype(np.float64)
        action = np.concatenate([ep.action for ep in episodes])
        executed = np.concatenate([ep.executed for ep in episodes])
        spread = np.nanmax(q, axis=-1) - np.nanmin(q, axis=-1)
        tied = spread == 0
        # Joystick directions (the fire button ignored) of the executed and the planner's
        # actions; chance is the agreement of independent draws from the two mixes.
        stick_agreement, stick_chance = joystick_match(executed, action, dataset.spec.action_set)
        row = {"round": r, "episodes": len(episodes), "labels": len(q),
               "labels_per_episode": len(q) / len(episodes),
               "scores": [float(ep.score) for ep in episodes],
               "executed_not_planner": float((executed != action).mean()),
               "joystick_agreement": stick_agreement,
               "joystick_chance": stick_chance,
               "all_tied": float(tied.mean()),
               "q_spread_untied": float(spread[~tied].mean()) if (~tied).any() else float("nan"),
               "visits_per_action": float(visits.mean()),
               # How often the most visited action (exit's target) is the one the search
               # chose (the highest mean return): a PUCT search's visits follow its prior.
               "most_visited_is_action": float((visits.argmax(axis=-1) == action).mean()),
               # The same for --target completed-q's improved policy (the prior, where
               # PUCT recorded one, improved by the searched Q; mcts.targets).
               "completed_q_top_is_action": float((completed_q_policy(q, visits, prior).argmax(axis=-1)
                                                   == action).mean()),
               "has_prior": float(np.isfinite(prior).all(axis=-1).mean())}
        rows.append(row)
        print(f"round {r}: {row['episodes']} episodes, {row['labels']} labels "
              f"({row['labels_per_episode']:.0f} per episode), games {np.mean(row['scores']):+.1f}, "
              f"executed != planner {row['executed_not_planner']:.2f} (joystick agreement "
              f"{row['joystick_agreement']:.2f}, chance {row['joystick_chance']:.2f}), "
              f"all Q tied {row['all_tied']:.3f}, "
              f"Q spread where not {row['q_spread_untied']:.3f}, visits per action {row['visits_per_action']:.1f}, "
              f"most visited = chosen {row['most_visited_is_action']:.2f}, "
              f"completed-Q top = chosen {row['completed_q_top_is_action']:.2f} "
              f"(prior at {row['has_prior']:.2f} of labels)")
    result = {"run": str(args.run), "rounds": rows}
    if args.checkpoint is not None:
        result["policy_by_weight"] = _policy_by_weight(dataset, args.checkpoint)
    return result


WEIGHT_BINS = ((0.0, 0.01), (0.01, 0.5), (0.5, 0.99), (0.99, 1.0))
"""Label-weight bins of ``label-stats --checkpoint``: ties, weak, strong and full preferences."""


def _policy_by_weight(dataset, checkpoint: Path) -> list[dict]:
    """How often ``checkpoint``'s greedy action pushes the joystick as the label does, on
    the validation split, by the label's weight (the significance of the search's
    preference, :func:`mcts.targets.preference_weight`): does the student learn the
    labels the search was sure of?"""
    import torch

    from imitation.checkpoint import load_checkpoint
    from imitation.metrics import JOYSTICK, joystick_match

    torch.set_num_threads(1)
    policy = load_checkpoint(checkpoint, expect=dataset.spec, device="cpu").policy
    weight, label, greedy = [], [], []
    for batch in dataset.iter_batches(500, split="val", shuffle=False):
        weight.append(batch.weight)
        label.append(batch.action)
        greedy.append(np.asarray(policy.greedy(batch.obs)))
    weight, label, greedy = (np.concatenate(x) for x in (weight, label, greedy))
    A = dataset.spec.num_actions
    for name, actions in (("labels", label), ("the policy's greedy actions", greedy)):
        share = np.bincount(actions, minlength=A) / len(actions)
        print(f"{name} on {len(actions)} validation states, by action index: "
              + ", ".join(f"{a}: {share[a]:.3f}" for a in range(A)))
    rows = []
    for lo, hi in WEIGHT_BINS:
        inside = (weight >= lo) & ((weight < hi) if hi < 1.0 else (weight <= hi))
        if not inside.any():
            continue
        agree, chance = joystick_match(greedy[inside], label[inside], dataset.spec.action_set)
        rows.append({"weight_from": lo, "weight_to": hi, "labels": int(inside.sum()),
                     "joystick_agreement": agree, "joystick_chance": chance})
        print(f"label weight [{lo:g}, {hi:g}{']' if hi == 1.0 else ')'}: {int(inside.sum())} validation labels, "
              f"the policy's joystick agreement {agree:.3f} (chance {chance:.3f})")
    return rows


# -- tracker ------------------------------------------------------------------------------

def tracker(args) -> dict:
    import tempfile
    from functools import partial

    import torch

    from envs.atari import AtariConfig
    from imitation.collect import label_spec
    from imitation.evaluate import EvalProtocol, evaluate_policy, evaluate_random
    from imitation.metrics import expert_scores
    from imitation.policy import DistilledPolicy, PolicyConfig
    from imitation.tracker import RamTracker, tracker_dataset
    from imitation.train_policy import TrainConfig, train_policy

    torch.set_num_threads(1)
    spec = label_spec(args.game, AtariConfig())
    protocol = EvalProtocol(episodes=args.episodes, max_episode_frames=args.max_episode_frames)
    teacher = expert_scores(spec, protocol, partial(RamTracker, spec), args.seed, range(protocol.episodes))
    result = {"game": args.game, "labels": args.labels, "noise": args.noise, "protocol": protocol,
              "random_mean": evaluate_random(spec, protocol, args.seed).mean,
              "tracker_mean": float(np.mean(teacher)), "tracker_scores": teacher}
    print(f"the tracker itself under the protocol: {result['tracker_mean']:.2f}")
    result["fits"] = []
    for label_noise in args.label_noise:
        with tempfile.TemporaryDirectory(prefix="tracker-") as tmp:
            dataset, result["tracker_scores_while_labelling"] = tracker_dataset(
                spec, Path(tmp), args.labels, args.noise, args.seed, label_noise)
            for name in args.fits:
                policy = DistilledPolicy(PolicyConfig(), spec.num_actions, seed=args.seed, device="cpu")
                if name == "uncentred":
                    policy.net.set_input_mean(np.zeros(spec.obs_shape))
                fit = train_policy(policy, dataset, TrainConfig(epochs=args.epochs, seed=args.seed))
                score = evaluate_policy(policy, spec, protocol, args.seed)
                result["fits"].append({"fit": name, "label_noise": label_noise, "train_loss": fit.epoch_losses,
                                       "val_agreement": fit.val_agreement, "policy_mean": score.mean,
                                       "policy_std": score.std, "policy_scores": score.scores})
                print(f"tracker labels, {name}, label noise {label_noise:g}: loss {fit.epoch_losses[0]:.3f} -> "
                      f"{fit.epoch_losses[-1]:.3f}, val agreement {fit.val_agreement:.3f}, policy "
                      f"{score.mean:.2f} ± {score.std:.2f} (random {result['random_mean']:.2f})", flush=True)
    return result


def relabel_weak(dataset, path: Path, run: Path, rule: str, below: float):
    """A copy of ``dataset`` at ``path`` whose weak labels (weight < ``below``) follow
    ``rule``: ``noop`` (action index 0, the no-op of every minimal action set) or ``guide``
    (the greedy action of ``run``'s round r - 1 checkpoint; round 0 unchanged). A relabelled
    row's Q [A] and visits [A] become one-hot on its new action; every weight becomes 1.
    Every guide is loaded before ``path`` is touched, so a refused relabelling writes nothing."""
    from imitation.checkpoint import load_checkpoint
    from imitation.dataset import LabelDataset

    if dataset.spec.action_set[0] != 0:
        raise DistillError(f"--weak-labels: action 0 of {dataset.spec.action_set} is not the no-op")
    keys = dataset.keys()
    guides = ({r - 1: load_checkpoint(run / "checkpoints" / f"round{r - 1:04d}.pt", expect=dataset.spec,
                                      device="cpu").policy
               for r in sorted({r for r, _ in keys if r >= 1})} if rule == "guide" else {})
    if path.exists():   # a derived copy of an earlier refit: rebuilt from the run's labels
        shutil.rmtree(path)
    out = LabelDataset.create(path, dataset.spec)
    changed = total = 0
    for r, e in keys:
        ep = dataset.read_episode(r, e)
        if ep is None:
            continue
        weak = ep.weight < below
        if rule == "noop":
            proposal = np.zeros_like(ep.action)
        elif r == 0:
            proposal, weak = ep.action, np.zeros_like(weak)
        else:
            proposal = np.concatenate([np.asarray(guides[r - 1].greedy(ep.obs[i:i + 500]))
                                       for i in range(0, len(ep.obs), 500)])
        new = np.where(weak, proposal, ep.action).astype(ep.action.dtype)
        changed += int((new != ep.action).sum())
        total += len(new)
        one_hot = np.eye(ep.q.shape[1], dtype=bool)[new]
        ep.q = np.where(weak[:, None], one_hot.astype(ep.q.dtype), ep.q)
        ep.visits = np.where(weak[:, None], one_hot.astype(ep.visits.dtype), ep.visits)
        ep.action = new
        ep.weight = np.ones_like(ep.weight)
        out.write_episode(ep)
    print(f"--weak-labels {rule}: {changed} of {total} labels changed ({changed / max(total, 1):.3f}), "
          f"written to {path}")
    return LabelDataset.open(path, expect=dataset.spec)


def _train_config(data: dict):
    from imitation.train_policy import TrainConfig

    return TrainConfig(**data["train"])


def _refit_name(args) -> str:
    fit = f"{args.network}-b{args.batch_size}-lr{args.lr:g}-e{args.epochs}"
    fit += ("-value" if args.value_head else "") + ("-weighted" if args.label_weights == "search" else "")
    fit += f"-from{args.min_round}" if args.min_round else ""
    fit += f"-r{args.max_round}" if args.max_round is not None else ""
    fit += f"-weak{args.weak_labels}{args.weak_below:g}" if args.weak_labels != "keep" else ""
    if args.head == "regression":
        return f"regression-{args.q_weights}-{fit}"
    return f"classification-{args.target}-{fit}"


def _algo_name(data: dict) -> str:
    """The algorithm of a run's config (``algorithm.name``; ``algo`` in older runs)."""
    return data["algorithm"]["name"] if "algorithm" in data else data["algo"]


# -- teacher ------------------------------------------------------------------------------

def teacher(args) -> dict:
    from contextlib import nullcontext
    from dataclasses import replace

    import torch

    from envs.atari import AtariEnv
    from imitation.metrics import joystick_match
    from mcts.episode import Episode, expert_acts
    from mcts.play import uct_expert

    from imitation.checkpoint import load_checkpoint

    torch.set_num_threads(1)
    collect, data = run_config(args.run)
    guidance = run_guidance(data)
    if guidance is None:
        raise DistillError(f"{args.run} is not an exit run: its expert is not guided by a policy")
    guidance = replace(guidance, **(args.guidance or {}))
    ckpt = load(args.run)
    if args.checkpoint is not None:   # refused when made for another game or preprocessing
        ckpt = load_checkpoint(args.checkpoint, expect=ckpt.spec, device="cpu")
    if guidance.needs_value and not ckpt.policy.has_value:
        raise DistillError(f"{args.checkpoint or args.run} has no value head for value_mix {guidance.value_mix}")
    action_set = ckpt.spec.action_set

    def greedy(decision, obs, rng) -> int:
        return int(ckpt.policy.greedy(obs)[0])

    def play(frames: int | None) -> dict:
        """The first --steps steps of one game: the guided planner at ``frames`` (None: the
        policy alone, epsilon-greedy at 0.05)."""
        env = AtariEnv(collect.game, collect.env, seed=args.seed)
        obs, _ = env.reset(seed=args.seed)
        t0 = time.perf_counter()
        with (nullcontext() if frames is None else
              uct_expert(collect.game, collect.env, collect.uct, args.seed, replace(guidance, frames=frames),
                         ckpt.policy)) as planner:
            actor = expert_acts if frames is not None else (lambda d, o, rng: ckpt.policy.act(o, 0.05, rng))
            episode = Episode(env, obs, actor, np.random.default_rng(args.seed), expert=planner)
            for turn in episode:
                if turn.t + 1 >= args.steps:
                    break
        return {"frames": frames, "steps": episode.steps, "score": episode.score,
                "seconds_per_decision": (time.perf_counter() - t0) / episode.steps}

    def gap(driver: str) -> float:
        """Joystick agreement of the policy's greedy action with the planner's, on the
        states where ``driver`` ("planner" or "policy") plays."""
        env = AtariEnv(collect.game, collect.env, seed=args.seed + 1)
        obs, _ = env.reset(seed=args.seed + 1)
        planned, chosen = [], []
        with uct_expert(collect.game, collect.env, collect.uct, args.seed + 1, guidance, ckpt.policy) as planner:
            for turn in Episode(env, obs, expert_acts if driver == "planner" else greedy, expert=planner):
                planned.append(int(turn.decision.action))
                chosen.append(greedy(None, turn.obs, None))
                if turn.t + 1 >= args.steps:
                    break
        return joystick_match(np.array(planned), np.array(chosen), action_set)[0]

    plays = [play(f) for f in args.guided_frames] + [play(None)]
    for row in plays:
        who = "policy alone" if row["frames"] is None else f"guided planner, {row['frames']} frames"
        print(f"{who:>32}: {row['score']:+.0f} over {row['steps']} steps, {row['seconds_per_decision']:.3f} s/decision")
    agreement = None
    if args.agreement:
        agreement = {driver: gap(driver) for driver in ("planner", "policy")}
        budget = f"{guidance.frames} frames" if guidance.frames else f"{collect.uct.budget}"
        print(f"joystick agreement of the policy with its teacher ({budget} per decision): "
              f"{agreement['planner']:.3f} where the planner plays, {agreement['policy']:.3f} where the policy plays")
    return {"game": collect.game, "guidance": guidance, "plays": plays, "agreement": agreement,
            "steps": args.steps, "seed": args.seed}


def curves(args) -> dict:
    from imitation.round_plot import plot_runs

    if args.names is not None and len(args.names) != len(args.runs):
        raise DistillError(f"--names gives {len(args.names)} names for {len(args.runs)} --runs")
    names = args.names or [run.name for run in args.runs]
    rounds = {}
    for name, run in zip(names, args.runs):
        try:
            rounds[name] = json.loads((run / "result.json").read_text())["rounds"]
        except (OSError, ValueError, KeyError) as exc:
            raise DistillError(f"{run}/result.json: unreadable ({exc})") from None
    plot_runs(rounds, args.png, args.title)
    print(f"wrote {args.png}")
    return {"runs": {name: str(run) for name, run in zip(names, args.runs)}, "png": str(args.png)}


def _labels_total(run: Path) -> int:
    return json.loads((run / "result.json").read_text())["labels_total"]


def main() -> None:
    from distill.args import Parser, nonneg_int, positive_float, positive_int, probability
    from distill.expert_args import guidance_overrides
    from mcts.config import UCTConfig
    from mcts.targets import TARGETS

    p = Parser(prog="bench_distill", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    lat = sub.add_parser("latency")
    lat.add_argument("--decisions", type=positive_int, default=100, help="planner decisions timed")
    lat.add_argument("--repeats", type=positive_int, default=20, help="policy forward passes timed per state")
    lat.add_argument("--variants", action="store_true",
                     help="also time the first policy's network through torch: eager, channels-last, bfloat16 "
                          "and frozen TorchScript")
    lat.add_argument("--policy", type=Path, nargs="+", default=None, metavar="PT",
                     help="the policies timed, interleaved on the same states (default: the run's policy.pt)")
    lat.add_argument("--guide", type=Path, default=None,
                     help="an exit run's planner guided by this checkpoint instead of the run's policy.pt")
    exp = sub.add_parser("expert")
    exp.add_argument("--episodes", type=positive_int, default=3, help="expert episodes")
    exp.add_argument("--guide", type=Path, default=None,
                     help="an exit run's planner guided by this checkpoint instead of the run's policy.pt")
    agr = sub.add_parser("self-agreement")
    agr.add_argument("--steps", type=positive_int, default=500, help="decisions compared (one episode at most)")
    agr.add_argument("--frames-per-decision", type=positive_int, default=None,
                     help="the run's expert at this frame budget instead of its own")
    fid = sub.add_parser("fidelity")
    fid.add_argument("--episodes", type=positive_int, default=10, help="policy and random episodes")
    fid.add_argument("--expert-episodes", type=positive_int, default=3)
    bud = sub.add_parser("label-budget")
    bud.add_argument("--game", default="pong")
    bud.add_argument("--depth", type=positive_int, default=40)
    bud.add_argument("--exploration", type=float, default=UCTConfig.exploration)
    bud.add_argument("--final-action", choices=("mean", "visits"), default=UCTConfig.final_action)
    bud.add_argument("--life-loss-penalty", type=float, default=0.0)
    bud.add_argument("--frames", type=positive_int, nargs="+", default=[2000, 8000, 32000, 128000])
    bud.add_argument("--states", type=positive_int, default=30, help="states probed")
    bud.add_argument("--stride", type=positive_int, default=10, help="steps between probed states")
    bud.add_argument("--workers", type=positive_int, default=2)
    bud.add_argument("--seed", type=nonneg_int, default=0)
    bud.add_argument("--out", type=Path, default=Path("runs/label-budget"))
    ref = sub.add_parser("refit")
    ref.add_argument("--head", choices=("classification", "regression"), default="classification")
    ref.add_argument("--target", choices=TARGETS, default="action")
    ref.add_argument("--q-weights", choices=("uniform", "visits"), default="uniform")
    ref.add_argument("--network", choices=("dqn2013", "nature"), default="dqn2013")
    ref.add_argument("--value-head", action="store_true", help="a value output fitted to the search's values "
                                                                  "(exit's network)")
    ref.add_argument("--label-weights", choices=("uniform", "search"), default="uniform",
                     help="each row's policy loss weighted by its label weight (exit's: search)")
    ref.add_argument("--max-round", type=nonneg_int, default=None,
                     help="fit only the labels of rounds 0 to this one (default: all)")
    ref.add_argument("--min-round", type=nonneg_int, default=0,
                     help="fit only the labels of this round on (default: 0)")
    ref.add_argument("--weak-labels", choices=("keep", "noop", "guide"), default="keep",
                     help="replace the labels whose weight is below --weak-below by the no-op or by the "
                          "greedy action of the round's guiding network (default: keep them)")
    ref.add_argument("--weak-below", type=probability, default=0.5)
    ref.add_argument("--epochs", type=positive_int, default=10)
    ref.add_argument("--lr", type=positive_float, default=1e-3)
    ref.add_argument("--batch-size", type=positive_int, default=100)
    ref.add_argument("--episodes", type=positive_int, default=10, help="policy and random episodes")
    trk = sub.add_parser("tracker")
    trk.add_argument("--game", choices=("pong", "breakout"), default="pong")
    trk.add_argument("--labels", type=positive_int, default=20_000)
    trk.add_argument("--noise", type=probability, default=0.3, help="probability of a random action")
    trk.add_argument("--epochs", type=positive_int, default=10, help="train's default")
    trk.add_argument("--episodes", type=positive_int, default=3, help="evaluation episodes per policy")
    trk.add_argument("--max-episode-frames", type=positive_int, default=108_000)
    trk.add_argument("--label-noise", type=probability, nargs="+", default=[0.0],
                     help="shares of the recorded labels replaced by random actions, one fit each "
                          "(the same states and games for every value)")
    trk.add_argument("--fits", nargs="+", choices=("centred", "uncentred"), default=["centred", "uncentred"],
                     help="fit with the input centred on the training mean, without it, or both")
    trk.add_argument("--seed", type=nonneg_int, default=0)
    trk.add_argument("--out", type=Path, default=Path("runs/tracker"))
    sta = sub.add_parser("label-stats")
    sta.add_argument("--checkpoint", type=Path, default=None,
                     help="also: this policy's joystick agreement with the validation labels, by label weight")
    tea = sub.add_parser("teacher")
    tea.add_argument("--guided-frames", type=positive_int, nargs="+", default=[200, 2000],
                     help="budgets the guided planner plays at")
    tea.add_argument("--steps", type=positive_int, default=500, help="steps of each game played")
    tea.add_argument("--checkpoint", type=Path, default=None,
                     help="the network that guides the planner and plays alone (default: the run's policy.pt)")
    tea.add_argument("--agreement", action=argparse.BooleanOptionalAction, default=True,
                     help="also count the policy's agreement with its teacher (two more games)")
    tea.add_argument("--guidance", type=guidance_overrides, default=None, metavar="FLAG=VALUE,...",
                     help="the run's guidance with these guidance flags changed, as train's --early-guidance "
                          "(e.g. rollout-policy=learner,value-mix=1); --guided-frames above sets the budgets")
    cur = sub.add_parser("curves", help="several runs' scores against wall hours and labels, one figure")
    cur.add_argument("--runs", type=Path, nargs="+", required=True, help="`distill train` output folders")
    cur.add_argument("--names", nargs="+", default=None, help="legend names (default: the folders' names)")
    cur.add_argument("--title", default="")
    cur.add_argument("--png", type=Path, required=True, help="the figure to write")
    for s in (exp, fid):
        s.add_argument("--workers", type=positive_int, default=1, help="expert episodes in parallel")
    for s in (exp, fid, ref):
        s.add_argument("--sticky", action="store_true")
        s.add_argument("--max-episode-frames", type=positive_int, default=None,
                       help="episode cap (default: the run's collection cap)")
    for s in (lat, exp, agr, fid, ref, sta, tea):
        s.add_argument("--run", type=Path, required=True, help="a `distill train` output folder")
        s.add_argument("--seed", type=nonneg_int, default=0)
        s.add_argument("--out", type=Path, default=None, help="folder for the JSON (default: --run)")
    args = p.parse_args()
    try:
        run_benchmark(args)
    except DistillError as exc:   # an unknown game, a bad budget, a damaged run folder
        from distill.flags import user_message

        print(f"bench_distill {args.what}: error: {user_message(exc)}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None


def run_benchmark(args) -> None:
    result = {"latency": latency, "expert": expert, "self-agreement": self_agreement,
              "fidelity": fidelity, "label-budget": label_budget,
              "refit": refit, "tracker": tracker, "label-stats": label_stats,
              "teacher": teacher, "curves": curves}[args.what](args)
    if args.what == "curves":
        return
    out = args.out or args.run
    out.mkdir(parents=True, exist_ok=True)
    name = f"refit-{_refit_name(args)}" if args.what == "refit" else args.what
    write_json(out / f"{name}.json", to_jsonable(result))


if __name__ == "__main__":
    main()
