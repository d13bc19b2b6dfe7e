"""Play Atari episodes with the planner choosing every action (``distill plan``)."""
from __future__ import annotations

import functools
import resource
import time
from dataclasses import dataclass, field
from typing import Callable


from envs.atari import AtariConfig, AtariEnv, AtariPlanningModel, PlanningConfig
from envs.atari.determinism import require_exact_replay
from mcts.config import UCTConfig
from mcts.parallel import make_planner


@dataclass(frozen=True)
class PlanEpisode:
    """One planner-driven episode: the game, the real environment, the expert, the seed."""

    game: str
    env: AtariConfig
    uct: UCTConfig
    seed: int
    max_steps: int | None = None     # cut the episode after this many agent steps
    video: bool = False


@dataclass
class EpisodeResult:
    score: float                 # raw, unclipped return
    steps: int
    truncated: bool              # cut by max_steps or the frame cap
    emulator_frames: int         # frames stepped inside the search
    search_seconds: float        # wall time inside decide()
    decisions: int
    skipped: int                 # decisions where the skip rule applied
    lives_lost: int
    max_tree_nodes: int = 0          # most nodes held after a decision (per root worker)
    bytes_per_node: int = 0          # tree arrays + one emulator snapshot
    frames_rgb: list = field(default_factory=list)   # [T] of [210, 160, 3] uint8 when video


def planning_model_factory(game: str, env_config: AtariConfig, uct: UCTConfig,
                           seed: int) -> Callable[[], AtariPlanningModel]:
    """A picklable constructor of the planner's private emulator (for worker processes),
    matching the real environment's frame skip and action set, with the expert's
    life-loss penalty."""
    config = PlanningConfig(frame_skip=env_config.frame_skip, full_action_space=env_config.full_action_space,
                            life_loss_penalty=uct.life_loss_penalty)
    return functools.partial(AtariPlanningModel, game, config, seed)


def play_episode(spec: PlanEpisode, on_step: Callable[[float], None] | None = None) -> EpisodeResult:
    """Play one episode; ``on_step(reward)`` is called after every real step."""
    require_exact_replay(spec.game)
    env = AtariEnv(spec.game, spec.env, seed=spec.seed)
    env.reset(seed=spec.seed)
    result = EpisodeResult(0.0, 0, False, 0, 0.0, 0, 0, 0)
    factory = planning_model_factory(spec.game, spec.env, spec.uct, spec.seed)
    with make_planner(factory, spec.uct, spec.seed) as planner:
        while True:
            if spec.video:
                result.frames_rgb.append(env.render())
            t0 = time.perf_counter()
            decision = planner.decide(env.snapshot().ale_state, result.steps)
            result.search_seconds += time.perf_counter() - t0
            result.emulator_frames += decision.frames
            result.decisions += 1
            result.skipped += decision.skipped
            if hasattr(planner, "tree"):
                result.max_tree_nodes = max(result.max_tree_nodes, planner.tree.n)
                result.bytes_per_node = planner.bytes_per_node()
            lives = env.lives
            _, reward, terminated, truncated, info = env.step(decision.action)
            result.score += reward
            result.steps += 1
            result.lives_lost += info["lives"] < lives
            if on_step:
                on_step(reward)
            if terminated or truncated or (spec.max_steps is not None and result.steps >= spec.max_steps):
                result.truncated = not terminated
                return result


def peak_rss_mb() -> float:
    """Peak resident memory of this process and its finished children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0
