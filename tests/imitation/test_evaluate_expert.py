"""The expert under the evaluation protocol, and the RAM tracker as an expert."""
from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from envs.atari import AtariConfig, AtariEnv
from imitation.collect import label_spec
from imitation.evaluate import EpsilonExpert, EvalProtocol, evaluate_random, expert_score
from imitation.tracker import (BREAKOUT_AIM, BREAKOUT_BALL_X, BREAKOUT_BALL_Y, BREAKOUT_PLAYER_X, RamTracker,
                               breakout_label, tracker_dataset, tracker_label)
from mcts.decision import Decision


def _decision(a: int) -> Decision:
    return Decision(a, np.zeros(6), np.ones(6, np.int64), 0)


def test_epsilon_expert_draws_one_uniform_then_explores_uniformly():
    rng, twin = np.random.default_rng(1), np.random.default_rng(1)
    actor = EpsilonExpert(0.0, 6)
    assert [actor(_decision(4), None, rng) for _ in range(20)] == [4] * 20
    twin.random(20)
    assert rng.random() == twin.random()            # exactly one draw per step
    explore = EpsilonExpert(1.0, 6)
    acts = np.array([explore(_decision(4), None, rng) for _ in range(3000)])
    np.testing.assert_allclose(np.bincount(acts, minlength=6) / 3000, 1 / 6, atol=0.03)


@pytest.mark.parametrize("game, moves", [("pong", {"NOOP", "RIGHT", "LEFT"}),
                                         ("breakout", {"FIRE", "NOOP", "RIGHT", "LEFT"})])
def test_the_tracker_reads_the_ram_of_the_real_state(game, moves):
    spec = label_spec(game, AtariConfig())
    env = AtariEnv(game, AtariConfig(), seed=0)
    env.reset(seed=0)
    tracker, rng, labels = RamTracker(spec), np.random.default_rng(0), []
    for t in range(120):
        label = tracker.decide(env.snapshot(), t)
        assert label.action == tracker_label(game, env.ale.getRAM(), spec.action_set)
        assert label.q[label.action] == 1.0 and label.q.sum() == 1.0 and label.frames == 0
        labels.append(label.action)
        env.step(int(rng.integers(spec.num_actions)))
    names = {0: "NOOP", 1: "FIRE", 3: "RIGHT", 4: "LEFT"}   # the ALE's action ints
    assert {names[spec.action_set[a]] for a in labels} == moves


def test_the_breakout_tracker_moves_the_paddle_under_the_ball():
    ram = np.zeros(128, np.uint8)
    action_set = (0, 1, 3, 4)   # NOOP, FIRE, RIGHT, LEFT
    assert breakout_label(ram, action_set) == 1                      # no ball in play: FIRE
    ram[BREAKOUT_BALL_Y], ram[BREAKOUT_PLAYER_X] = 150, 100
    for ball_x, move in ((100 + BREAKOUT_AIM, 0), (100 + BREAKOUT_AIM + 20, 2), (100 + BREAKOUT_AIM - 20, 3)):
        ram[BREAKOUT_BALL_X] = ball_x
        assert breakout_label(ram, action_set) == move, ball_x


@pytest.mark.parametrize("game, margin", [("pong", 3), ("breakout", 3)])
def test_the_tracker_under_the_protocol_beats_random_play(game, margin):
    spec = label_spec(game, AtariConfig())
    protocol = EvalProtocol(episodes=1, max_episode_frames=2000 if game == "pong" else 4000)
    tracker = expert_score(spec, protocol, partial(RamTracker, spec), seed=0, episode=0)
    random = evaluate_random(spec, protocol, seed=0)
    assert tracker.steps > 0
    assert tracker.score >= random.mean + margin, (tracker.score, random.scores)


def test_the_tracker_refuses_a_game_it_does_not_read():
    with pytest.raises(ValueError, match="plays pong and breakout, not"):
        RamTracker(label_spec("seaquest", AtariConfig()))


def test_label_noise_changes_the_recorded_labels_only(tmp_path):
    spec = label_spec("breakout", AtariConfig())
    clean, _ = tracker_dataset(spec, tmp_path / "clean", labels=400, noise=0.1, seed=3)
    noisy, _ = tracker_dataset(spec, tmp_path / "noisy", labels=400, noise=0.1, seed=3, label_noise=0.5)
    a, b = ([batch for batch in d.iter_batches(400, split="all", shuffle=False)] for d in (clean, noisy))
    obs_a, obs_b = (np.concatenate([x.obs for x in batches]) for batches in (a, b))
    act_a, act_b = (np.concatenate([x.action for x in batches]) for batches in (a, b))
    assert len(act_a) == 400
    np.testing.assert_array_equal(obs_a, obs_b)                  # the same states were played
    changed = float(np.mean(act_a != act_b))
    assert abs(changed - 0.5 * 3 / 4) < 0.08, changed            # half redrawn, a quarter of those unchanged
