"""The Atari environment the agent plays, with exact snapshots.

Preprocessing (Mnih et al. 2015; Machado et al. 2018 for the evaluation protocol),
each part an :class:`AtariConfig` option:

- frame skip (default 4): each agent step repeats the action for ``frame_skip``
  emulator frames and sums the rewards;
- max-pooling over the last two emulator frames of a step (removes Atari flicker);
- an area-averaged resize of the grey screen to ``screen_size`` x ``screen_size``;
- a stack of the last ``frame_stack`` processed frames: observations are
  ``[frame_stack, screen_size, screen_size]`` uint8;
- evaluation options, off by default: up to ``noop_max`` no-op steps after reset,
  sticky actions with probability ``sticky_prob`` (0.25 in Machado et al.), and an
  episode cap of ``max_episode_frames`` emulator frames (108,000 = 30 minutes).

ALE itself always runs with ``repeat_action_probability = 0``: ALE's saved state does
not include the action that stickiness repeats, so restores under ALE's own sticky
actions diverge. Sticky actions are done here instead, per emulator frame, with this
wrapper's own RNG, and the repeated action is part of the snapshot.

:meth:`AtariEnv.snapshot` captures everything the next observations and rewards
depend on: the emulator state with its RNG, the frame stack, the max-pool buffer, the
sticky action and the wrapper's RNG, the lives and the step/frame/episode counters and
the return so far. (The pi-IW authors' published correction came from cloning the
emulator without the frame history.)
"""
from __future__ import annotations

import pickle
import zlib
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from ale_py import roms

from common.errors import DistillError
from envs.atari.actions import agent_action_set
from envs.atari.names import canonical_game
from envs.atari.resize import AreaResize

SCREEN_SHAPE = (210, 160)


@dataclass(frozen=True)
class AtariConfig:
    """Preprocessing options. Defaults are the training protocol; see ``evaluation()``."""

    frame_skip: int = 4
    max_pool: bool = True
    screen_size: int = 84
    frame_stack: int = 4
    full_action_space: bool = False
    actions: tuple[str, ...] | None = None     # ALE action names, e.g. ("NOOP", "RIGHT", "LEFT")
    noop_max: int = 0
    sticky_prob: float = 0.0
    max_episode_frames: int = 108_000

    def __post_init__(self):
        if self.actions is not None:   # a JSON list (a checkpoint's preprocessing) becomes a tuple
            object.__setattr__(self, "actions", tuple(self.actions))
            if self.full_action_space:
                raise DistillError("give full_action_space or named actions, not both")
        for name in ("frame_skip", "screen_size", "frame_stack", "max_episode_frames"):
            if getattr(self, name) <= 0:
                raise DistillError(f"{name} must be positive, got {getattr(self, name)}")
        if self.noop_max < 0:
            raise DistillError(f"noop_max must be >= 0, got {self.noop_max}")
        if not 0.0 <= self.sticky_prob <= 1.0:
            raise DistillError(f"sticky_prob must be in [0, 1], got {self.sticky_prob}")

    @staticmethod
    def evaluation(noop_max: int = 30, sticky: bool = False, **kw) -> "AtariConfig":
        """The evaluation protocol: no-op starts, optional sticky actions (p = 0.25)."""
        return AtariConfig(noop_max=noop_max, sticky_prob=0.25 if sticky else 0.0, **kw)


@dataclass
class AtariSnapshot:
    """Everything the future of an :class:`AtariEnv` depends on. Picklable; the frame
    stack and pool buffer are zlib-compressed when pickled (a Pong snapshot is ~9 KB)."""

    game: str
    ale_state: Any                  # ale_py.ALEState, with its RNG
    stack: np.ndarray               # [frame_stack, size, size] uint8
    pool: np.ndarray                # [210, 160] uint8, the previous emulator frame
    sticky_action: int              # ALE action stickiness repeats
    rng_state: dict                 # the wrapper's RNG (sticky actions, no-ops)
    lives: int
    episode_frames: int
    episode_steps: int
    episode_return: float
    episodes: int

    def __getstate__(self):
        state = dict(self.__dict__)
        for key in ("stack", "pool"):
            arr = state[key]
            state[key] = (arr.shape, zlib.compress(arr.tobytes(), 1))
        return state

    def __setstate__(self, state):
        for key in ("stack", "pool"):
            shape, blob = state[key]
            state[key] = np.frombuffer(zlib.decompress(blob), dtype=np.uint8).reshape(shape).copy()
        self.__dict__.update(state)

    def nbytes_pickled(self) -> int:
        return len(pickle.dumps(self))


def new_ale(game: str, seed: int, frame_skip: int = 1):
    """An ALEInterface with ``game`` loaded, stickiness off and quiet logging. Each
    ``act`` emulates ``frame_skip`` frames (ALE's own setting, fixed at load time) and
    returns their summed reward; frames after a game over are not emulated."""
    import ale_py

    ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Error)  # before construction: no banner
    ale = ale_py.ALEInterface()
    ale.setInt("random_seed", int(seed) % (2**31))
    ale.setFloat("repeat_action_probability", 0.0)
    ale.setInt("frame_skip", int(frame_skip))
    ale.loadROM(roms.get_rom_path(game))
    return ale


