"""The expert's flags, identical in ``distill plan``, ``train`` and ``compare``."""
from __future__ import annotations

import argparse

from common.errors import DistillError
from distill.args import nonneg_int, positive_float, positive_int, probability
from mcts.config import ROLLOUT_NOISE, ROLLOUT_POLICIES, SELECTIONS, Budget, GuidanceConfig, UCTConfig

DEFAULT_SIMS = 100
DEFAULT_DEPTH = 50


def add_expert_arguments(parser: argparse.ArgumentParser, sims: int = DEFAULT_SIMS,
                         depth: int = DEFAULT_DEPTH) -> None:
    """The expert's flags; a command may choose other defaults for the budget and depth."""
    g = parser.add_argument_group("expert (UCT planner)")
    budget = g.add_mutually_exclusive_group()
    budget.add_argument("--sims", type=positive_int, default=sims,
                        help=f"new simulations per decision (default {sims} when no other budget is given)")
    budget.add_argument("--frames-per-decision", type=positive_int, default=None, metavar="F",
                        help="emulator frames per decision")
    budget.add_argument("--seconds-per-decision", type=positive_float, default=None, metavar="S",
                        help="wall-clock seconds per decision (results are then NOT reproducible)")
    g.add_argument("--depth", type=positive_int, default=depth,
                   help=f"maximum depth in agent steps from the root, tree and rollout (default {depth})")
    g.add_argument("--root-workers", type=positive_int, default=1,
                   help="root-parallel search processes per decision (part of the expert: default 1)")
    g.add_argument("--exploration", type=float, default=0.1, help="UCB1 constant (default 0.1, atari_uct)")
    g.add_argument("--gamma", type=float, default=0.99, help="discount (default 0.99)")
    g.add_argument("--final-action", choices=("mean", "visits"), default="mean",
                   help="root action: highest mean return (default) or most visited")
    g.add_argument("--no-tree-reuse", action="store_true", help="drop the tree after every decision")
    g.add_argument("--no-skip-rule", action="store_true",
                   help="search even when every action leads to the same next state")
    g.add_argument("--merge-aliases", action="store_true",
                   help="root actions with the same next state (the exact emulator state, reward and "
                        "terminal flag) are searched as one, and labelled as the lowest-numbered")
    g.add_argument("--life-loss-penalty", type=float, default=0.0, metavar="P",
                   help="subtract P from a simulated step that loses a life (default 0, as atari_uct; "
                        "Bandres et al. 2018 penalise)")
    g.add_argument("--rollout-noise", choices=ROLLOUT_NOISE, default="independent",
                   help="independent random rollouts (default, atari_uct) or common random numbers for "
                        "sibling rollouts: the k-th rollout below each root action replays the same ones")
    g.add_argument("--node-cap", type=positive_int, default=50_000,
                   help="most tree nodes kept, each with a ~8 KB snapshot (default 50000)")


def expert_config(args: argparse.Namespace) -> UCTConfig:
    if getattr(args, "actions", None) is not None and not (args.no_skip_rule or args.merge_aliases):
        raise DistillError("--actions needs --merge-aliases or --no-skip-rule: the skip rule otherwise "
                           "compares the RAM, which can be equal one step after moves whose futures differ "
                           "(Pong without FIRE)")
    if args.frames_per_decision is not None:
        budget = Budget(frames=args.frames_per_decision)
    elif args.seconds_per_decision is not None:
        budget = Budget(seconds=args.seconds_per_decision)
    else:
        budget = Budget(sims=args.sims)
    return UCTConfig(budget=budget, exploration=args.exploration, gamma=args.gamma, max_depth=args.depth,
                     final_action=args.final_action, reuse_tree=not args.no_tree_reuse,
                     skip_rule=not args.no_skip_rule, merge_aliases=args.merge_aliases, node_cap=args.node_cap,
                     root_workers=args.root_workers, life_loss_penalty=args.life_loss_penalty,
                     rollout_noise=args.rollout_noise)


