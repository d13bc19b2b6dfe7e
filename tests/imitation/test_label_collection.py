"""Labelling episodes: acting rules, collection statistics, and datasets that do not
depend on the number of workers or the backend."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from imitation.algorithms import (DAgger, DAggerMix, Plato, PlannerActs, PlatoTeacher, UCTClassification,
                                  UCTRegression, build_algorithm)
from imitation.collect import collection_stats, merged_collection_stats, play_and_label
from imitation.dataset import EpisodeRecorder, LabelDataset, LabelSpec
from imitation.policy import DistilledPolicy, PolicyConfig
from imitation.schedules import ExponentialBeta, GeometricLambda
from mcts.decision import Decision

A = 3
SPEC = LabelSpec(game="Fake", action_set=(0, 1, 2), obs_shape=(4, 84, 84))


# -- a scripted game and planner ----------------------------------------------------------

@dataclass
class _Snap:
    ale_state: int


class ScriptedEnv:
    """Step t returns reward rewards[t]; a life is lost after the steps in ``deaths``; the
    game ends after ``length`` steps, or is truncated after ``truncate_at``."""

    def __init__(self, length=10, deaths=(), rewards=None, truncate_at=None):
        self.t, self.length, self.deaths = 0, length, set(deaths)
        self.rewards = rewards or [0.0] * length
        self.truncate_at = truncate_at
        self.lives = 5
        self.executed = []

    def snapshot(self):
        return _Snap(self.t)

    def obs(self):
        return np.full((4, 84, 84), self.t, dtype=np.uint8)

    def step(self, action):
        self.executed.append(action)
        reward = self.rewards[self.t]
        if self.t in self.deaths:
            self.lives -= 1
        self.t += 1
        terminated = self.t >= self.length
        truncated = not terminated and self.truncate_at is not None and self.t >= self.truncate_at
        return self.obs(), reward, terminated, truncated, {"lives": self.lives}


class ScriptedPlanner:
    """Decides action t % A at state t; decisions at ``skipped`` states are skipped."""

    def __init__(self, skipped=()):
        self.skipped = set(skipped)
        self.calls = []

    def decide(self, root_state, t):
        assert root_state == _Snap(t)  # decided at the real state, numbered by the step
        self.calls.append(t)
        q = np.arange(A, dtype=np.float64) + (t % A == np.arange(A)) * 10
        return Decision(t % A, q, np.ones(A, np.int64), frames=100, skipped=t in self.skipped)


class OffByOne:
    """Executes the planner's action + 1 at the listed steps."""

    needs_learner = False
    label_every = 1

    def __init__(self, steps):
        self.steps = set(steps)

    def act(self, decision, obs, learner, rng):
        t = int(obs[0, 0, 0])
        return (decision.action + 1) % A if t in self.steps else decision.action


def _play(env, planner, rule, cap=None):
    recorder = EpisodeRecorder(2, 7, 0, SPEC)
    return play_and_label(env, env.obs(), planner, rule, None, recorder, np.random.default_rng(0), cap)


def test_every_state_is_labelled_by_the_planner_and_counted():
    env = ScriptedEnv(length=10, deaths=(2, 6), rewards=[0, 1, 0, 0, -1, 0, 0, 0, 2, 0])
    planner = ScriptedPlanner(skipped=(0, 1))
    labels = _play(env, planner, OffByOne(steps=(3, 4, 9)))
    assert planner.calls == list(range(10))
    np.testing.assert_array_equal(labels.step, np.arange(2, 10))      # skipped decisions: no label
    np.testing.assert_array_equal(labels.action, np.arange(2, 10) % A)  # the planner's, always
    np.testing.assert_array_equal(labels.executed, env.executed[2:])
    np.testing.assert_array_equal(labels.obs[:, 0, 0, 0], np.arange(2, 10))  # obs before the step
    assert (labels.executed != labels.action).sum() == 3
    assert (labels.env_steps, labels.lives_lost, labels.terminated, labels.score) == (10, 2, True, 2.0)
    assert labels.frames.sum() == 800


def test_label_cap_and_truncation_do_not_count_as_games_over():
    labels = _play(ScriptedEnv(length=50), ScriptedPlanner(), PlannerActs(), cap=6)
    assert len(labels) == 6 and labels.env_steps == 6 and not labels.terminated
    labels = _play(ScriptedEnv(length=50, truncate_at=4), ScriptedPlanner(), PlannerActs())
    assert len(labels) == 4 and not labels.terminated


