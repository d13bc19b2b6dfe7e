"""Does a restored snapshot replay exactly? The self-check behind ``distill env-check``.

From the state right after reset, and from ``points`` random points of a random
trajectory: snapshot, play ``steps`` random actions recording everything observable,
restore, play the same actions again, and compare at every step the RAM, the raw
screen, the observation, the reward, the lives and the termination flags.

ale-py <= 0.12.1 saves Q*bert's and Tetris's emulator state incompletely (the TIA's
partial-frame flag, fixed in ALE PR #732): the check reports it rather than hiding it,
and the planner refuses such games (:func:`require_exact_replay`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import metadata
from typing import Callable

import numpy as np

from common.errors import DistillError
from envs.atari.env import AtariEnv

FIELDS = ("ram", "screen", "observation", "reward", "lives", "terminated", "truncated")

# Games whose emulator state ale-py <= 0.12.1 does not save completely (ALE PR #732).
KNOWN_INCOMPLETE = {"qbert": "Q*bert", "tetris": "Tetris", "pitfall2": "Pitfall II"}


@dataclass
class Mismatch:
    point: int            # 0 is the state right after reset, 1.. the random points
    trajectory_step: int  # where on the random trajectory the snapshot was taken
    step: int             # first replayed step that differed (0-based)
    fields: list[str]     # which of FIELDS differed there


@dataclass
class CheckReport:
    game: str
    checks: int
    steps_per_check: int
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return not self.mismatches


def _record(env: AtariEnv, actions: np.ndarray) -> list[tuple]:
    out = []
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(int(a))
        out.append((env.ale.getRAM().copy(), env.ale.getScreen().copy(), obs, reward,
                    info["lives"], terminated, truncated))
        if terminated or truncated:
            break
    return out


def _compare(first: list[tuple], second: list[tuple]) -> tuple[int, list[str]] | None:
    """The first step at which two recordings differ and the fields that differ there."""
    for k in range(max(len(first), len(second))):
        if k >= len(first) or k >= len(second):
            return k, ["terminated"]
        diff = [name for name, x, y in zip(FIELDS, first[k], second[k])
                if not (np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y)]
        if diff:
            return k, diff
    return None


def check_determinism(env: AtariEnv, steps: int = 50, points: int = 200, seed: int = 0,
                      progress: Callable[[int], None] | None = None) -> CheckReport:
    """Run the snapshot/replay check on ``env`` (any :class:`AtariEnv`, so a subclass
    with a planted bug can be checked too). ``progress(n)`` is called after each check."""
    if steps <= 0 or points < 0:
        raise DistillError(f"steps must be positive and points >= 0, got {steps}, {points}")
    rng = np.random.default_rng(seed)
    n_actions = env.action_space.n
    report = CheckReport(game=env.game, checks=points + 1, steps_per_check=steps)
    env.reset(seed=seed)
    trajectory_step = 0
    for point in range(points + 1):
        if point > 0:  # walk a random number of steps along the random trajectory
            for _ in range(int(rng.integers(1, 20))):
                _, _, terminated, truncated, _ = env.step(int(rng.integers(n_actions)))
                trajectory_step += 1
                if terminated or truncated:
                    env.reset(seed=int(rng.integers(2**31)))
        snap = env.snapshot()
        actions = rng.integers(n_actions, size=steps)
        first = _record(env, actions)
        env.restore(snap)
        second = _record(env, actions)
        found = _compare(first, second)
        if found is not None:
            report.mismatches.append(Mismatch(point, trajectory_step, found[0], found[1]))
        if first[-1][5] or first[-1][6]:
            env.reset(seed=int(rng.integers(2**31)))
        if progress:
            progress(1)
    return report


def ale_state_is_incomplete(game: str) -> bool:
    """True for games whose saved state the installed ale-py is known to leave incomplete."""
    if game not in KNOWN_INCOMPLETE:
        return False
    version = tuple(int(p) for p in metadata.version("ale-py").split(".")[:3] if p.isdigit())
    return version <= (0, 12, 1)


def require_exact_replay(game: str) -> None:
    """Refuse to plan on a game whose restored states do not replay exactly."""
    if ale_state_is_incomplete(game):
        raise DistillError(
            f"{KNOWN_INCOMPLETE[game]} does not replay exactly from a restored state on ale-py "
            f"{metadata.version('ale-py')} (its saved state misses the TIA partial-frame flag; "
            f"fixed upstream in ALE PR #732), so a planner on it would plan on wrong futures; "
            f"`distill env-check --game {game}` shows the mismatches")
