"""Wrapper overhead: AtariEnv.step against a raw ALEInterface.act loop doing the same work.

Both loops play the same uniformly random actions with frame skip 4, grab the grey
screens of the last two frames, max-pool and resize them to 84x84 with the same kernel
and shift a 4-frame stack. They alternate in blocks within one run on one core, so
machine noise hits both alike. Reports overhead = wrapper time / raw time - 1.

    python scripts/bench_wrapper.py --game pong --steps 20000
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from envs.atari import AtariEnv
from envs.atari.env import SCREEN_SHAPE, new_ale
from envs.atari.resize import AreaResize


def raw_block(ale, action_set, actions, resize, stack, pool, screen):
    for a in actions:
        ale_action = action_set[a]
        for i in range(4):
            ale.act(ale_action)
            if i == 2:
                ale.getScreenGrayscale(pool)
        ale.getScreenGrayscale(screen)
        stack[:-1] = stack[1:]
        resize(screen, pool, stack[-1])
        obs = stack.copy()
        if ale.game_over():
            ale.reset_game()
    return obs


def env_block(env, actions):
    for a in actions:
        obs, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            env.reset()
    return obs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", default="pong")
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--block", type=int, default=500)
    args = parser.parse_args()

    env = AtariEnv(args.game, seed=0)
    env.reset(seed=0)
    ale = new_ale(env.game, seed=0)
    ale.reset_game()
    resize = AreaResize(SCREEN_SHAPE, (84, 84))
    stack = np.zeros((4, 84, 84), np.uint8)
    pool, screen = np.zeros(SCREEN_SHAPE, np.uint8), np.zeros(SCREEN_SHAPE, np.uint8)
    rng = np.random.default_rng(0)
    env_block(env, [0] * 10)
    raw_block(ale, env.action_set, [0] * 10, resize, stack, pool, screen)  # JIT warm-up

    t_raw = t_env = 0.0
    for _ in range(args.steps // args.block):
        actions = [int(a) for a in rng.integers(env.action_space.n, size=args.block)]
        t0 = time.perf_counter()
        raw_block(ale, env.action_set, actions, resize, stack, pool, screen)
        t1 = time.perf_counter()
        env_block(env, actions)
        t2 = time.perf_counter()
        t_raw += t1 - t0
        t_env += t2 - t1
    n = (args.steps // args.block) * args.block
    print(f"game={env.game} steps={n} raw={n / t_raw:.0f} steps/s wrapper={n / t_env:.0f} steps/s "
          f"overhead={t_env / t_raw - 1:+.1%}")


if __name__ == "__main__":
    main()
