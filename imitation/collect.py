"""Labelling episodes: an acting rule drives the game, the planner labels every state.

One episode is one task, keyed by ``(seed, round, episode)``. Everything random in it,
the environment (no-op starts), the planner's searches and the acting rule's draws, is
seeded from that key alone, and the learner that acts is the same snapshot of weights
for every episode of a round, so an episode's labels do not depend on which worker
plays it, on how many workers there are, or on the backend (local processes or Ray).

At every step (Guo et al. 2014; Ross et al. 2011; Kahn et al. 2017):

1. the planner decides at the real state (it keeps its tree between decisions and
   reuses it when the real next state is the one it expanded); with an acting rule's
   ``label_every`` K > 1, only where the planner acts and at every K-th step;
2. the acting rule (:mod:`imitation.algorithms`) picks the executed action;
3. the state is recorded with the planner's decision (skipped decisions, where every
   action leads to the same state, are not labels) and the executed action.

Collection statistics (what PLATO should improve on DAgger) come from the dataset's
episode summaries, so a resumed run reports the same numbers as an uninterrupted one.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from envs.atari import AtariConfig
from imitation.dataset import EpisodeLabels, EpisodeRecorder, EpisodeSummary, LabelDataset, LabelSpec
from mcts.config import UCTConfig
from mcts.episode import Episode

PREPROCESSING_FIELDS = ("frame_skip", "max_pool", "screen_size", "frame_stack", "full_action_space")


ADDED_PREPROCESSING = {"actions": None}
"""Preprocessing fields added since labels and checkpoints were first written, with the
value they were made with: written only where they differ, so older ones still match."""


def preprocessing_of(env: AtariConfig) -> dict:
    """The AtariConfig fields that shape observations and actions (not the episode
    protocol: no-ops, sticky actions and the frame cap differ between training and test)."""
    added = {name: getattr(env, name) for name, before in ADDED_PREPROCESSING.items()
             if getattr(env, name) != before}
    return {**{name: getattr(env, name) for name in PREPROCESSING_FIELDS}, **added}


def label_spec(game: str, env: AtariConfig) -> LabelSpec:
    """The :class:`LabelSpec` of ``game`` played under ``env``'s preprocessing."""
    from envs.atari import AtariEnv

    probe = AtariEnv(game, env, seed=0)
    return LabelSpec(game=probe.game, action_set=tuple(probe.action_set),
                     preprocessing=preprocessing_of(env), obs_shape=probe.observation_space.shape)


@dataclass(frozen=True)
class CollectConfig:
    """game:               canonical ALE name.
    env:                the collection environment (training protocol and episode frame cap).
    uct:                the expert.
    labels_per_episode: cut an episode after this many labels (None: play it out).
    """

    game: str
    env: AtariConfig
    uct: UCTConfig
    labels_per_episode: int | None = None


@dataclass(frozen=True)
class EpisodeSeeds:
    env: int       # AtariEnv seed (ALE's RNG, no-op starts)
    planner: int   # the planner's seed: decision t of worker w searches with rng([planner, t, w])
    acting: int    # the acting rule's generator


def episode_seeds(seed: int, round: int, episode: int) -> EpisodeSeeds:
    """Independent seeds for one episode, a function of ``(seed, round, episode)`` only."""
    env, planner, acting = np.random.SeedSequence([seed, round, episode]).generate_state(3)
    return EpisodeSeeds(int(env) % 2**31, int(planner), int(acting))


@dataclass(frozen=True)
class EpisodeTask:
    """One labelling episode. ``write_to``: a dataset folder the worker writes the chunk
    into itself (local workers), or None to send the labels back (Ray)."""

    config: CollectConfig
    spec: LabelSpec
    rule: Any          # an imitation.algorithms.ActingRule
    seed: int
    round: int
    episode: int
    write_to: str | None = None
    guidance: Any = None   # a mcts.config.GuidanceConfig: the learner guides the planner

    @property
    def needs_learner(self) -> bool:
        return self.rule.needs_learner or self.guidance is not None


@dataclass(frozen=True)
class LearnerWeights:
    """The learner that acts during a round, shipped to workers: its config and CPU weights."""

    config: Any        # imitation.policy.PolicyConfig
    num_actions: int
    state_dict: dict

    @classmethod
    def of(cls, policy) -> "LearnerWeights":
        state = {k: v.detach().cpu().clone() for k, v in policy.state_dict().items()}
        return cls(policy.config, policy.num_actions, state)

    def build(self):
        """A CPU :class:`DistilledPolicy` with these weights, in eval mode."""
        from imitation.policy import DistilledPolicy

        policy = DistilledPolicy(self.config, self.num_actions, device="cpu")
        policy.load_state_dict(self.state_dict)
        return policy.eval()


