"""The emulator as the planner sees it: restore a state, act with frame skip, no screens.

The planner's hot path lives here, so it is kept to less than a raw Python
``ALEInterface.act`` loop does: per agent step, one ``act`` call that emulates all
``frame_skip`` frames (ALE's own frame skip, set when the ROM is loaded; it sums their
rewards and emulates nothing after a game over), a game-over check and a lives check.
The frame count, rewards, terminals and so the planner's decisions are those of
``frame_skip`` single-frame calls (tested against that loop). The
planner-only conventions of Guo et al.'s atari_uct code are :class:`PlanningConfig`
options: a lost life ends a simulated trajectory, and rewards are clipped to their
sign. A life-loss penalty (Bandres, Bonet & Geffner 2018) is an option, off by default:
with the defaults a lost life is worth 0, the same as a quiet stretch, which at small
budgets leaves the planner indifferent to dying.

Implements the :class:`mcts.model.Model` protocol.
"""
from __future__ import annotations

from dataclasses import dataclass

from common.errors import DistillError
from envs.atari.actions import agent_action_set
from envs.atari.env import AtariSnapshot, new_ale
from envs.atari.names import canonical_game


@dataclass(frozen=True)
class PlanningConfig:
    """What a simulated step means inside the search."""

    frame_skip: int = 4
    life_loss_terminal: bool = True
    clip_rewards: bool = True
    life_loss_penalty: float = 0.0   # added to the (clipped) reward of a step that loses a life
    full_action_space: bool = False
    actions: tuple[str, ...] | None = None     # ALE action names (envs.atari.actions)


class AtariPlanningModel:
    """A private emulator for search. ``step`` returns (reward, terminal).

    ``frames`` counts every emulated frame (the planner's budget and its cost).
    """

    def __init__(self, game: str, config: PlanningConfig = PlanningConfig(), seed: int = 0):
        self.game = canonical_game(game)
        self.config = config
        self.ale = new_ale(self.game, seed, frame_skip=config.frame_skip)
        self.action_set = agent_action_set(self.ale, config.full_action_space, config.actions)
        self.num_actions = len(self.action_set)
        self.key_size = self.ale.getRAMSize()
        self.state_nbytes = len(self.clone_state().serialize())
        self.frames = 0
        self._frame_number = self.ale.getFrameNumber()  # ALE's, restored with a state

    def clone_state(self):
        """A tree node's snapshot. Without ALE's RNG: with ALE's own stickiness off,
        ``act`` draws nothing from it, so replay is exact (tested) at half the size
        (~7.7 KB instead of ~14.4 KB)."""
        return self.ale.cloneState(include_rng=False)

    def restore_state(self, state) -> None:
        self.ale.restoreState(state)
        self._frame_number = self.ale.getFrameNumber()

    @staticmethod
    def state_identity(state) -> bytes:
        """The serialised emulator state (CPU, TIA and RAM): equal bytes, equal futures."""
        return bytes(state.serialize())

    def root_state(self, snap: AtariSnapshot):
        """The emulator state of a real environment's snapshot (the search's root). A
        snapshot of another game is refused (ALE would fail without saying why)."""
        if not isinstance(snap, AtariSnapshot):
            raise TypeError(f"a search starts from an AtariSnapshot (AtariEnv.snapshot()), not {type(snap).__name__}")
        if snap.game != self.game:
            raise DistillError(f"cannot plan on {self.game!r} from a {snap.game!r} snapshot")
        return snap.ale_state

    def step(self, action: int) -> tuple[float, bool]:
        """One agent step: ``frame_skip`` frames of ``action``. Returns (reward, terminal),
        the reward sign-clipped when ``clip_rewards``."""
        ale = self.ale
        lives = ale.lives()
        reward = ale.act(self.action_set[action])  # frame_skip frames
        over = ale.game_over()
        if over:  # the game ended inside the skip: fewer frames were emulated
            emulated = ale.getFrameNumber() - self._frame_number
            self._frame_number += emulated
            n = max(emulated, 1)  # a step from a game over counts one frame, as a Python act loop's
        else:
            n = self.config.frame_skip
            self._frame_number += n
        self.frames += n
        return self._outcome(reward, ale.lives() < lives, over)

    def _outcome(self, reward: float, lost: bool, over: bool) -> tuple[float, bool]:
        """(reward as the planner sees it, terminal) of a step with raw ``reward`` that lost
        a life (``lost``) or ended the game (``over``): the planner-only conventions."""
        terminal = over or (self.config.life_loss_terminal and lost)
        r = float((reward > 0) - (reward < 0)) if self.config.clip_rewards else float(reward)
        if lost:
            r -= self.config.life_loss_penalty
        return r, terminal

    def state_key(self):
        """The RAM, [128] uint8: states with equal RAM are treated as the same (the skip rule)."""
        return self.ale.getRAM()


