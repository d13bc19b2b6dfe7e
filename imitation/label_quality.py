"""Label quality on a fixed set of states: the quick check (minutes) that chooses an
expert's settings before any hour-long run.

Two comparisons (:func:`imitation.metrics.label_consistency` on the same states):

* ``independent``: two independent labellers, the same expert with seeds ``seed + 1``
  and ``seed + 2``: how much of a label is the search's noise;
* ``larger``: the labeller (``seed + 1``) against one with ``budget_factor`` (16) times
  its budget (``seed + 3``), whose best actions are the reference: how close the labels
  are to what more search would say.

Each is reported as exact-action and joystick-direction agreement, each beside its chance
level (a uniformly random action) and the number of informative states (where the
reference labeller preferred something). The cost comes beside it: the labeller's
emulator frames per decision, its frames per second (wall time: this machine's, not
reproducible) and so its labels per core-hour, 3600 x frames/s / frames per decision.

A guided labeller (``guidance`` with a ``checkpoint``, :class:`mcts.guided.GuidedUCT`)
is measured the same way: the network of the checkpoint guides both labellers and the
larger one, so the check says what expert iteration's labels would be worth with it.

States: every ``stride``-th decision (skipped ones left out) of one episode the expert
plays from ``reset(seed)`` at the labeller's budget and depth but with the default,
independent rollout noise, so that variants of the rollout noise are probed on the same
states. State i is decided as decision i by a fresh expert (no kept subtree), so the
figures do not depend on the number of worker processes.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Callable, Sequence

import numpy as np

from common.errors import ConfigError
from envs.atari import AtariConfig
from imitation.metrics import Consistency, ExpertMaker, label_consistencies
from mcts.config import Budget, GuidanceConfig, UCTConfig


@dataclass(frozen=True)
class LabelQualityConfig:
    """game, env:   the game and the real environment's preprocessing (frame skip, action set);
    uct:            the labeller (a sims or frames budget: the check must be reproducible);
    states:         states probed; stride: steps between them along the sampling episode;
    budget_factor:  the larger labeller's budget over the labeller's;
    seed:           the sampling episode's seed; the labellers use seed + 1, + 2, + 3;
    guidance:       the labellers are guided by the policy in ``checkpoint`` (None: UCT)."""

    game: str
    uct: UCTConfig
    env: AtariConfig = AtariConfig()
    states: int = 40
    stride: int = 10
    budget_factor: int = 16
    seed: int = 0
    guidance: GuidanceConfig | None = None
    checkpoint: str | None = None

    def __post_init__(self):
        if (self.guidance is None) != (self.checkpoint is None):
            raise ConfigError("guidance", "and a checkpoint go together: a guided labeller needs the policy "
                                          "that guides it, and a policy guides only with guidance")
        for name in ("states", "stride", "budget_factor"):
            if getattr(self, name) < 1:
                raise ConfigError(name, f"must be >= 1, got {getattr(self, name)}")
        if not self.uct.budget.reproducible:
            raise ConfigError("budget.seconds", "is not reproducible: label quality needs a sims or frames budget")


def scaled(budget: Budget, factor: int) -> Budget:
    """``budget`` times ``factor`` (a sims or frames budget)."""
    if budget.sims is not None:
        return Budget(sims=budget.sims * factor)
    if budget.frames is not None:
        return Budget(frames=budget.frames * factor)
    raise ConfigError("budget.seconds", "is not reproducible: label quality needs a sims or frames budget")


@dataclass(frozen=True)
class LabelQuality:
    """independent: a labeller against an independent one (same expert, other seed);
    larger:      the larger labeller (first: its Q is the reference) against the labeller;
    frames_per_decision: the labeller's mean emulator frames per decision (both
                 independent labellers' decisions);
    frames_per_second:   its emulator frames per second of decision time (wall clock);
    labels_per_core_hour: 3600 x frames_per_second / frames_per_decision (one labeller
                 runs on one core; root workers would take more)."""

    independent: Consistency
    larger: Consistency
    frames_per_decision: float
    frames_per_second: float
    labels_per_core_hour: float


def compare_labellers(states: Sequence[Any], labeller: ExpertMaker, larger: ExpertMaker,
                      action_set: Sequence[int], seed: int, *, workers: int = 1,
                      on_result: Callable[[int, Any], None] | None = None) -> LabelQuality:
    """The two comparisons on ``states`` (root states, state i decided as decision i):
    ``labeller(seed + 1)`` against ``labeller(seed + 2)``, and ``larger(seed + 3)`` against
    ``labeller(seed + 1)``. A labeller is a picklable maker of a fresh expert from a seed,
    e.g. ``partial(mcts.play.uct_expert, game, env, uct)``."""
    independent, versus_larger = label_consistencies(
        states, [(partial(labeller, seed + 1), partial(labeller, seed + 2)),
                 (partial(larger, seed + 3), partial(labeller, seed + 1))],
        action_set, workers=workers, on_result=on_result)
    frames, seconds = float(independent.frames.sum()), float(independent.seconds.sum())
    per_decision = frames / max(independent.frames.size, 1)
    fps = frames / seconds if seconds > 0 else float("nan")
    per_hour = 3600.0 * fps / per_decision if per_decision > 0 else float("nan")
    return LabelQuality(independent, versus_larger, per_decision, fps, per_hour)


def sample_states(config: LabelQualityConfig, on_state: Callable[[], None] | None = None) -> tuple[list, tuple]:
    """(up to ``config.states`` root states, the action set [A] of ALE ids): every
    ``stride``-th non-skipped decision of the sampling episode (see the module docstring).
    Fewer states come back when the episode ends first."""
    from envs.atari import AtariEnv
    from mcts.episode import Episode, expert_acts
    from mcts.play import uct_expert

    # The sampler never merges, so that variants are probed on the same states. Its skip
    # rule compares the RAM, which a named action set can fool (Pong without FIRE: equal
    # RAM after different moves), so with one it does not skip.
    sampler = replace(config.uct, rollout_noise="independent", merge_aliases=False,
                      skip_rule=config.uct.skip_rule and config.env.actions is None)
    env = AtariEnv(config.game, config.env, seed=config.seed)
    obs, _ = env.reset(seed=config.seed)
    states: list = []
    with uct_expert(config.game, config.env, sampler, config.seed) as planner:
        for turn in Episode(env, obs, expert_acts, expert=planner):
            if not turn.decision.skipped and turn.t % config.stride == 0:
                states.append(turn.state)
                if on_state is not None:
                    on_state()
            if len(states) >= config.states:
                break
    return states, tuple(int(a) for a in env.action_set)


def label_quality(config: LabelQualityConfig, states: Sequence[Any], action_set: Sequence[int], *,
                  workers: int = 1, on_result: Callable[[int, Any], None] | None = None) -> LabelQuality:
    """:func:`compare_labellers` of the UCT labeller ``config.uct`` (no kept tree) and the
    same with ``budget_factor`` times its budget, on ``states`` (:func:`sample_states`)."""
    from mcts.play import uct_expert

    uct, guidance = replace(config.uct, reuse_tree=False), config.guidance
    if guidance is not None and guidance.frames is not None:   # the guided budget is the labeller's
        uct, guidance = replace(uct, budget=Budget(frames=guidance.frames)), replace(guidance, frames=None)
    big = replace(uct, budget=scaled(uct.budget, config.budget_factor))
    if guidance is None:
        makers = [partial(uct_expert, config.game, config.env, u) for u in (uct, big)]
    else:
        makers = [partial(guided_expert, config.game, config.env, u, guidance, config.checkpoint)
                  for u in (uct, big)]
    return compare_labellers(states, *makers, action_set, config.seed, workers=workers, on_result=on_result)


def guided_expert(game: str, env: AtariConfig, uct: UCTConfig, guidance: GuidanceConfig, checkpoint: str,
                  seed: int):
    """A :class:`mcts.guided.GuidedUCT` expert guided by the policy in ``checkpoint`` (on one
    CPU thread, so its labels do not depend on the process), as a context manager."""
    import torch

    from imitation.checkpoint import load_checkpoint
    from mcts.play import uct_expert

    torch.set_num_threads(1)
    policy = load_checkpoint(checkpoint, device="cpu").policy
    return uct_expert(game, env, uct, seed, guidance, policy)
