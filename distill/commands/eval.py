"""``distill eval``: score a distilled policy under the evaluation protocol, with its
decision latency and a uniform-random baseline (see :mod:`imitation.evaluate`)."""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from distill.args import add_out, add_seed, device_name, nonneg_int, positive_int, probability, require_file
from common.errors import DistillError

NAME = "eval"
HELP = "evaluate a distilled policy (score, decision latency, random baseline)"


@dataclass(frozen=True)
class EvalConfig:
    checkpoint: str
    game: str
    protocol: "EvalProtocol"   # noqa: F821 - imitation.evaluate, imported lazily
    device: str
    video: bool
    seed: int


def add_protocol_arguments(parser: argparse.ArgumentParser, episodes: int | None) -> None:
    """The checkpoint and the evaluation protocol's flags (``eval`` and ``play``)."""
    parser.add_argument("--checkpoint", required=True, metavar="P", help="a policy.pt written by train")
    parser.add_argument("--game", default=None,
                        help="refuse the checkpoint unless it plays this game (default: its own)")
    if episodes is not None:
        parser.add_argument("--episodes", type=positive_int, default=episodes,
                            help=f"evaluation episodes (default {episodes})")
    parser.add_argument("--epsilon", type=probability, default=0.05,
                        help="probability of a random action each step (default 0.05)")
    parser.add_argument("--noop-max", type=nonneg_int, default=30,
                        help="up to this many no-ops after reset (default 30)")
    parser.add_argument("--sticky", action="store_true", help="sticky actions, p = 0.25 (Machado et al. 2018)")
    parser.add_argument("--max-episode-frames", type=positive_int, default=108_000,
                        help="episode cap in emulator frames (default 108000 = 30 minutes)")
    parser.add_argument("--device", type=device_name, default="auto",
                        help="auto (GPU when present), cpu, cuda or cuda:N")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_protocol_arguments(parser, episodes=10)
    parser.add_argument("--video", action="store_true", help="write the first episode as an MP4")
    add_seed(parser)
    add_out(parser)


def load_policy(args: argparse.Namespace, protocol):
    """The checkpoint's policy, refused when it is for another game than ``--game`` or
    for an action set or preprocessing this environment does not have."""
    from envs.atari import canonical_game
    from imitation.checkpoint import load_checkpoint
    from imitation.evaluate import check_environment

    from distill.commands.train import check_device

    check_device(args.device)
    ckpt = load_checkpoint(args.checkpoint, device=args.device)
    if args.game is not None and canonical_game(args.game) != ckpt.spec.game:
        raise DistillError(f"checkpoint {args.checkpoint} is for game {ckpt.spec.game}, "
                           f"not {canonical_game(args.game)}")
    check_environment(ckpt.spec, protocol.env_config(ckpt.spec))
    return ckpt


def protocol_of(args: argparse.Namespace, episodes: int):
    from imitation.evaluate import EvalProtocol

    return EvalProtocol(episodes=episodes, epsilon=args.epsilon, noop_max=args.noop_max,
                        sticky=args.sticky, max_episode_frames=args.max_episode_frames)


def run(args: argparse.Namespace) -> int:
    require_file(args.checkpoint, "--checkpoint")  # before torch is imported
    from tqdm import tqdm

    from common import rundir
    from imitation.evaluate import evaluate_policy, evaluate_random

    protocol = protocol_of(args, args.episodes)
    ckpt = load_policy(args, protocol)
    spec = ckpt.spec
    out = rundir.prepare_out(args.out, "eval", spec.game)
    rundir.write_config(out, NAME, EvalConfig(str(args.checkpoint), spec.game, protocol, args.device,
                                              args.video, args.seed), args.seed)
    running = [0.0] * protocol.episodes
    bar = tqdm(desc=f"eval {spec.game}", unit="step", disable=None)

    def on_step(episode: int, reward: float) -> None:
        running[episode] += reward
        bar.update(1)
        if reward:
            bar.set_postfix(score=" ".join(f"{s:g}" for s in running[:episode + 1]))

    t0 = time.perf_counter()
    video = out / "episode0.mp4" if args.video else None
    policy = evaluate_policy(ckpt.policy, spec, protocol, args.seed, video=video, on_step=on_step)
    bar.set_description(f"random {spec.game}")
    random = evaluate_random(spec, protocol, args.seed, on_step=lambda e, r: bar.update(1))
    bar.close()
    result = {
        "game": spec.game,
        "checkpoint": str(args.checkpoint),
        "checkpoint_round": ckpt.round,
        "mean_score": policy.mean,
        "std_score": policy.std,
        "scores": policy.scores,
        "steps": policy.steps,
        "truncated": policy.truncated,
        "decision_latency_ms_p50": policy.latency_percentile(50),
        "decision_latency_ms_p99": policy.latency_percentile(99),
        "device": str(ckpt.policy.device),
        "torch_threads": 1,
        "random_mean": random.mean,
        "random_std": random.std,
        "random_scores": random.scores,
        "protocol": protocol,
        "video": video,
        "wall_seconds": time.perf_counter() - t0,
    }
    rundir.write_result(out, result)
    print(f"{spec.game}: policy {result['mean_score']:.2f} ± {result['std_score']:.2f} over "
          f"{protocol.episodes} episodes (random {result['random_mean']:.2f}); decision latency "
          f"p50 {result['decision_latency_ms_p50']:.3f} ms, p99 {result['decision_latency_ms_p99']:.3f} ms "
          f"on {result['device']}  ({out}/result.json)")
    return 0
