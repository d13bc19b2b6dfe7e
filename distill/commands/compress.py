"""``distill compress``: distil a trained policy into a smaller, faster network for
real-time play (policy distillation, :mod:`imitation.compress`)."""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

from common.errors import DistillError
from distill.args import (NETWORKS, add_out, add_seed, device_name, nonneg_int, positive_float, positive_int,
                          probability, require_file)

NAME = "compress"
HELP = "distil a trained policy into a smaller, faster network (policy distillation)"
LATENCY_STATES = 300   # states of the last round on which teacher and student are timed


@dataclass(frozen=True)
class CompressCommandConfig:
    teacher: str
    teacher_sha256: str
    game: str
    compress: "CompressConfig"   # noqa: F821 - imitation.compress, imported lazily
    max_episode_frames: int
    device: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, metavar="P",
                        help="the teacher: a policy written by train (e.g. checkpoints/pong.pt)")
    parser.add_argument("--network", choices=NETWORKS, default="compact",
                        help="the student's network (default compact)")
    parser.add_argument("--frames", type=positive_int, default=2,
                        help="the newest frames of the 4-frame stack the student reads (default 2)")
    parser.add_argument("--rounds", type=positive_int, default=16,
                        help="rounds; round 0 records the teacher's games, later rounds the student's (default 16)")
    parser.add_argument("--states-per-round", type=positive_int, default=20_000,
                        help="states recorded and labelled by the teacher per round (default 20000)")
    parser.add_argument("--epochs", type=positive_int, default=3,
                        help="passes over all states so far after each round (default 3)")
    parser.add_argument("--temperature", type=positive_float, default=1.0,
                        help="T of the target softmax(teacher logits / T) (default 1)")
    parser.add_argument("--epsilon", type=probability, default=0.1,
                        help="random-action probability in the collecting games (default 0.1)")
    parser.add_argument("--eval-episodes", type=nonneg_int, default=5,
                        help="protocol episodes scored after each round (default 5; 0: none)")
    parser.add_argument("--max-episode-frames", type=positive_int, default=108_000,
                        help="episode cap in emulator frames, in collection and evaluation (default 108000)")
    parser.add_argument("--device", type=device_name, default="cpu",
                        help="where the student is fitted: cpu (default), cuda or cuda:N")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out after its last complete round (--rounds may grow)")
    add_seed(parser)
    add_out(parser)


def _check_resume(out, config: CompressCommandConfig, seed: int) -> None:
    """Refuse to continue a run made with other settings (``--rounds`` aside)."""
    import json

    from common.rundir import to_jsonable

    saved = json.loads((out / "config.json").read_text())
    before, now = saved["config"], to_jsonable(config)
    changed = [k for k in now if k != "compress" and before.get(k) != now[k]]
    changed += [f"compress.{k}" for k in now["compress"]
                if k != "rounds" and before["compress"].get(k) != now["compress"][k]]
    if saved.get("seed") != seed:
        changed.append("seed")
    if changed:
        raise DistillError(f"--resume: {out} was made with other settings ({', '.join(changed)}); "
                           f"resume with its own or choose another --out")


def run(args: argparse.Namespace) -> int:
    require_file(args.checkpoint, "--checkpoint")   # before torch is imported
    import hashlib

    import numpy as np
    from torch.utils.tensorboard import SummaryWriter
    from tqdm import tqdm

    from common import rundir
    from distill.commands.train import check_device
    from imitation.checkpoint import load_checkpoint
    from imitation.compress import CompressConfig, completed_rounds, compress, policy_path, round_path
    from imitation.evaluate import batch1_latency_ms
    from imitation.networks import NetworkConfig
    from imitation.round_plot import plot_rounds

    check_device(args.device)
    teacher = load_checkpoint(args.checkpoint, device="cpu")
    game = teacher.spec.game
    config = CompressCommandConfig(
        str(args.checkpoint), hashlib.sha256(Path(args.checkpoint).read_bytes()).hexdigest(), game,
        CompressConfig(network=NetworkConfig(arch=args.network, frames=args.frames), rounds=args.rounds,
                       states_per_round=args.states_per_round, epochs=args.epochs,
                       temperature=args.temperature, epsilon=args.epsilon, eval_episodes=args.eval_episodes),
        args.max_episode_frames, args.device)
    out = rundir.prepare_out(args.out, NAME, game, resume=args.resume)
    if args.resume:
        _check_resume(out, config, args.seed)
    rundir.write_config(out, NAME, config, args.seed)
    writer = SummaryWriter(str(out / "tb"))
    bar = tqdm(total=args.rounds, desc=f"compress {game}", unit="round", disable=None)
    bar.update(len(completed_rounds(out)))
    t0 = time.perf_counter()

    def on_round(entry: dict) -> None:
        step = entry["labels_total"]
        for name in ("new_state_agreement", "fit_agreement", "fit_loss", "eval_mean", "seconds"):
            writer.add_scalar(f"compress/{name}", entry[name], step)
        writer.add_scalar("compress/collection_score_per_1000_steps",
                          entry["collection"]["score_per_1000_steps"], step)
        bar.update(1)
        print(f"round {entry['round']}: {step} states, agreement on the new states "
              f"{entry['new_state_agreement']:.3f}, fit loss {entry['fit_loss']:.4f}, eval "
              f"{entry['eval_mean']:.2f} ± {entry['eval_std']:.2f}, {entry['seconds']:.0f} s", flush=True)

    rounds = compress(teacher, config.compress, out, seed=args.seed, device=args.device,
                      max_episode_frames=args.max_episode_frames, on_round=on_round)
    bar.close()
    writer.close()
    plot_rounds(rounds, out / "rounds.png", f"distill compress {game}: {args.network} student of {args.checkpoint}",
                agreement=("new_state_agreement", "agreement on new states (before their fit)"))
    student = load_checkpoint(policy_path(out), device="cpu").policy
    last_round = rounds[-1]["round"]
    with np.load(round_path(out, last_round)) as data:   # time both on the last round's states
        latency = batch1_latency_ms({"teacher": teacher.policy, "student": student}, data["states"][:LATENCY_STATES])
    last = rounds[-1]
    result = {"game": game, "teacher": str(args.checkpoint), "student": str(policy_path(out)),
              "network": config.compress.network, "rounds": rounds, "states": last["labels_total"],
              "eval_mean": last["eval_mean"], "eval_std": last["eval_std"],
              "decision_latency_ms_p50": latency, "speedup_over_teacher": latency["teacher"] / latency["student"],
              "wall_seconds_this_invocation": time.perf_counter() - t0}
    rundir.write_result(out, result)
    print(f"{game}: student {result['eval_mean']:.2f} ± {result['eval_std']:.2f} after {result['states']} states; "
          f"decision p50 {latency['student']:.3f} ms against the teacher's {latency['teacher']:.3f} ms "
          f"({result['speedup_over_teacher']:.1f}x)  ({out}/result.json)")
    return 0
