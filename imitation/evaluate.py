"""Evaluating a distilled policy under one protocol, against a uniform-random policy.

The protocol (Mnih et al. 2015; Machado et al. 2018 for sticky actions): episodes capped
at 108,000 emulator frames (30 minutes), up to 30 no-op steps after reset, an
epsilon-greedy policy with epsilon = 0.05, and optionally sticky actions (p = 0.25).
``random_mean`` is a uniform-random policy under the same protocol and the same episode
seeds: fidelity = (policy - random) / (expert - random) needs both, and the expert's own
score under the same protocol (:func:`expert_score`: the expert plays, and a uniform
random action replaces its own with probability epsilon).

Decision latency is the wall time of the policy's batch-1 forward pass and argmax at
every step (the greedy action is computed even on exploration steps, so every step
gives one sample), on one thread: on the CPU that is :class:`imitation.fast_forward.
FastForward` (NumPy and Numba), on a GPU torch.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager, Iterator

import numpy as np

from common.errors import DistillError
from envs.atari import AtariConfig
from imitation.dataset import LabelSpec
from mcts.decision import Expert
from mcts.episode import Actor, Episode


@dataclass(frozen=True)
class EvalProtocol:
    """episodes:           episodes played (episode e is seeded by (seed, e)).
    epsilon:            probability of a uniform random action at each step.
    noop_max:           up to this many no-op steps after reset (0: none).
    sticky:             sticky actions with p = 0.25 (Machado et al. 2018).
    max_episode_frames: episode cap in emulator frames (108,000 = 30 minutes).
    """

    episodes: int = 10
    epsilon: float = 0.05
    noop_max: int = 30
    sticky: bool = False
    max_episode_frames: int = 108_000

    def env_config(self, spec: LabelSpec) -> AtariConfig:
        """The evaluation environment with the preprocessing the policy was trained on."""
        return AtariConfig.evaluation(noop_max=self.noop_max, sticky=self.sticky,
                                      max_episode_frames=self.max_episode_frames, **spec.preprocessing)


@dataclass
class EpisodeScore:
    score: float = 0.0
    steps: int = 0
    truncated: bool = False


@dataclass
class EvalResult:
    """scores [episodes] raw returns; latencies_ms [decisions] per batch-1 decision
    (empty for the random policy)."""

    scores: list[float]
    steps: list[int]
    truncated: list[bool]
    latencies_ms: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        return float(np.std(self.scores))

    def latency_percentile(self, q: float) -> float | None:
        return float(np.percentile(self.latencies_ms, q)) if len(self.latencies_ms) else None


def eval_seeds(seed: int, episode: int) -> tuple[int, int]:
    """(environment seed, acting seed) of evaluation episode ``episode``."""
    env, acting = np.random.SeedSequence([seed, episode]).generate_state(2)
    return int(env) % 2**31, int(acting)


def check_environment(spec: LabelSpec, env_config: AtariConfig) -> None:
    """Refuse to play a policy whose action set is not the environment's."""
    from imitation.collect import label_spec

    here = label_spec(spec.game, env_config)
    reason = here.mismatch(spec)
    if reason is not None:
        raise DistillError(f"the policy {reason} as this ale-py plays it")


Chooser = Callable[[np.ndarray, np.random.Generator], int]


def episode_frames(game: str, env_config: AtariConfig, env_seed: int, actor: Actor,
                   rng: np.random.Generator, result: EpisodeScore, render: bool = False,
                   on_step: Callable[[float], None] | None = None,
                   expert: Expert | None = None) -> Iterator[np.ndarray]:
    """Play one episode (:class:`mcts.episode.Episode`) with ``actor(decision, obs, rng)``,
    ``expert`` deciding at every state when given, filling ``result``; yields the RGB
    screen [210, 160, 3] before every step and after the last when ``render`` (so a video
    writer can consume the episode without holding it in memory)."""
    from envs.atari import AtariEnv

    env = AtariEnv(game, env_config, seed=env_seed)
    obs, _ = env.reset(seed=env_seed)
    episode = Episode(env, obs, actor, rng, expert=expert)
    if render:
        yield env.render()
    for turn in episode:
        result.score, result.steps = episode.score, episode.steps
        if on_step is not None:
            on_step(turn.reward)
        if render:
            yield env.render()
    result.truncated = not episode.terminated


def chooser_acts(choose: Chooser) -> Actor:
    """The actor of a policy that needs no expert: ``choose(obs, rng)``."""
    return lambda decision, obs, rng: choose(obs, rng)


@dataclass(frozen=True)
class EpsilonExpert:
    """The expert under the evaluation protocol: its own action, or with probability
    ``epsilon`` a uniform random one of ``num_actions``. Draws one uniform per step, then
    the random action's index when it explores."""

    epsilon: float
    num_actions: int

    def __call__(self, decision, obs, rng: np.random.Generator) -> int:
        explore = rng.random() < self.epsilon
        return int(rng.integers(self.num_actions)) if explore else int(decision.action)


