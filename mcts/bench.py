"""Planner benchmarks: ratios measured within one run, on one core.

- :func:`emulator_efficiency`: planner emulator frames per second during search over
  the frames per second of two raw loops (restore a snapshot, then uniformly random
  actions with frame skip 4 to the same depth or a lost life, plain Python, no
  screens): four single-frame ``ALEInterface.act`` calls per step, and one call on an
  ALE with its own ``frame_skip`` 4 (what the planner's model does). The three
  alternate decision by decision so machine noise hits them alike.
- :func:`kernel_microseconds`: the Numba kernels' cost per simulation (select + backup
  on a grown tree, and expand).
- :func:`versus_plain`: the array planner against :class:`mcts.plain_uct.PlainUCT` at
  the same budget and seed: identical actions, and the wall-time ratio.
- :func:`root_parallel_scaling`: decisions per second with W root workers over W = 1.
- :func:`root_aliases`: how often root actions are exact aliases (``--merge-aliases``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from envs.atari import AtariEnv, AtariPlanningModel
from envs.atari.env import new_ale
from mcts.config import Budget, UCTConfig
from mcts.parallel import make_planner
from mcts.plain_uct import PlainUCT
from mcts.play import planning_model_factory
from mcts.tree import backup, select
from mcts.uct import UCTPlanner


def _trajectory_roots(game: str, n: int, seed: int, warmup: int = 60) -> list:
    """n emulator states along a random-play trajectory, after ``warmup`` steps."""
    env = AtariEnv(game, seed=seed)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    roots = []
    for i in range(warmup + n):
        if i >= warmup:
            roots.append(env.snapshot())
        _, _, terminated, truncated, _ = env.step(int(rng.integers(env.action_space.n)))
        if terminated or truncated:
            env.reset()
    return roots


def _raw_rollouts(ale, actions: list[int], root, n_rollouts: int, depth: int, rng, calls: int) -> int:
    """The raw loop: restore, then frame-skip-4 random actions to ``depth``, ending a
    rollout where the planner's would end (game over, or a lost life: the planner's
    rollouts stop there, and the frames after a death cost differently). ``calls`` 4:
    four single-frame ``act`` calls per step (``ale`` without frame skip); 1: one call
    (``ale`` loaded with ``frame_skip`` 4). Returns frames (4 per step)."""
    A = len(actions)
    frames = 0
    for _ in range(n_rollouts):
        ale.restoreState(root)
        lives = ale.lives()
        for a in rng.integers(A, size=depth).tolist():
            act = actions[a]
            for _ in range(calls):
                ale.act(act)
            frames += 4
            if ale.game_over() or ale.lives() < lives:
                break
    return frames


@dataclass
class Efficiency:
    """Frames per second; ``efficiency`` is planner / raw (4 calls per step),
    ``efficiency_one_call`` planner / raw (1 call per step, ALE's frame skip)."""
    game: str
    planner_fps: float
    raw_fps: float
    efficiency: float
    raw_one_call_fps: float
    efficiency_one_call: float
    decisions: int
    sims_per_decision: int
    depth: int


def emulator_efficiency(game: str, decisions: int = 20, sims: int = 50, depth: int = 50, seed: int = 0) -> Efficiency:
    roots = _trajectory_roots(game, decisions, seed)
    model = AtariPlanningModel(game)
    planner = UCTPlanner(model, UCTConfig(budget=Budget(sims=sims), max_depth=depth, reuse_tree=False), seed)
    planner.decide(roots[0], 0)   # warm the JIT cache
    raw4, raw1 = new_ale(game, seed, frame_skip=1), new_ale(game, seed, frame_skip=4)
    rng4, rng1 = np.random.default_rng(seed), np.random.default_rng(seed)  # the same actions
    t_plan = t_raw = t_one = 0.0
    f_plan = f_raw = f_one = 0
    for t, root in enumerate(roots):
        t0 = time.perf_counter()
        d = planner.decide(root, t)
        t1 = time.perf_counter()
        f_raw += _raw_rollouts(raw4, model.action_set, root.ale_state, sims, depth, rng4, calls=4)
        t2 = time.perf_counter()
        f_one += _raw_rollouts(raw1, model.action_set, root.ale_state, sims, depth, rng1, calls=1)
        t3 = time.perf_counter()
        t_plan += t1 - t0
        t_raw += t2 - t1
        t_one += t3 - t2
        f_plan += d.frames
    planner_fps, raw_fps, one_fps = f_plan / t_plan, f_raw / t_raw, f_one / t_one
    return Efficiency(game, planner_fps, raw_fps, planner_fps / raw_fps, one_fps, planner_fps / one_fps,
                      decisions, sims, depth)


@dataclass
class KernelCost:
    select_backup_us: float
    expand_us: float
    tree_nodes: int


def kernel_microseconds(game: str = "pong", sims: int = 400, depth: int = 30, repeats: int = 20_000) -> KernelCost:
    """Kernel cost per simulation on a realistic tree grown by a real search."""
    roots = _trajectory_roots(game, 1, 0)
    planner = UCTPlanner(AtariPlanningModel(game), UCTConfig(budget=Budget(sims=sims), max_depth=depth,
                                                             reuse_tree=False), 0)
    planner.search(roots[0], 0)
    tree = planner.tree
    args = (tree.children, tree.visits, tree.value_sum, tree.terminal)
    rng = np.random.default_rng(0)
    us = rng.random(repeats)
    t0 = time.perf_counter()
    for u in us:
        node, _, _ = select(*args, 0, depth, 0.1, u)
        backup(tree.parent, tree.reward, tree.visits, tree.value_sum, tree.value_sq, node, 0, 0.0, 0.99)
    t1 = time.perf_counter()
    from mcts.tree import Tree
    fresh = Tree(planner.model.num_actions, planner.model.key_size, repeats + 1, initial_capacity=repeats + 1)
    key = np.zeros(fresh.K, np.uint8)
    fresh.reset(None, key)
    t2 = time.perf_counter()
    for i in range(repeats):
        fresh.add(i // fresh.A if i else 0, i % fresh.A, 0.0, False, None, key)
    t3 = time.perf_counter()
    return KernelCost((t1 - t0) / repeats * 1e6, (t3 - t2) / repeats * 1e6, tree.n)


@dataclass
class VersusPlain:
    game: str
    decisions: int
    identical_actions: bool
    array_seconds: float
    plain_seconds: float
    speedup: float


def versus_plain(game: str, decisions: int = 15, sims: int = 100, depth: int = 20, seed: int = 0) -> VersusPlain:
    """Same seed, same budget, along one trajectory: the same choices, and how much faster."""
    config = UCTConfig(budget=Budget(sims=sims), max_depth=depth)
    env = AtariEnv(game, seed=seed)
    env.reset(seed=seed)
    for _ in range(60):
        env.step(0)
    fast = UCTPlanner(AtariPlanningModel(game), config, seed)
    slow = PlainUCT(AtariPlanningModel(game), config, seed)
    fast.decide(env.snapshot(), 10**6)   # warm the JIT
    fast.tree.n = 0
    identical = True
    t_fast = t_slow = 0.0
    for t in range(decisions):
        root = env.snapshot()
        t0 = time.perf_counter()
        d1 = fast.decide(root, t)
        t1 = time.perf_counter()
        d2 = slow.decide(root, t)
        t2 = time.perf_counter()
        t_fast += t1 - t0
        t_slow += t2 - t1
        identical &= d1.action == d2.action and np.array_equal(d1.visits, d2.visits)
        env.step(d1.action)
    return VersusPlain(game, decisions, bool(identical), t_fast, t_slow, t_slow / t_fast)


@dataclass
class Scaling:
    workers: list[int]
    decisions_per_second: list[float]
    ratio_to_one: list[float]


def root_parallel_scaling(game: str, workers: list[int], decisions: int = 10, sims: int = 64,
                          depth: int = 30, seed: int = 0) -> Scaling:
    """The total budget is split among W workers, so a decision should take ~1/W as long."""
    roots = _trajectory_roots(game, decisions + 1, seed)
    env_config = AtariEnv(game).config
    rates = []
    for w in workers:
        config = UCTConfig(budget=Budget(sims=sims), max_depth=depth, root_workers=w, reuse_tree=False)
        with make_planner(planning_model_factory(game, env_config, config, seed), config, seed) as planner:
            planner.decide(roots[0], 0)   # process start-up and JIT warm-up, not timed
            t0 = time.perf_counter()
            for t, root in enumerate(roots[1:]):
                planner.decide(root, t + 1)
            rates.append(decisions / (time.perf_counter() - t0))
    return Scaling(workers, rates, [r / rates[0] for r in rates])


@dataclass
class EqualTime:
    game: str
    seconds_per_decision: float
    steps: int
    array_score: float
    plain_score: float
    array_frames_per_decision: float
    plain_frames_per_decision: float


def equal_time_scores(game: str, seconds: float, steps: int, depth: int = 30, seed: int = 0) -> EqualTime:
    """Both planners under the same wall-clock budget per decision, each playing its own
    game for ``steps`` steps (not reproducible: wall-clock budgets never are)."""
    config = UCTConfig(budget=Budget(seconds=seconds), max_depth=depth)
    out = []
    for planner_cls in (UCTPlanner, PlainUCT):
        env = AtariEnv(game, seed=seed)
        env.reset(seed=seed)
        planner = planner_cls(AtariPlanningModel(game), config, seed)
        score, frames = 0.0, 0
        for t in range(steps):
            d = planner.decide(env.snapshot(), t)
            frames += d.frames
            _, r, terminated, truncated, _ = env.step(d.action)
            score += r
            if terminated or truncated:
                break
        out.append((score, frames / (t + 1)))
    return EqualTime(game, seconds, steps, out[0][0], out[1][0], out[0][1], out[1][1])


@dataclass
class RootAliases:
    """How often root actions are exact aliases (``UCTConfig.merge_aliases``) along a
    game the merging planner plays.

    decisions:      decisions searched (skipped ones left out).
    with_alias:     the fraction of them where at least one root action is an alias.
    alias_share:    the mean fraction of root actions that are aliases, the share of
                    root branches an unmerged search spends on a duplicate.
    groups:         the most common representative arrays [A] (as lists) and their counts.
    """

    game: str
    action_set: list[int]
    decisions: int
    with_alias: float
    alias_share: float
    groups: list[tuple[list[int], int]]
    frames_per_decision: int
    depth: int


def root_aliases(game: str, decisions: int, frames: int, depth: int, life_loss_penalty: float = 0.0,
                 seed: int = 0) -> RootAliases:
    """Play ``decisions`` steps (18,000-frame cap) with the merging planner and count its
    root aliases."""
    from collections import Counter

    from envs.atari import AtariConfig
    from mcts.episode import Episode, expert_acts
    from mcts.play import uct_expert

    env_config = AtariConfig(max_episode_frames=18_000)
    config = UCTConfig(budget=Budget(frames=frames), max_depth=depth, merge_aliases=True,
                       life_loss_penalty=life_loss_penalty)
    env = AtariEnv(game, env_config, seed=seed)
    obs, _ = env.reset(seed=seed)
    groups: Counter = Counter()
    shares = []
    with uct_expert(game, env_config, config, seed) as planner:
        for turn in Episode(env, obs, expert_acts, expert=planner):
            if not turn.decision.skipped:
                rep = planner.root_rep
                groups[tuple(rep.tolist())] += 1
                shares.append(float(np.mean(rep != np.arange(len(rep)))))
            if turn.t + 1 >= decisions:
                break
    shares = np.array(shares)
    return RootAliases(game, [int(a) for a in env.action_set], len(shares), float(np.mean(shares > 0)),
                       float(np.mean(shares)), [(list(g), n) for g, n in groups.most_common(5)], frames, depth)


@dataclass
class ActionTwins:
    """How often two actions of the minimal set change the game differently, at states
    along a random-play game (what ``--actions`` can rely on, and what it cannot).

    action_set:  [A] ALE action ints; names: [A] their names.
    differ:      [A][A] the fraction of probed states where the two actions' futures
                 (screens, rewards, lives, game over; each action once, then one shared
                 random continuation of ``steps`` steps) differ.
    ram_alike:   [A][A] the fraction where the futures differ though the RAM one step
                 after each action is equal (a RAM skip rule would call them the same).
    """

    game: str
    action_set: list[int]
    names: list[str]
    states: int
    steps: int
    differ: list[list[float]]
    ram_alike: list[list[float]]


def action_twins(game: str, states: int = 64, steps: int = 32, stride: int = 20, seed: int = 0) -> ActionTwins:
    """Probe ``states`` states ``stride`` random steps apart (frame skip 4, no screens kept)."""
    import hashlib

    import ale_py

    ale = new_ale(game, seed, frame_skip=4)
    actions = [int(a.value) for a in ale.getMinimalActionSet()]
    A = len(actions)
    rng = np.random.default_rng(seed)
    differ, ram_alike = np.zeros((A, A)), np.zeros((A, A))
    probed = 0
    while probed < states:
        for _ in range(stride):
            if ale.game_over():
                ale.reset_game()
            ale.act(actions[rng.integers(A)])
        if ale.game_over():
            continue
        state = ale.cloneState(include_rng=False)
        continuation = [actions[i] for i in rng.integers(A, size=steps)]
        futures, rams = [], []
        for a in actions:
            ale.restoreState(state)
            digest = hashlib.blake2b(digest_size=16)
            for i, b in enumerate([a, *continuation]):
                reward = ale.act(b)
                if i == 0:
                    rams.append(ale.getRAM().tobytes())
                digest.update(np.array([reward, ale.lives(), ale.game_over()], np.int64).tobytes())
                digest.update(ale.getScreen().tobytes())
            futures.append(digest.digest())
        ale.restoreState(state)
        d = np.array([[futures[i] != futures[j] for j in range(A)] for i in range(A)])
        same_ram = np.array([[rams[i] == rams[j] for j in range(A)] for i in range(A)])
        differ += d
        ram_alike += d & same_ram
        probed += 1
    names = [ale_py.Action(a).name for a in actions]
    return ActionTwins(game, actions, names, states, steps, (differ / states).round(3).tolist(),
                       (ram_alike / states).round(3).tolist())

