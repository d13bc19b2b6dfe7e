"""The flag that sets each config field, so that a library :class:`ConfigError` (which
names the field, e.g. ``max_depth``) reaches the user naming the flag (``--depth``).

The library never names a flag; :func:`user_message` is applied once, where ``distill``
prints an error (:func:`distill.cli.main`).
"""
from __future__ import annotations

from common.errors import ConfigError

FLAGS = {
    # the expert (mcts.config)
    "budget": "--sims / --frames-per-decision / --seconds-per-decision",
    "budget.sims": "--sims",
    "budget.frames": "--frames-per-decision",
    "budget.seconds": "--seconds-per-decision",
    "max_depth": "--depth",
    "exploration": "--exploration",
    "gamma": "--gamma",
    "final_action": "--final-action",
    "node_cap": "--node-cap",
    "root_workers": "--root-workers",
    "life_loss_penalty": "--life-loss-penalty",
    "rollout_noise": "--rollout-noise",
    "merge_aliases": "--merge-aliases",
    # the learner-guided planner (mcts.config.GuidanceConfig)
    "guidance": "--rollout-policy / --rollout-epsilon / --rollout-depth / --bootstrap / --value-mix / --selection "
                "/ --c-puct / --lanes / --guided-frames",
    "rollout": "--rollout-policy",
    "rollout_epsilon": "--rollout-epsilon",
    "rollout_depth": "--rollout-depth",
    "bootstrap": "--bootstrap",
    "value_mix": "--value-mix",
    "selection": "--selection",
    "c_puct": "--c-puct",
    "lanes": "--lanes",
    "guidance.frames": "--guided-frames",
    # the algorithm and its learner (imitation.algorithms, imitation.schedules)
    "algorithm": "--algo",
    "beta": "--schedule",
    "lam": "--lambda-schedule",
    "epsilon": "--epsilon",
    "label_every": "--label-every",
    "head": "--head",
    "target": "--target",
    "tau": "--tau",
    "q_weights": "--q-weights",
    # how the work runs (imitation.rounds.Execution)
    "backend": "--backend",
    # distill compare (imitation.compare_atari, imitation.gps.compare)
    "methods": "--methods",
    "labels": "--labels",
    "seeds": "--seeds",
    "conditions": "--conditions",
    "env_steps": "--samples",
    "schedule": "--schedule",
    "lambda_schedule": "--lambda-schedule",
}
"""Config field (as a :class:`ConfigError` names it) -> the flag that sets it."""


def user_message(exc: Exception) -> str:
    """``exc``'s message, with a config field replaced by its flag where one sets it."""
    if isinstance(exc, ConfigError) and exc.field in FLAGS:
        return f"{FLAGS[exc.field]} {exc.problem}"
    return str(exc)
