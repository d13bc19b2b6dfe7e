"""Play Atari episodes with the planner choosing every action (``distill plan``)."""
from __future__ import annotations

import functools
import resource
from dataclasses import dataclass, field
from typing import Callable


from envs.atari import AtariConfig, AtariEnv, AtariPlanningModel, PlanningConfig, ScreenPlanningModel
from envs.atari.determinism import require_exact_replay
from mcts.config import GuidanceConfig, UCTConfig
from mcts.guide import Guide
from mcts.episode import Episode, expert_acts
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
    return functools.partial(AtariPlanningModel, game, planning_config(env_config, uct), seed)


def planning_config(env_config: AtariConfig, uct: UCTConfig) -> PlanningConfig:
    """The search's emulator settings: the real environment's frame skip and action set,
    the expert's life-loss penalty."""
    return PlanningConfig(frame_skip=env_config.frame_skip, full_action_space=env_config.full_action_space,
                          actions=env_config.actions, life_loss_penalty=uct.life_loss_penalty)


def uct_expert(game: str, env_config: AtariConfig, uct: UCTConfig, seed: int,
               guidance: GuidanceConfig | None = None, guide: Guide | None = None):
    """The UCT expert for ``game`` played under ``env_config`` (its frame skip and action
    set), seeded by ``seed``: a planner (root-parallel when ``uct.root_workers > 1``) to use
    as a context manager. ``functools.partial(uct_expert, game, env_config, uct)`` is a
    picklable expert maker of the seed.

    With ``guidance``, the planner is :class:`mcts.guided.GuidedUCT` guided by ``guide``
    (a network), searching an emulator with screens preprocessed as ``env_config`` says."""
    if guidance is None:
        return make_planner(planning_model_factory(game, env_config, uct, seed), uct, seed)
    from mcts.guided import GuidedUCT

    model = ScreenPlanningModel(game, planning_config(env_config, uct), seed, screen_size=env_config.screen_size,
                                frame_stack=env_config.frame_stack, max_pool=env_config.max_pool)
    return _Closing(GuidedUCT(model, uct, guidance, guide, seed))


class _Closing:
    """An in-process expert as a context manager (nothing to close)."""

    def __init__(self, expert):
        self.expert = expert

    def __enter__(self):
        return self.expert

    def __exit__(self, *exc):
        return None


def play_episode(spec: PlanEpisode, on_step: Callable[[float], None] | None = None) -> EpisodeResult:
    """Play one episode; ``on_step(reward)`` is called after every real step."""
    require_exact_replay(spec.game)
    env = AtariEnv(spec.game, spec.env, seed=spec.seed)
    obs, _ = env.reset(seed=spec.seed)
    result = EpisodeResult(0.0, 0, False, 0, 0.0, 0, 0, 0)
    with uct_expert(spec.game, spec.env, spec.uct, spec.seed) as planner:
        episode = Episode(env, obs, expert_acts, expert=planner)
        if spec.video:
            result.frames_rgb.append(env.render())
        for turn in episode:
            result.search_seconds += turn.seconds
            result.emulator_frames += turn.decision.frames
            result.decisions += 1
            result.skipped += turn.decision.skipped
            footprint = planner.footprint()
            if footprint is not None:
                result.max_tree_nodes = max(result.max_tree_nodes, footprint.nodes)
                result.bytes_per_node = footprint.bytes_per_node
            if on_step:
                on_step(turn.reward)
            if turn.last or (spec.max_steps is not None and episode.steps >= spec.max_steps):
                break
            if spec.video:
                result.frames_rgb.append(env.render())
    result.score, result.steps, result.lives_lost = episode.score, episode.steps, episode.lives_lost
    result.truncated = not episode.terminated
    return result


def peak_rss_mb() -> float:
    """Peak resident memory of this process and its finished children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0
