"""Write the golden label chunks: Pong, three capped episodes, labelled by UCT.

- round 0, episode 0: the planner acts (UCTtoClassification's round, every DAgger round 0);
- round 1, episode 0: DAgger's mix (beta 0.5, epsilon 0.05) with a learner in the loop;
- round 1, episode 1: PLATO's teacher (lambda 1) with the same learner.

The learner is an untrained DistilledPolicy built from a seed. Run from a checkout
(``PYTHONPATH=CHECKOUT python tests/data/make_golden_labels.py OUT``); the files in
``tests/data/golden_labels`` were written by this code at commit a59447f, before the
refactor of issue 13 (see README.md here). tests/imitation/test_golden_labels.py runs it
again with the current code and requires every field to be equal.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

SEED = 3
LABELS_PER_EPISODE = 60


def write_golden(out: Path, labels_per_episode: int = LABELS_PER_EPISODE) -> list:
    """Label the three episodes into the dataset folder ``out``; returns the outcomes."""
    import torch

    from envs.atari import AtariConfig
    from imitation.algorithms import DAggerMix, PlannerActs, PlatoTeacher
    from imitation.collect import CollectConfig, EpisodeTask, LearnerWeights, collect_episodes, label_spec
    from imitation.dataset import LabelDataset
    from imitation.policy import DistilledPolicy, PolicyConfig
    from mcts.config import Budget, UCTConfig

    torch.set_num_threads(1)
    env = AtariConfig(noop_max=30, max_episode_frames=400)
    collect = CollectConfig("Pong", env, UCTConfig(budget=Budget(sims=10), max_depth=5),
                            labels_per_episode=labels_per_episode)
    spec = label_spec("Pong", env)
    dataset = LabelDataset.create(out, spec)
    learner = LearnerWeights.of(DistilledPolicy(PolicyConfig(), spec.num_actions, seed=SEED, device="cpu"))
    tasks = [EpisodeTask(collect, spec, PlannerActs(), SEED, 0, 0),
             EpisodeTask(collect, spec, DAggerMix(0.5, 0.05), SEED, 1, 0),
             EpisodeTask(collect, spec, PlatoTeacher(1.0), SEED, 1, 1)]
    return collect_episodes(tasks, learner, dataset, workers=1)


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    for o in write_golden(Path(sys.argv[1])):
        print(o.round, o.episode, o.labels, o.frames, o.score, o.env_steps)