@dataclass(frozen=True)
class EpisodeOutcome:
    """What the driver learns about a finished episode (the labels are on disk)."""

    round: int
    episode: int
    labels: int
    frames: int          # emulator frames the planner spent on the labelled decisions
    score: float
    env_steps: int
    seconds: float       # wall time of the episode, planning included

    @classmethod
    def of(cls, labels: EpisodeLabels, seconds: float) -> "EpisodeOutcome":
        return cls(labels.round, labels.episode, len(labels), int(labels.frames.sum()),
                   labels.score, labels.env_steps, seconds)


def play_and_label(env, obs: np.ndarray, planner, rule, learner, recorder: EpisodeRecorder,
                   rng: np.random.Generator, labels_per_episode: int | None = None,
                   on_step: Callable[[float], None] | None = None) -> EpisodeLabels:
    """Play one episode from ``obs`` [4, 84, 84] (``env`` just reset) through
    :class:`mcts.episode.Episode`: the expert ``planner`` decides at every state (or, with
    ``rule.label_every`` K > 1, where the rule reads its decision and at every K-th step),
    ``rule`` picks the executed action, ``recorder`` keeps the labels.

    ``env`` is a :class:`mcts.episode.PlayEnv`; ``planner`` an :class:`mcts.decision.Expert`.
    Ends at game over, the env's truncation, or once ``labels_per_episode`` labels are
    recorded. ``on_step(reward)`` is called at each of the planner's decisions (labels,
    bar the skipped) and on the last turn, with the reward since the previous call.
    """
    k = rule.label_every
    episode = Episode(env, obs, lambda decision, o, r: rule.act(decision, o, learner, r), rng,
                      expert=planner, decide_at=None if k == 1 else (lambda t: t % k == 0))
    reward = 0.0
    for turn in episode:
        reward += turn.reward
        if turn.decision is not None:
            recorder.add(turn.t, turn.obs, turn.decision, turn.action)
        if on_step is not None and (turn.decision is not None or turn.last):
            on_step(reward)
            reward = 0.0
        if labels_per_episode is not None and len(recorder) >= labels_per_episode:
            break
    return recorder.finish(score=episode.score, env_steps=episode.steps, lives_lost=episode.lives_lost,
                           terminated=episode.terminated)


@contextmanager
def one_thread():
    """Run torch and NumPy's BLAS on one thread inside the block: batch-1 forward passes
    (torch's, and :class:`imitation.fast_forward.FastForward`'s small GEMMs) are fastest
    so and do not fight other processes for cores, and their results do not depend on the
    process's thread count."""
    import torch
    from threadpoolctl import threadpool_limits

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    finally:
        torch.set_num_threads(threads)


def collect_episode(task: EpisodeTask, learner: LearnerWeights | None,
                    on_step: Callable[[float], None] | None = None) -> EpisodeLabels:
    """Play and label one episode. The learner (acting, or guiding the planner) runs on
    one CPU thread, so its outputs are the same in every process."""
    from envs.atari import AtariEnv
    from envs.atari.determinism import require_exact_replay
    from mcts.play import uct_expert

    cfg = task.config
    require_exact_replay(cfg.game)
    seeds = episode_seeds(task.seed, task.round, task.episode)
    with one_thread():
        policy = learner.build() if task.needs_learner else None
        env = AtariEnv(cfg.game, cfg.env, seed=seeds.env)
        obs, _ = env.reset(seed=seeds.env)
        recorder = EpisodeRecorder(task.round, task.episode, task.seed, task.spec)
        with uct_expert(cfg.game, cfg.env, cfg.uct, seeds.planner, task.guidance, policy) as planner:
            return play_and_label(env, obs, planner, task.rule, policy, recorder,
                                  np.random.default_rng(seeds.acting), cfg.labels_per_episode, on_step)


def collect_and_write(item: tuple[int, EpisodeTask, LearnerWeights | None]) -> EpisodeOutcome:
    """A local worker's task: play, label and write one episode's chunk; progress events
    are ``(index, reward)`` per planner decision (:func:`play_and_label`)."""
    from common.workers import report

    index, task, learner = item
    t0 = time.perf_counter()
    labels = collect_episode(task, learner, on_step=lambda r: report(index, r))
    LabelDataset.open(task.write_to, expect=task.spec).write_episode(labels)
    return EpisodeOutcome.of(labels, time.perf_counter() - t0)


