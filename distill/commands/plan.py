"""``distill plan``: play Atari with the UCT planner choosing every action."""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from distill.args import add_actions, add_out, add_seed, positive_int
from distill.expert_args import add_expert_arguments, expert_config

if TYPE_CHECKING:  # imported in run(): a refused command never loads the emulator
    from envs.atari import AtariConfig
    from mcts.config import UCTConfig

NAME = "plan"
HELP = "play Atari with the UCT planner (the expert)"


@dataclass(frozen=True)
class PlanConfig:
    game: str
    episodes: int
    max_steps: int | None
    workers: int
    seed: int
    env: AtariConfig
    uct: UCTConfig
    video: bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--game", required=True, help="ALE game, e.g. pong")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--steps", type=positive_int, default=None, metavar="K",
                        help="play one episode, cut after K agent steps")
    length.add_argument("--episodes", type=positive_int, default=None, metavar="E",
                        help="play E whole episodes (default 1)")
    parser.add_argument("--max-episode-frames", type=positive_int, default=108_000,
                        help="episode cap in emulator frames (default 108000)")
    parser.add_argument("--workers", type=positive_int, default=1,
                        help="episodes played in parallel, one process each (default 1)")
    add_actions(parser)
    parser.add_argument("--video", action="store_true", help="write the first episode as an MP4")
    add_expert_arguments(parser)
    add_seed(parser)
    add_out(parser)


def run(args: argparse.Namespace) -> int:
    from common.errors import DistillError

    if args.steps is not None and args.workers > 1:
        raise DistillError(f"--workers {args.workers} plays episodes in parallel; --steps plays one episode")
    from tqdm import tqdm

    from common import rundir
    from common.video import write_mp4
    from common.workers import run_tasks
    from envs.atari import AtariConfig, canonical_game
    from envs.atari.determinism import require_exact_replay
    from mcts.play import PlanEpisode, peak_rss_mb

    game = canonical_game(args.game)
    require_exact_replay(game)
    uct = expert_config(args)
    episodes = args.episodes or 1
    config = PlanConfig(game, episodes, args.steps, args.workers, args.seed,
                        AtariConfig(max_episode_frames=args.max_episode_frames, actions=args.actions), uct,
                        args.video)
    out = rundir.prepare_out(args.out, "plan", game)
    rundir.write_config(out, NAME, config, args.seed)
    specs = [PlanEpisode(game, config.env, uct, seed=args.seed + e, max_steps=args.steps,
                         video=args.video and e == 0) for e in range(episodes)]

    running = [0.0] * episodes
    bar = tqdm(total=args.steps if args.steps else None, desc=f"plan {game}", unit="step", disable=None)

    def on_event(episode: int, reward: float) -> None:
        running[episode] += reward
        bar.update(1)
        bar.set_postfix(score=" ".join(f"{s:g}" for s in running))

    t0 = time.perf_counter()
    results = run_tasks(_play, [(i, s) for i, s in enumerate(specs)], args.workers, on_event=on_event)
    bar.close()
    wall = time.perf_counter() - t0

    frames = sum(r.emulator_frames for r in results)
    search = sum(r.search_seconds for r in results)
    decisions = sum(r.decisions for r in results)
    video_path = None
    if args.video:
        video_path = write_mp4(out / "episode0.mp4", results[0].frames_rgb)
    result = {
        "game": game,
        "score": [r.score for r in results],
        "truncated": [r.truncated for r in results],
        "steps": sum(r.steps for r in results),
        "emulator_frames": frames,
        "frames_per_second": frames / search if search else None,
        "seconds_per_decision": search / decisions if decisions else None,
        "decisions": decisions,
        "skipped_decisions": sum(r.skipped for r in results),
        "lives_lost": sum(r.lives_lost for r in results),
        "peak_rss_mb": peak_rss_mb(),
        "max_tree_nodes": max(r.max_tree_nodes for r in results),
        "bytes_per_node": results[0].bytes_per_node,
        "wall_seconds": wall,
        "budget": uct.budget,
        "reproducible": uct.budget.reproducible,
        "video": video_path,
    }
    rundir.write_result(out, result)
    print(f"{game}: score {' '.join(f'{s:g}' for s in result['score'])} over {result['steps']} steps; "
          f"{result['seconds_per_decision']:.3f} s/decision, {result['frames_per_second']:.0f} emulator frames/s "
          f"in search  ({out}/result.json)")
    return 0


def _play(task):
    from common.workers import report
    from mcts.play import play_episode

    episode, spec = task
    return play_episode(spec, on_step=lambda r: report(episode, r))
