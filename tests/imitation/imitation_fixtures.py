"""Synthetic planner labels for the imitation tests (no emulator, no planner)."""
from __future__ import annotations

import dataclasses

import numpy as np

from imitation.dataset import EpisodeLabels, LabelSpec

SPEC = LabelSpec(game="Pong", action_set=(0, 1, 3, 4, 11, 12),
                 preprocessing={"frame_skip": 4, "frame_stack": 4, "size": 84, "noop_max": 30},
                 obs_shape=(4, 84, 84))


def synthetic_episode(round: int, episode: int, spec: LabelSpec = SPEC, seed: int = 0,
                      untried: float = 0.2, max_pixel: int = 8,
                      margin: float = 0.0) -> EpisodeLabels:
    """A deterministic function of (round, episode, seed): 10-29 labelled states with
    random frames with pixels below ``max_pixel`` (low contrast compresses fast), NaN for a fraction ``untried`` of the Q-values (never a
    whole row), the action = argmax Q, ahead of the
    others by at least ``margin``."""
    rng = np.random.default_rng([seed, round, episode])
    n, A = int(rng.integers(10, 30)), spec.num_actions
    q = rng.normal(size=(n, A)).astype(np.float32)
    q[rng.random((n, A)) < untried] = np.nan
    q[:, 0] = np.where(np.isnan(q).all(axis=1), 0.0, q[:, 0])
    action = np.nanargmax(q, axis=1).astype(np.int64)
    q[np.arange(n), action] += margin  # a clear best action, for regression to find
    return EpisodeLabels(
        round=round, episode=episode, seed=seed,
        obs=rng.integers(0, max_pixel, size=(n, *spec.obs_shape), dtype=np.uint8),
        action=action, q=q, visits=rng.integers(0, 50, size=(n, A)),
        step=np.arange(n, dtype=np.int64) * 2, executed=np.where(rng.random(n) < 0.3, 0, action),
        frames=rng.integers(100, 200, size=n), score=float(rng.integers(-21, 21)),
        env_steps=2 * n, lives_lost=int(rng.integers(0, 3)), terminated=bool(rng.random() < 0.5))


def assert_episodes_equal(a: EpisodeLabels, b: EpisodeLabels) -> None:
    """Every field of the schema's EpisodeLabels equal (arrays exactly, NaN == NaN)."""
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
            assert x.dtype == y.dtype, f.name
        else:
            assert x == y, f.name
