"""Pong and Breakout experts that read the console RAM: labellers whose labels are consistent.

The tracker moves its paddle towards the ball, read from the RAM (addresses as annotated
by Anand et al. 2019, "Unsupervised State Representation Learning in Atari"): in Pong
towards the ball's height, in Breakout towards its horizontal position (and FIRE while
no ball is in play). It is an :class:`mcts.decision.Expert` like the planner, so it
labels and plays through the same loop (:mod:`mcts.episode`); it tests the learning
pipeline (can the network learn the game from labels that agree with themselves?), not
the planner.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from imitation.dataset import EpisodeRecorder, LabelDataset, LabelSpec
from mcts.decision import Decision
from mcts.episode import Episode

PONG_BALL_Y, PONG_PLAYER_Y = 54, 51                                 # RAM addresses (Anand et al. 2019)
BREAKOUT_BALL_X, BREAKOUT_BALL_Y, BREAKOUT_PLAYER_X = 99, 101, 72   # idem
BREAKOUT_AIM, BREAKOUT_DEADZONE = 10, 6
"""Breakout's paddle is steered to ``ball_x - BREAKOUT_AIM`` in RAM units, and stays
within ``BREAKOUT_DEADZONE`` of it (the paddle moves about 22 units a step at frame
skip 4). Chosen by a sweep of (aim, dead zone) over (0, 8, 10) x (4, 6, 12): 83.5 over
6 games under the protocol with the 18,000-frame cap, where (8, 6) scored 55.2."""

ALE_NOOP, ALE_FIRE, ALE_RIGHT, ALE_LEFT = 0, 1, 3, 4   # the ALE's action ints


def pong_label(ram: np.ndarray, action_set: tuple[int, ...]) -> int:
    """Index (into Pong's minimal action set) of the tracker's choice from the RAM [128]
    uint8: move the paddle towards the ball's height, or stay within 3 units of it."""
    gap = int(ram[PONG_BALL_Y]) - (int(ram[PONG_PLAYER_Y]) + 8)
    if abs(gap) < 3:
        return action_set.index(ALE_NOOP)
    return action_set.index(ALE_LEFT if gap > 0 else ALE_RIGHT)   # LEFT moves down, RIGHT up


def breakout_label(ram: np.ndarray, action_set: tuple[int, ...]) -> int:
    """Index (into Breakout's minimal action set) of the tracker's choice from the RAM
    [128] uint8: FIRE while no ball is in play (its height reads 0), else move the
    paddle under the ball's horizontal position (:data:`BREAKOUT_AIM`)."""
    if int(ram[BREAKOUT_BALL_Y]) == 0:
        return action_set.index(ALE_FIRE)
    gap = int(ram[BREAKOUT_BALL_X]) - int(ram[BREAKOUT_PLAYER_X]) - BREAKOUT_AIM
    if abs(gap) < BREAKOUT_DEADZONE:
        return action_set.index(ALE_NOOP)
    return action_set.index(ALE_RIGHT if gap > 0 else ALE_LEFT)


TRACKERS = {"pong": pong_label, "breakout": breakout_label}
"""The games a tracker plays: game name -> label(ram [128] uint8, action_set) -> index."""


def tracker_label(game: str, ram: np.ndarray, action_set: tuple[int, ...]) -> int:
    """The tracker's action index for ``game`` (one of :data:`TRACKERS`)."""
    return TRACKERS[game](ram, action_set)


def one_hot_decision(action: int, num_actions: int) -> Decision:
    """A label without a search: Q [A] is 1 for ``action`` and 0 for the others, every
    visit count is 1, and no frames are spent."""
    return Decision(action=action, q=np.eye(num_actions)[action],
                    visits=np.ones(num_actions, np.int64), frames=0)


class RamTracker:
    """The tracker as an :class:`mcts.decision.Expert`: it restores the root state into
    its own emulator to read the RAM. Its decision carries no search: Q [A] is 1 for its
    action and 0 for the others, every visit count is 1, and it spends no frames."""

    def __init__(self, spec: LabelSpec, seed: int = 0):
        from envs.atari import AtariPlanningModel, PlanningConfig

        if spec.game not in TRACKERS:
            raise ValueError(f"the RAM tracker plays {' and '.join(TRACKERS)}, not {spec.game}")
        self.game = spec.game
        self.action_set = tuple(spec.action_set)
        self.num_actions = spec.num_actions
        self.model = AtariPlanningModel(spec.game, PlanningConfig(
            frame_skip=spec.preprocessing["frame_skip"],
            full_action_space=spec.preprocessing["full_action_space"]), seed)

    def decide(self, root_state, t: int) -> Decision:
        self.model.restore_state(self.model.root_state(root_state))
        return one_hot_decision(tracker_label(self.game, self.model.state_key(), self.action_set),
                                self.num_actions)

    def footprint(self) -> None:
        return None

    def __enter__(self) -> "RamTracker":
        return self

    def __exit__(self, *exc) -> None:
        pass


def tracker_dataset(spec: LabelSpec, root: Path, labels: int, noise: float,
                    seed: int, label_noise: float = 0.0) -> tuple[LabelDataset, list[float]]:
    """``labels`` tracker labels of the game's states, written to a dataset under ``root``; the
    tracker acts on its label with probability 1 - ``noise``, else at random
    (:class:`imitation.evaluate.EpsilonExpert`). Returns the dataset and the tracker's
    score in each labelling game. Episode e is reset with seed ``seed + e``.

    ``label_noise``: each *recorded* label is replaced by a uniform random action with this
    probability (its own random stream, so the states and the actions played are the
    same whatever the value): labels with a known share of noise, to measure how a
    student's score falls as its labels agree less with themselves."""
    from envs.atari import AtariConfig, AtariEnv
    from imitation.evaluate import EpsilonExpert

    env = AtariEnv(spec.game, AtariConfig(), seed=seed)
    rng, corrupt = np.random.default_rng(seed), np.random.default_rng([seed, 1])
    actor = EpsilonExpert(noise, spec.num_actions)
    tracker = RamTracker(spec, seed)
    dataset = LabelDataset.create(root / "labels", spec)
    written, scores = 0, []
    while written < labels:
        e = len(scores)
        obs, _ = env.reset(seed=seed + e)
        recorder = EpisodeRecorder(0, e, seed + e, spec)
        episode = Episode(env, obs, actor, rng, expert=tracker)
        for turn in episode:
            decision = turn.decision
            if corrupt.random() < label_noise:
                decision = one_hot_decision(int(corrupt.integers(spec.num_actions)), spec.num_actions)
            recorder.add(turn.t, turn.obs, decision, turn.action)
            if written + len(recorder) >= labels:
                break
        dataset.write_episode(recorder.finish(score=episode.score, env_steps=episode.steps,
                                              lives_lost=episode.lives_lost, terminated=episode.terminated))
        written += len(recorder)
        scores.append(episode.score)
    return dataset, scores