class AtariEnv(gym.Env):
    """An ALE game as a gymnasium environment with :meth:`snapshot` / :meth:`restore`.

    Observations: ``[frame_stack, screen_size, screen_size]`` uint8. Actions: indices
    into ``self.action_set`` (the minimal set unless ``full_action_space`` or ``actions``).
    ``info`` has ``lives``, ``episode_frame_number`` and ``episode_return`` (raw).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 15}

    def __init__(self, game: str, config: AtariConfig = AtariConfig(), seed: int = 0,
                 render_mode: str | None = None):
        self.game = canonical_game(game)
        self.config = config
        self.render_mode = render_mode
        self._seed = int(seed)
        self.ale = new_ale(self.game, self._seed)
        self.action_set = agent_action_set(self.ale, config.full_action_space, config.actions)   # ALE ids
        size = config.screen_size
        self.observation_space = gym.spaces.Box(0, 255, (config.frame_stack, size, size), dtype=np.uint8)
        self.action_space = gym.spaces.Discrete(len(self.action_set))
        self._resize = AreaResize(SCREEN_SHAPE, (size, size))
        self._stack = np.zeros((config.frame_stack, size, size), dtype=np.uint8)
        self._pool = np.zeros(SCREEN_SHAPE, dtype=np.uint8)     # previous emulator frame
        self._screen = np.zeros(SCREEN_SHAPE, dtype=np.uint8)   # current emulator frame
        self._rng = np.random.default_rng(self._seed)
        self._sticky_action = 0
        self._lives = self.ale.lives()
        self._episode_frames = 0
        self._episode_steps = 0
        self._episode_return = 0.0
        self._episodes = 0

    # -- gymnasium API -------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self._seed = int(seed)
            self.ale.setInt("random_seed", self._seed % (2**31))
            self.ale.loadROM(roms.get_rom_path(self.game))
            self._rng = np.random.default_rng(self._seed)
        self.ale.reset_game()
        self._episodes += 1
        self._sticky_action = 0
        self._episode_frames = 0
        self._episode_steps = 0
        self._episode_return = 0.0
        self._lives = self.ale.lives()
        self.ale.getScreenGrayscale(self._screen)
        self._pool[:] = self._screen
        self._stack[:] = self._processed(self._stack[-1])
        noops = int(self._rng.integers(1, self.config.noop_max + 1)) if self.config.noop_max else 0
        for _ in range(noops):
            _, _, terminated, _, _ = self.step(0)
            if terminated:
                self.ale.reset_game()
        self._episode_steps = 0
        return self._stack.copy(), self._info()

    def step(self, action: int):
        cfg = self.config
        ale_action = self.action_set[int(action)]
        reward = 0.0
        skip = cfg.frame_skip
        for i in range(skip):
            if cfg.sticky_prob > 0.0 and self._rng.random() < cfg.sticky_prob:
                pass  # repeat the previous frame's action
            else:
                self._sticky_action = ale_action
            reward += self.ale.act(self._sticky_action)
            self._episode_frames += 1
            last = i == skip - 1 or self.ale.game_over()
            if cfg.max_pool and i == skip - 2 and not last:
                self.ale.getScreenGrayscale(self._pool)
            if last:
                break
        self._push_frame()
        self._episode_steps += 1
        self._episode_return += reward
        self._lives = self.ale.lives()
        terminated = self.ale.game_over()
        truncated = not terminated and self._episode_frames >= cfg.max_episode_frames
        return self._stack.copy(), reward, terminated, truncated, self._info()

    def render(self):
        return self.ale.getScreenRGB()

    # -- snapshots -------------------------------------------------------------------
    def snapshot(self) -> AtariSnapshot:
        return AtariSnapshot(
            game=self.game, ale_state=self.ale.cloneState(include_rng=True),
            stack=self._stack.copy(), pool=self._pool.copy(),
            sticky_action=self._sticky_action, rng_state=self._rng.bit_generator.state,
            lives=self._lives, episode_frames=self._episode_frames,
            episode_steps=self._episode_steps, episode_return=self._episode_return,
            episodes=self._episodes,
        )

    def restore(self, snap: AtariSnapshot) -> None:
        if snap.game != self.game:
            raise DistillError(f"cannot restore a {snap.game!r} snapshot into a {self.game!r} environment")
        self.ale.restoreState(snap.ale_state)
        self._stack[:] = snap.stack
        self._pool[:] = snap.pool
        self._sticky_action = snap.sticky_action
        self._rng.bit_generator.state = snap.rng_state
        self._lives = snap.lives
        self._episode_frames = snap.episode_frames
        self._episode_steps = snap.episode_steps
        self._episode_return = snap.episode_return
        self._episodes = snap.episodes

    # -- helpers -----------------------------------------------------------------------
    @property
    def lives(self) -> int:
        return self._lives

    @property
    def episode_return(self) -> float:
        return self._episode_return

    def _processed(self, out: np.ndarray) -> np.ndarray:
        """The current frame, max-pooled with the previous one and resized: [size, size]."""
        other = self._pool if self.config.max_pool else self._screen
        return self._resize(self._screen, other, out)

    def _push_frame(self) -> None:
        self.ale.getScreenGrayscale(self._screen)
        self._stack[:-1] = self._stack[1:]
        self._processed(self._stack[-1])
        if self.config.max_pool:
            self._pool[:] = self._screen  # for a 1-frame skip, pool with this frame next step

    def _info(self) -> dict:
        return {"lives": self._lives, "episode_frame_number": self._episode_frames,
                "episode_return": self._episode_return}
