"""Expert iteration's collection: the network guides the planner on Pong (tiny budgets),
and the same seed gives the same labels for W = 1 and W = 2."""
from __future__ import annotations

import numpy as np
import pytest

from envs.atari import AtariConfig
from imitation.algorithms import ExpertIteration, PlannerActs, build_algorithm, learner_policy
from imitation.collect import CollectConfig, EpisodeTask, LearnerWeights, collect_episodes, label_spec
from imitation.dataset import LabelDataset
from imitation.policy import DistilledPolicy
from mcts.config import Budget, GuidanceConfig, UCTConfig

ENV = AtariConfig(noop_max=30, max_episode_frames=2000)
CONFIG = CollectConfig("pong", ENV, UCTConfig(budget=Budget(sims=8), max_depth=6), labels_per_episode=12)
GUIDANCE = (GuidanceConfig(rollout="learner", rollout_epsilon=0.2, bootstrap=True, value_mix=1.0, selection="ucb1",
                           lanes=4),
            GuidanceConfig(rollout="random", selection="puct", value_mix=0.5, lanes=3))


def _collect(path, workers):
    spec = label_spec("pong", ENV)
    dataset = LabelDataset.create(path, spec)
    policy = DistilledPolicy(learner_policy(ExpertIteration()), spec.num_actions, seed=3, device="cpu")
    tasks = [EpisodeTask(CONFIG, spec, PlannerActs(), seed=11, round=1, episode=e, guidance=GUIDANCE[e])
             for e in range(2)]
    outcomes = collect_episodes(tasks, LearnerWeights.of(policy), dataset, workers=workers)
    assert [o.labels for o in outcomes] == [12, 12]
    return dataset


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    return _collect(tmp_path_factory.mktemp("w1"), workers=1)


def test_two_workers_give_the_same_guided_labels(one_worker, tmp_path):
    two = _collect(tmp_path, workers=2)
    assert one_worker.keys() == two.keys() == [(1, 0), (1, 1)]
    for key in one_worker.keys():
        x, y = one_worker.read_episode(*key), two.read_episode(*key)
        for name in ("obs", "action", "visits", "executed", "frames", "q", "value", "weight", "prior"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=f"{key} {name}")


def test_guided_labels_carry_value_and_weight(one_worker):
    labels = one_worker.read_episode(1, 0)
    assert np.isfinite(labels.value).all()
    assert ((labels.weight >= 0) & (labels.weight <= 1)).all()


def test_puct_labels_carry_their_root_prior_and_ucb1_labels_none(one_worker):
    ucb1, puct = one_worker.read_episode(1, 0).prior, one_worker.read_episode(1, 1).prior   # [12, A] each
    assert np.isnan(ucb1).all()
    assert np.isfinite(puct).all() and (puct >= 0).all()
    np.testing.assert_allclose(puct.sum(axis=1), 1.0, atol=1e-5)
    assert np.ptp(puct, axis=0).max() > 0     # the network's prior at each state, not a constant


def test_exit_guides_from_round_one_and_trains_a_value_head():
    exit = build_algorithm("exit", guidance=GUIDANCE[0])
    assert exit.guidance_of(0) is None and exit.guidance_of(1) == exit.guidance_of(5) == GUIDANCE[0]
    policy = learner_policy(exit)
    assert policy.value_head and policy.label_weights == "search" and policy.target == "visits"
    assert not learner_policy(build_algorithm("dagger")).value_head