class ScreenPlanningModel(AtariPlanningModel):
    """The planning model with observations, for a search a network guides
    (:class:`mcts.guided.GuidedUCT`): every state carries its frame stack, made exactly
    as :class:`envs.atari.AtariEnv` makes it (max-pool of a step's last two frames, the
    area resize, the stack), so the network sees in the search what it sees in play.

    A state is ``(ALE state, stack [frame_stack, size, size] uint8)``. A step is
    ``frame_skip`` single-frame ``act`` calls (the screens of the last two are needed);
    rewards, terminals and frame counts are those of :class:`AtariPlanningModel`. (The
    one observation that can differ is that of a game over inside the skip, which the
    environment pools with an earlier step's frame; no search reads a terminal state's.)
    """

    def __init__(self, game: str, config: PlanningConfig = PlanningConfig(), seed: int = 0,
                 screen_size: int = 84, frame_stack: int = 4, max_pool: bool = True):
        import numpy as np

        from envs.atari.env import SCREEN_SHAPE
        from envs.atari.resize import AreaResize

        self.game = canonical_game(game)
        self.config = config
        self.seed = seed
        self.screen = (screen_size, frame_stack, max_pool)
        self.ale = new_ale(self.game, seed, frame_skip=1)
        self.action_set = agent_action_set(self.ale, config.full_action_space, config.actions)
        self.num_actions = len(self.action_set)
        self.key_size = self.ale.getRAMSize()
        self._resize = AreaResize(SCREEN_SHAPE, (screen_size, screen_size))
        self._stack = np.zeros((frame_stack, screen_size, screen_size), np.uint8)
        self._frame = np.zeros(SCREEN_SHAPE, np.uint8)
        self._pool = np.zeros(SCREEN_SHAPE, np.uint8)
        state = self.clone_state()
        self.state_nbytes = len(state[0].serialize()) + state[1].nbytes
        self.frames = 0

    def spawn(self) -> "ScreenPlanningModel":
        """Another emulator of the same game and settings (a rollout lane)."""
        size, stack, pool = self.screen
        return ScreenPlanningModel(self.game, self.config, self.seed, size, stack, pool)

    def clone_state(self):
        return self.ale.cloneState(include_rng=False), self._stack.copy()

    def restore_state(self, state) -> None:
        self.ale.restoreState(state[0])
        self._stack[:] = state[1]

    def root_state(self, snap: AtariSnapshot):
        return super().root_state(snap), snap.stack

    @staticmethod
    def state_identity(state) -> bytes:
        """The serialised emulator state and the frame stack the network would read."""
        return bytes(state[0].serialize()) + state[1].tobytes()

    def observation(self):
        """The current state's frame stack [frame_stack, size, size] uint8 (a view)."""
        return self._stack

    @staticmethod
    def observation_of(state):
        """The frame stack of a snapshot, without restoring it."""
        return state[1]

    def step(self, action: int) -> tuple[float, bool]:
        ale, skip = self.ale, self.config.frame_skip
        lives = ale.lives()
        ale_action = self.action_set[action]
        reward, n = 0, 0
        for i in range(skip):
            if ale.game_over():
                n = max(n, 1)
                break
            reward += ale.act(ale_action)
            n += 1
            if self.screen[2] and i == skip - 2 and not ale.game_over():
                ale.getScreenGrayscale(self._pool)
        over = ale.game_over()
        self.frames += n
        ale.getScreenGrayscale(self._frame)
        self._stack[:-1] = self._stack[1:]
        pooled = self._pool if (self.screen[2] and n == skip and skip > 1) else self._frame
        self._resize(self._frame, pooled, self._stack[-1])
        return self._outcome(reward, ale.lives() < lives, over)