def _choice(options: tuple[str, ...]):
    def parse(text: str) -> str:
        if text not in options:
            raise argparse.ArgumentTypeError(f"must be one of {', '.join(options)}, got {text!r}")
        return text
    return parse


def _boolean(text: str) -> bool:
    if text not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"must be true or false, got {text!r}")
    return text == "true"


GUIDANCE_SPEC = {"rollout-policy": ("rollout", _choice(ROLLOUT_POLICIES)),
                 "rollout-epsilon": ("rollout_epsilon", probability),
                 "rollout-depth": ("rollout_depth", nonneg_int),
                 "bootstrap": ("bootstrap", _boolean),
                 "value-mix": ("value_mix", probability),
                 "selection": ("selection", _choice(SELECTIONS)),
                 "c-puct": ("c_puct", positive_float),
                 "lanes": ("lanes", positive_int),
                 "guided-frames": ("frames", positive_int)}
"""Guidance flag name (without --) -> (GuidanceConfig field, the flag's parser): the flags of
:func:`add_guidance_arguments`, and the entries of ``--early-guidance``."""


def add_guidance_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """The flags of a planner guided by a network (:class:`mcts.config.GuidanceConfig`);
    ``what`` says where they apply (help text)."""
    d = GuidanceConfig()
    g = parser.add_argument_group(f"learner-guided planner ({what})")
    g.add_argument("--rollout-policy", choices=ROLLOUT_POLICIES, default=None,
                   help=f"rollouts follow the learner (epsilon-greedy) or are uniformly random (default {d.rollout})")
    g.add_argument("--rollout-epsilon", type=probability, default=None, metavar="E",
                   help=f"a learner rollout's random-action probability (default {d.rollout_epsilon})")
    g.add_argument("--rollout-depth", type=nonneg_int, default=None, metavar="D",
                   help="most steps of a rollout (default: to --depth)")
    g.add_argument("--bootstrap", action=argparse.BooleanOptionalAction, default=None,
                   help="end a rollout cut short with the value head's gamma^n V(s_n)")
    g.add_argument("--value-mix", type=probability, default=None, metavar="LAMBDA",
                   help="a leaf is worth (1 - LAMBDA) V(leaf) + LAMBDA rollout return (AlphaGo); "
                        f"1 = rollouts only, 0 = value only (default {d.value_mix})")
    g.add_argument("--selection", choices=SELECTIONS, default=None,
                   help=f"UCB1, or PUCT with the policy as its prior (default {d.selection})")
    g.add_argument("--c-puct", type=positive_float, default=None, help=f"PUCT's constant (default {d.c_puct})")
    g.add_argument("--lanes", type=positive_int, default=None,
                   help=f"leaves per batch, rolled out in lockstep with one network call per step (default {d.lanes})")
    g.add_argument("--guided-frames", type=positive_int, default=None, metavar="F",
                   help="emulator frames per decision of the guided search (default: the expert's budget)")


def guidance_overrides(text: str) -> dict:
    """``--early-guidance``'s "flag=value,..." (guidance flag names without --) ->
    {GuidanceConfig field: value}; argparse reports a bad entry in one line."""
    out = {}
    for item in text.split(","):
        name, eq, value = item.strip().partition("=")
        if not eq or name not in GUIDANCE_SPEC:
            raise argparse.ArgumentTypeError(f"{item.strip()!r} is not FLAG=VALUE with FLAG one of "
                                             f"{', '.join(GUIDANCE_SPEC)}")
        field, parse = GUIDANCE_SPEC[name]
        try:
            out[field] = parse(value)
        except (argparse.ArgumentTypeError, ValueError) as exc:
            raise argparse.ArgumentTypeError(f"{name}: {exc}") from None
    return out


def guidance_config(args: argparse.Namespace, base: GuidanceConfig = GuidanceConfig()) -> GuidanceConfig | None:
    """``base`` with the guidance flags given; None when none is given."""
    from dataclasses import replace

    given = {field: getattr(args, name.replace("-", "_")) for name, (field, _) in GUIDANCE_SPEC.items()
             if getattr(args, name.replace("-", "_")) is not None}
    return replace(base, **given) if given else None
