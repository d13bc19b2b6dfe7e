"""``distill play``: record a distilled policy playing one episode as an MP4."""
from __future__ import annotations

import argparse
from dataclasses import dataclass

from distill.args import add_out, add_seed

NAME = "play"
HELP = "record a distilled policy playing one episode (MP4)"


@dataclass(frozen=True)
class PlayConfig:
    checkpoint: str
    game: str
    protocol: "EvalProtocol"   # noqa: F821 - imitation.evaluate, imported lazily
    device: str
    seed: int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from distill.commands.eval import add_protocol_arguments

    add_protocol_arguments(parser, episodes=None)
    add_seed(parser)
    add_out(parser)


def run(args: argparse.Namespace) -> int:
    from distill.args import require_file

    require_file(args.checkpoint, "--checkpoint")  # before torch is imported
    from tqdm import tqdm

    from common import rundir
    from distill.commands.eval import load_policy, protocol_of
    from imitation.evaluate import evaluate_policy

    protocol = protocol_of(args, episodes=1)
    ckpt = load_policy(args, protocol)
    out = rundir.prepare_out(args.out, "play", ckpt.spec.game)
    rundir.write_config(out, NAME, PlayConfig(str(args.checkpoint), ckpt.spec.game, protocol,
                                              args.device, args.seed), args.seed)
    video = out / "episode.mp4"
    running = [0.0]
    bar = tqdm(desc=f"play {ckpt.spec.game}", unit="step", disable=None)

    def on_step(episode: int, reward: float) -> None:
        running[0] += reward
        bar.update(1)
        if reward:
            bar.set_postfix(score=f"{running[0]:g}")

    result = evaluate_policy(ckpt.policy, ckpt.spec, protocol, args.seed, video=video, on_step=on_step)
    bar.close()
    rundir.write_result(out, {"game": ckpt.spec.game, "checkpoint": str(args.checkpoint),
                              "score": result.scores[0], "steps": result.steps[0],
                              "truncated": result.truncated[0], "video": video})
    print(f"{ckpt.spec.game}: score {result.scores[0]:g} in {result.steps[0]} steps; video {video}")
    return 0