def test_collection_statistics_on_a_controlled_case(tmp_path):
    dataset = LabelDataset.create(tmp_path, SPEC)
    # 10 steps, 2 lives lost, game over, 3 of 8 labels differ, score 2
    rewards = [1.0, 0.0, -1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    ep0 = _play(ScriptedEnv(length=10, deaths=(2, 6), rewards=rewards), ScriptedPlanner(skipped=(0, 1)),
                OffByOne((3, 4, 9)))
    # 30 steps cut by the label cap: 1 life lost, not over, 0 of 30 differ
    ep1 = EpisodeRecorder(2, 8, 0, SPEC)
    ep1 = play_and_label(ScriptedEnv(length=50, deaths=(5,)), np.zeros((4, 84, 84), np.uint8),
                         ScriptedPlanner(), PlannerActs(), None, ep1, np.random.default_rng(0), 30)
    for labels in (ep0, ep1):
        dataset.write_episode(labels)
    stats = collection_stats(dataset.episodes())
    assert (stats.episodes, stats.env_steps, stats.labels, stats.lives_lost, stats.episodes_ended) == (2, 40, 38, 3, 1)
    assert stats.lives_lost_per_1000_steps == pytest.approx(1000 * 3 / 40)
    assert stats.episodes_ended_per_1000_steps == pytest.approx(1000 * 1 / 40)
    assert stats.action_mismatch == pytest.approx(3 / 38)
    assert stats.score_per_1000_steps == pytest.approx(1000 * 2 / 40)
    assert math.isnan(collection_stats([]).action_mismatch)


def test_merged_collection_statistics_equal_those_of_all_the_episodes():
    """A compare reports a run's rounds >= 1 from result.json alone: the rounds' statistics,
    as written there (JSON, NaN as null), merge into those of all their episodes. Averaging
    the rounds' rates would not: the parts differ in size."""
    from types import SimpleNamespace

    from common.rundir import to_jsonable

    rng = np.random.default_rng(3)

    def episode():
        labels = int(rng.integers(1, 1500))
        return SimpleNamespace(env_steps=labels + int(rng.integers(0, 40)), labels=labels,
                               lives_lost=int(rng.integers(0, 4)), terminated=bool(rng.integers(0, 2)),
                               differing=int(rng.integers(0, labels + 1)), score=float(rng.integers(-21, 22)))

    parts = [[episode() for _ in range(n)] for n in (4, 1, 0, 3)]   # a round may have no episode
    merged = merged_collection_stats([to_jsonable(collection_stats(part)) for part in parts])
    whole = collection_stats([e for part in parts for e in part])
    assert (merged.episodes, merged.env_steps, merged.labels, merged.lives_lost, merged.episodes_ended) == \
        (whole.episodes, whole.env_steps, whole.labels, whole.lives_lost, whole.episodes_ended)
    assert merged.action_mismatch == whole.action_mismatch    # the differing counts come back exactly
    assert merged.lives_lost_per_1000_steps == whole.lives_lost_per_1000_steps
    assert merged.score_per_1000_steps == pytest.approx(whole.score_per_1000_steps, rel=1e-12)
    rates = [collection_stats(part).action_mismatch for part in parts if part]
    assert not math.isclose(float(np.mean(rates)), whole.action_mismatch)
    assert math.isnan(merged_collection_stats([to_jsonable(collection_stats([]))]).action_mismatch)


# -- acting rules ------------------------------------------------------------------------

class GreedyLearner:
    """A learner whose greedy action is fixed and whose pi_theta is uniform."""

    num_actions = A

    def __init__(self, greedy):
        self.greedy_action = greedy

    def act(self, obs, epsilon, rng):
        if rng.random() < epsilon:
            return int(rng.integers(A))
        return self.greedy_action

    def log_pi(self, obs):
        return np.full((1, A), -np.log(A))


def _decision(action, q):
    return Decision(action, np.asarray(q, dtype=np.float64), np.ones(A, np.int64), 0)


def test_dagger_mix_draws_planner_with_probability_beta():
    rng = np.random.default_rng(0)
    learner, d = GreedyLearner(2), _decision(0, [1.0, 0.0, 0.0])
    assert {DAggerMix(1.0, 0.0).act(d, None, learner, rng) for _ in range(50)} == {0}
    assert {DAggerMix(0.0, 0.0).act(d, None, learner, rng) for _ in range(50)} == {2}
    acts = np.array([DAggerMix(0.3, 0.0).act(d, None, learner, rng) for _ in range(4000)])
    assert abs((acts == 0).mean() - 0.3) < 0.03
    explored = np.array([DAggerMix(0.0, 0.5).act(d, None, learner, rng) for _ in range(4000)])
    assert abs((explored != 2).mean() - 0.5 * 2 / 3) < 0.03  # epsilon: uniform over all actions


def test_a_thinned_mix_labels_the_planners_steps_and_every_kth_of_the_same_game():
    """label_every 3: the planner is asked only where it acts and at t % 3 == 0; the game
    (the acting rule's draws) and every label kept are the full mix's."""
    beta, n = 0.3, 40
    runs = {}
    for k in (1, 3):
        env, planner = ScriptedEnv(length=n), ScriptedPlanner()
        recorder = EpisodeRecorder(2, 7, 0, SPEC)
        labels = play_and_label(env, env.obs(), planner, DAggerMix(beta, 0.0, label_every=k), GreedyLearner(2),
                                recorder, np.random.default_rng(5))
        runs[k] = env, planner, labels
    rng, planner_steps = np.random.default_rng(5), set()
    for t in range(n):          # replay the mix's draws: a coin, then the learner's epsilon draw
        if rng.random() < beta:
            planner_steps.add(t)
        else:
            rng.random()
    expected = sorted(planner_steps | set(range(0, n, 3)))
    assert 0 < len(planner_steps - set(range(0, n, 3))) and len(expected) < n
    (full_env, full_planner, full), (thin_env, thin_planner, thin) = runs[1], runs[3]
    assert thin_env.executed == full_env.executed and full_planner.calls == list(range(n))
    assert thin_planner.calls == expected
    np.testing.assert_array_equal(thin.step, expected)
    for name in ("action", "q", "executed", "obs"):
        np.testing.assert_array_equal(getattr(thin, name), getattr(full, name)[expected], err_msg=name)
    assert (thin.env_steps, thin.terminated, thin.score) == (full.env_steps, True, full.score)
    executed = np.asarray(thin_env.executed)
    assert (executed[sorted(planner_steps)] == np.arange(n)[sorted(planner_steps)] % A).all()


def test_plato_teacher_follows_q_as_lambda_vanishes_and_the_learner_as_it_grows():
    rng = np.random.default_rng(0)
    d = _decision(1, [0.0, 1.0, 0.5])
    assert {PlatoTeacher(0.0).act(d, None, GreedyLearner(0), rng) for _ in range(50)} == {1}
    acts = np.array([PlatoTeacher(1e9).act(d, None, GreedyLearner(0), rng) for _ in range(3000)])
    np.testing.assert_allclose(np.bincount(acts, minlength=A) / 3000, 1 / 3, atol=0.03)


def test_each_algorithm_acts_by_its_own_rule_per_round():
    assert build_algorithm("uct-classification") == UCTClassification()
    assert UCTClassification().head == "classification" and UCTRegression().head == "regression"
    assert build_algorithm("dagger", head="regression").head == "regression"
    assert build_algorithm("plato", head="regression").head == "regression"
    for r in range(3):
        assert UCTClassification().rule(r, 3) == PlannerActs() == UCTRegression().rule(r, 3)
    dagger = build_algorithm("dagger")  # indicator: Guo et al.'s UCTtoClassification-Interleaved
    assert dagger.rule(0, 3) == PlannerActs() and dagger.rule(1, 3) == DAggerMix(0.0, 0.05)
    assert DAgger(ExponentialBeta(0.5)).rule(2, 3) == DAggerMix(0.25, 0.05)
    assert DAgger(label_every=4).rule(1, 3) == DAggerMix(0.0, 0.05, 4) and DAgger(label_every=4).rule(0, 3) == PlannerActs()
    plato = Plato(GeometricLambda(1.0, 0.5))
    assert [plato.rule(r, 3) for r in range(3)] == [PlatoTeacher(1.0), PlatoTeacher(0.5), PlatoTeacher(0.25)]
    assert plato.rule(0, 3).needs_learner and not dagger.rule(0, 3).needs_learner


def test_plato_teacher_uses_the_softmax_policy_of_a_real_learner():
    torch.manual_seed(0)
    learner = DistilledPolicy(PolicyConfig(), A, seed=1, device="cpu").eval()
    obs = np.random.default_rng(0).integers(0, 255, (4, 84, 84), dtype=np.uint8)
    d = _decision(0, [0.0, 0.0, 0.0])  # no spread: pi_hat = pi_theta
    acts = np.array([PlatoTeacher(0.5).act(d, obs, learner, np.random.default_rng(i)) for i in range(3000)])
    np.testing.assert_allclose(np.bincount(acts, minlength=A) / 3000, np.exp(learner.log_pi(obs)[0]), atol=0.03)