def collect_episodes(tasks: Sequence[EpisodeTask], learner: LearnerWeights | None,
                     dataset: LabelDataset, *, workers: int = 1, backend: str = "local",
                     ray_address: str | None = None,
                     on_event: Callable[..., None] | None = None,
                     on_result: Callable[[int, EpisodeOutcome], None] | None = None) -> list[EpisodeOutcome]:
    """Label ``tasks`` into ``dataset`` on ``workers`` local processes or on Ray.

    Chunks are written as episodes finish (a killed run keeps the finished ones). Local
    workers report ``on_event(index, reward)`` per planner decision; Ray reports per episode only.
    Outcomes come back in task order.
    """
    if backend == "ray":
        from imitation.ray_backend import map_on_ray

        ray_tasks = [_replace_write_to(t, None) for t in tasks]

        def write(i: int, labels: EpisodeLabels, seconds: float) -> EpisodeOutcome:
            dataset.write_episode(labels)
            outcome = EpisodeOutcome.of(labels, seconds)
            if on_result is not None:
                on_result(i, outcome)
            return outcome

        return map_on_ray(_timed_collect, ray_tasks, learner, address=ray_address,
                          num_cpus=tasks[0].config.uct.root_workers if tasks else 1, on_result=write)
    if backend != "local":
        raise ValueError(f"unknown backend {backend!r}")
    from common.workers import run_tasks

    items = [(i, _replace_write_to(t, str(dataset.path)), learner) for i, t in enumerate(tasks)]
    return run_tasks(collect_and_write, items, workers, on_event=on_event, on_result=on_result)


def _timed_collect(task: EpisodeTask, learner: LearnerWeights | None) -> tuple[EpisodeLabels, float]:
    t0 = time.perf_counter()
    labels = collect_episode(task, learner)
    return labels, time.perf_counter() - t0


def _replace_write_to(task: EpisodeTask, path: str | None) -> EpisodeTask:
    from dataclasses import replace

    return replace(task, write_to=path)


@dataclass(frozen=True)
class CollectionStats:
    """Where the acting rule took the game, over some episodes (Kahn et al. 2017 compare
    PLATO and DAgger on such numbers):

    lives_lost_per_1000_steps:     lives lost per 1,000 collection steps;
    episodes_ended_per_1000_steps: games over (not cut by a cap) per 1,000 steps;
    action_mismatch:               fraction of labelled states where the executed action
                                   differs from the planner's;
    score_per_1000_steps:          the labelling games' score per 1,000 steps: where the
                                   planner acts, the teacher's own play (an exit run's
                                   guided expert improving with its learner shows here).
    """

    episodes: int
    env_steps: int
    labels: int
    lives_lost: int
    episodes_ended: int
    lives_lost_per_1000_steps: float
    episodes_ended_per_1000_steps: float
    action_mismatch: float
    score_per_1000_steps: float


def collection_stats(episodes: Sequence[EpisodeSummary]) -> CollectionStats:
    """The statistics of ``episodes`` (NaN rates when there are no steps or labels)."""
    return _stats(len(episodes), sum(e.env_steps for e in episodes), sum(e.labels for e in episodes),
                  sum(e.lives_lost for e in episodes), sum(int(e.terminated) for e in episodes),
                  sum(e.differing for e in episodes), sum(e.score for e in episodes))


def merged_collection_stats(parts: Sequence[Mapping[str, Any]]) -> CollectionStats:
    """The statistics of the episodes of several parts, each given as the JSON of its
    :class:`CollectionStats` (a round entry's ``collection`` in result.json, non-finite
    rates written as null): equal to :func:`collection_stats` of all their episodes
    without reading them. The counts add up; a part's differing labels and score come back
    from its rates (``action_mismatch * labels`` is that integer exactly)."""
    def count(part, rate, of):
        value = part[rate]
        return 0.0 if value is None or not part[of] else value * part[of]

    return _stats(sum(p["episodes"] for p in parts), sum(p["env_steps"] for p in parts),
                  sum(p["labels"] for p in parts), sum(p["lives_lost"] for p in parts),
                  sum(p["episodes_ended"] for p in parts),
                  sum(round(count(p, "action_mismatch", "labels")) for p in parts),
                  sum(count(p, "score_per_1000_steps", "env_steps") / 1000.0 for p in parts))


def _stats(episodes: int, steps: int, labels: int, lives: int, ended: int, differing: int,
           score: float) -> CollectionStats:
    per_k = (lambda n: 1000.0 * n / steps) if steps else (lambda n: float("nan"))
    mismatch = differing / labels if labels else float("nan")
    return CollectionStats(episodes, steps, labels, lives, ended, per_k(lives), per_k(ended), mismatch,
                           per_k(score))
