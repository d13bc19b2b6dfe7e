"""With a simulation budget, the same seed gives the same dataset whatever the number of
workers and the backend (local processes or Ray): the real planner on Pong, tiny budgets."""
from __future__ import annotations

import numpy as np
import pytest

from envs.atari import AtariConfig
from imitation.algorithms import DAggerMix, PlannerActs, PlatoTeacher
from imitation.collect import CollectConfig, EpisodeTask, LearnerWeights, collect_episodes, label_spec
from imitation.dataset import LabelDataset
from imitation.policy import DistilledPolicy, PolicyConfig
from mcts.config import Budget, UCTConfig

ENV = AtariConfig(noop_max=30, max_episode_frames=2000)
CONFIG = CollectConfig("pong", ENV, UCTConfig(budget=Budget(sims=4), max_depth=5), labels_per_episode=25)
RULES = (PlannerActs(), DAggerMix(0.5), PlatoTeacher(0.5))


def _collect(path, workers, backend="local"):
    spec = label_spec("pong", ENV)
    dataset = LabelDataset.create(path, spec)
    learner = LearnerWeights.of(DistilledPolicy(PolicyConfig(), spec.num_actions, seed=3, device="cpu"))
    tasks = [EpisodeTask(CONFIG, spec, RULES[e], seed=11, round=1, episode=e) for e in range(3)]
    outcomes = collect_episodes(tasks, learner, dataset, workers=workers, backend=backend)
    assert [(o.round, o.episode) for o in outcomes] == [(1, 0), (1, 1), (1, 2)]
    assert [o.labels for o in outcomes] == [25, 25, 25]
    return dataset


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    return _collect(tmp_path_factory.mktemp("w1"), workers=1)


def _assert_same(a: LabelDataset, b: LabelDataset):
    assert a.keys() == b.keys() == [(1, 0), (1, 1), (1, 2)]
    for key in a.keys():
        x, y = a.read_episode(*key), b.read_episode(*key)
        for name in ("obs", "action", "visits", "executed", "step", "frames"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=f"{key} {name}")
        np.testing.assert_array_equal(x.q, y.q)  # NaN where untried, in the same places
        assert (x.score, x.env_steps, x.lives_lost, x.seed) == (y.score, y.env_steps, y.lives_lost, y.seed)


def test_the_rules_really_differ(one_worker):
    episodes = [one_worker.read_episode(*k) for k in one_worker.keys()]
    differing = [int((e.executed != e.action).sum()) for e in episodes]
    assert differing[0] == 0 and differing[1] > 0 and differing[2] > 0


def test_two_workers_give_the_same_dataset(one_worker, tmp_path):
    _assert_same(one_worker, _collect(tmp_path, workers=2))


def test_ray_gives_the_same_dataset(one_worker, tmp_path):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        _assert_same(one_worker, _collect(tmp_path, workers=1, backend="ray"))
    finally:
        ray.shutdown()
