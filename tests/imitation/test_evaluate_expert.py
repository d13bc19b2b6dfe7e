"""The expert under the evaluation protocol, and the RAM tracker as an expert."""
from __future__ import annotations

from functools import partial

import numpy as np

from envs.atari import AtariConfig, AtariEnv
from imitation.collect import label_spec
from imitation.evaluate import EpsilonExpert, EvalProtocol, evaluate_random, expert_score
from imitation.tracker import RamTracker, tracker_label
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


def test_the_tracker_reads_the_ram_of_the_real_state():
    spec = label_spec("pong", AtariConfig())
    env = AtariEnv("pong", AtariConfig(), seed=0)
    env.reset(seed=0)
    tracker, rng, labels = RamTracker(spec), np.random.default_rng(0), []
    for t in range(120):
        label = tracker.decide(env.snapshot(), t)
        assert label.action == tracker_label(env.ale.getRAM(), spec.action_set)
        assert label.q[label.action] == 1.0 and label.q.sum() == 1.0 and label.frames == 0
        labels.append(label.action)
        env.step(int(rng.integers(spec.num_actions)))
    assert len(set(labels)) == 3          # up, down and stay all occur


def test_the_tracker_under_the_protocol_beats_random_play():
    spec = label_spec("pong", AtariConfig())
    protocol = EvalProtocol(episodes=1, max_episode_frames=2000)
    tracker = expert_score(spec, protocol, partial(RamTracker, spec), seed=0, episode=0)
    random = evaluate_random(spec, protocol, seed=0)
    assert tracker.truncated and tracker.steps > 0
    assert tracker.score >= random.mean + 3, (tracker.score, random.scores)
