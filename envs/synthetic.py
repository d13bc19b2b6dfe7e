"""Small deterministic problems with a known best action, behind the planner's snapshot
interface (:class:`mcts.model.Model`): the planner's tests run on these.

A :class:`FiniteMDP` is a table: ``next_state [S, A]``, ``reward [S, A]`` and
``terminal [S, A]``. Its snapshots are the state index; one step counts as one frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class FiniteMDP:
    next_state: np.ndarray   # [S, A] int64
    reward: np.ndarray       # [S, A] float64
    terminal: np.ndarray     # [S, A] bool
    start: int = 0

    def __post_init__(self):
        self.num_actions = self.next_state.shape[1]
        self.key_size = 8
        self.state_nbytes = 8
        self.frames = 0
        self.state = self.start

    def clone_state(self) -> int:
        return self.state

    def restore_state(self, state: int) -> None:
        self.state = state

    def root_state(self, real: int) -> int:
        """The real state is already a state index."""
        return real

    def step(self, action: int) -> tuple[float, bool]:
        s = self.state
        self.state = int(self.next_state[s, action])
        self.frames += 1
        return float(self.reward[s, action]), bool(self.terminal[s, action])

    @staticmethod
    def state_identity(state: int) -> bytes:
        return np.int64(state).tobytes()

    def state_key(self) -> np.ndarray:
        return np.frombuffer(np.int64(self.state).tobytes(), dtype=np.uint8).copy()

    def observation(self) -> np.ndarray:
        """[1] int64, the state index (what :class:`mcts.guide.TableGuide` reads)."""
        return np.array([self.state], np.int64)

    @staticmethod
    def observation_of(state: int) -> np.ndarray:
        """The observation of a snapshot (a state index), without restoring it."""
        return np.array([state], np.int64)

    def spawn(self) -> "FiniteMDP":
        """Another simulator of the same problem, with its own state and frame count."""
        return FiniteMDP(self.next_state, self.reward, self.terminal, self.start)


def bandit(means: list[float]) -> FiniteMDP:
    """One decision, arm a pays means[a], then the episode ends. Best arm: argmax means."""
    A = len(means)
    return FiniteMDP(next_state=np.ones((2, A), np.int64),
                     reward=np.array([means, [0.0] * A], np.float64),
                     terminal=np.ones((2, A), bool))


def chain(secret: list[int], num_actions: int) -> FiniteMDP:
    """A chain of ``len(secret)`` decisions where only the sequence ``secret`` pays 1 at
    the end; a wrong action drops to an off-path copy of the chain that pays nothing.
    States 0..L-1 are on the path, L..2L-1 off it, 2L is the end."""
    L, A = len(secret), num_actions
    end = 2 * L
    nxt = np.full((2 * L + 1, A), end, np.int64)
    rew = np.zeros((2 * L + 1, A))
    term = np.zeros((2 * L + 1, A), bool)
    for d in range(L):
        last = d == L - 1
        for a in range(A):
            nxt[d, a] = end if last else (d + 1 if a == secret[d] else L + d + 1)
            nxt[L + d, a] = end if last else L + d + 1
            term[d, a] = term[L + d, a] = last
        rew[d, secret[d]] = 1.0 if last else 0.0
    term[end, :] = True
    return FiniteMDP(nxt, rew, term)


def trap(bait: float = 1.0, penalty: float = -1.0, safe: float = 0.5, length: int = 3) -> FiniteMDP:
    """Action 0 pays ``bait`` now, then every step pays ``penalty`` for ``length`` steps;
    action 1 pays 0 now, then ``safe`` per step. Greedy on the first reward loses:
    the best first action is 1. States: 0 start, 1..length trap, length+1..2 length safe."""
    S = 2 * length + 2
    end = S - 1
    nxt = np.full((S, 2), end, np.int64)
    rew = np.zeros((S, 2))
    term = np.zeros((S, 2), bool)
    nxt[0] = [1, length + 1]
    rew[0] = [bait, 0.0]
    for i in range(length):
        last = i == length - 1
        for first, value in ((1, penalty), (length + 1, safe)):
            nxt[first + i] = end if last else first + i + 1
            rew[first + i] = value
            term[first + i] = last
    term[end] = True
    return FiniteMDP(nxt, rew, term)


def shifted(shift: list[float], states: int = 12, seed: int = 0) -> FiniteMDP:
    """The first action a only adds ``shift[a]`` to the return: every first action leads
    to state 1, and from there a random MDP over ``states`` states (state 1..states, never
    terminal) pays 0 or 1 per step, drawn from ``seed``. Q(a) - Q(b) is exactly
    shift[a] - shift[b] for every continuation, so it is the case where paired rollouts
    (common random numbers) recover the shift with no noise."""
    A = len(shift)
    rng = np.random.default_rng(seed)
    nxt = np.empty((states + 1, A), np.int64)
    rew = np.empty((states + 1, A))
    nxt[0], rew[0] = 1, shift
    nxt[1:] = rng.integers(1, states + 1, size=(states, A))
    rew[1:] = rng.integers(0, 2, size=(states, A))
    return FiniteMDP(nxt, rew, np.zeros((states + 1, A), bool))