def expert_score(spec: LabelSpec, protocol: EvalProtocol, make_expert: Callable[[int], ContextManager[Expert]],
                 seed: int, episode: int, on_step: Callable[[float], None] | None = None) -> EpisodeScore:
    """Evaluation episode ``episode`` played by an expert under ``protocol`` (epsilon
    included): the episode seeds of :func:`evaluate`, the expert built by
    ``make_expert(env_seed)`` (a context manager, e.g. ``partial(mcts.play.uct_expert,
    game, env_config, uct)``), acting by :class:`EpsilonExpert`."""
    env_seed, acting_seed = eval_seeds(seed, episode)
    result = EpisodeScore()
    actor = EpsilonExpert(protocol.epsilon, spec.num_actions)
    with make_expert(env_seed) as expert:
        for _ in episode_frames(spec.game, protocol.env_config(spec), env_seed, actor,
                                np.random.default_rng(acting_seed), result, on_step=on_step, expert=expert):
            pass
    return result


class PolicyChooser:
    """Epsilon-greedy acting with the greedy forward pass timed at every step."""

    def __init__(self, policy, epsilon: float, warmup: int = 10):
        self.policy, self.epsilon = policy, epsilon
        self.latencies: list[float] = []
        dummy = np.zeros((1, *_obs_shape(policy)), dtype=np.uint8)
        for _ in range(warmup):
            policy.greedy(dummy)

    def __call__(self, obs: np.ndarray, rng: np.random.Generator) -> int:
        explore = rng.random() < self.epsilon
        t0 = time.perf_counter()
        action = int(self.policy.greedy(obs)[0])
        self.latencies.append((time.perf_counter() - t0) * 1e3)
        return int(rng.integers(self.policy.num_actions)) if explore else action


def batch1_latency_ms(policies: dict, states: np.ndarray, repeats: int = 3) -> dict[str, float]:
    """The median batch-1 decision time (``greedy``, one thread) of each policy,
    name -> ms, timed interleaved on the same states uint8 [N, 4, 84, 84] (each state
    ``repeats`` times per policy), so that a ratio between them comes from one run."""
    from imitation.collect import one_thread

    times: dict[str, list[float]] = {name: [] for name in policies}
    with one_thread():
        for policy in policies.values():   # warm-up: the first call builds the CPU path
            policy.greedy(states[0])
        for obs in states:
            for name, policy in policies.items():
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    policy.greedy(obs)
                    times[name].append((time.perf_counter() - t0) * 1e3)
    return {name: float(np.median(t)) for name, t in times.items()}


def _obs_shape(policy) -> tuple[int, int, int]:
    net = policy.config.network
    return (net.frames, net.size, net.size)


def random_chooser(num_actions: int) -> Chooser:
    return lambda obs, rng: int(rng.integers(num_actions))


def evaluate(game: str, env_config: AtariConfig, choose: Chooser, episodes: int, seed: int, *,
             video: Path | None = None,
             on_step: Callable[[int, float], None] | None = None) -> EvalResult:
    """Play ``episodes`` episodes; with ``video``, episode 0 is written there as an MP4."""
    from common.video import write_mp4

    results = []
    for e in range(episodes):
        env_seed, acting_seed = eval_seeds(seed, e)
        result = EpisodeScore()
        step = (lambda r, e=e: on_step(e, r)) if on_step is not None else None
        frames = episode_frames(game, env_config, env_seed, chooser_acts(choose), np.random.default_rng(acting_seed),
                                result, render=video is not None and e == 0, on_step=step)
        if video is not None and e == 0:
            write_mp4(video, frames)
        else:
            for _ in frames:
                pass
        results.append(result)
    return EvalResult([r.score for r in results], [r.steps for r in results],
                      [r.truncated for r in results])


def evaluate_policy(policy, spec: LabelSpec, protocol: EvalProtocol, seed: int, *,
                    video: Path | None = None,
                    on_step: Callable[[int, float], None] | None = None) -> EvalResult:
    """The policy under ``protocol``, with its batch-1 decision latencies (one thread, as
    a real-time agent would run it)."""
    from imitation.collect import one_thread

    with one_thread():
        chooser = PolicyChooser(policy, protocol.epsilon)
        result = evaluate(spec.game, protocol.env_config(spec), chooser, protocol.episodes, seed,
                          video=video, on_step=on_step)
    result.latencies_ms = np.asarray(chooser.latencies)
    return result


def evaluate_random(spec: LabelSpec, protocol: EvalProtocol, seed: int,
                    on_step: Callable[[int, float], None] | None = None) -> EvalResult:
    """A uniform-random policy under ``protocol`` with the same episode seeds."""
    return evaluate(spec.game, protocol.env_config(spec), random_chooser(spec.num_actions),
                    protocol.episodes, seed, on_step=on_step)
