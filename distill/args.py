"""Argument types shared by commands: they turn bad numbers into one-line errors."""
from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

from common.errors import DistillError


class Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line reason (its default prints usage too)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message}\n")


def _number(text: str, cast, ok, requirement: str):
    """Parse ``text`` with ``cast``; ``ok(value)`` must hold, else ``requirement`` is the reason."""
    try:
        value = cast(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {requirement}, got {text!r}") from None
    if not ok(value):
        raise argparse.ArgumentTypeError(f"must be {requirement}, got {text}")
    return value


def positive_int(text: str) -> int:
    return _number(text, int, lambda v: v > 0, "a positive integer")


def nonneg_int(text: str) -> int:
    return _number(text, int, lambda v: v >= 0, "an integer >= 0")


def positive_float(text: str) -> float:
    return _number(text, float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")


def probability(text: str) -> float:
    return _number(text, float, lambda v: 0.0 <= v <= 1.0, "a probability in [0, 1]")


def device_name(text: str) -> str:
    """A training device, checked by name before torch is imported: auto, cpu, cuda, cuda:N."""
    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError(f"expected auto, cpu, cuda or cuda:N, got {text!r}")
    return text


def require_file(path: str, flag: str) -> Path:
    """``path`` as a Path, refused (before any heavy import) unless it is a file."""
    p = Path(path)
    if not p.is_file():
        state = "is a folder" if p.is_dir() else "does not exist"
        raise DistillError(f"{flag} {path} {state}; give a file")
    return p


def given(args: argparse.Namespace, *dests: str) -> list[str]:
    """Those of ``dests`` the user typed on the command line (not left at their
    defaults), as flags: ``given(args, "sims")`` -> ``["--sims"]``. ``distill.cli``
    records them in ``args._given``."""
    typed = getattr(args, "_given", frozenset())
    return ["--" + d.replace("_", "-") for d in dests if d in typed]


def action_names(text: str) -> tuple[str, ...]:
    """``--actions noop,right,left``: ALE action names (envs.atari.actions)."""
    from envs.atari.actions import parse_action_names

    try:
        return parse_action_names(text)
    except DistillError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_actions(parser) -> None:
    """``--actions``: the agent's action set, for the planner and the policy alike."""
    parser.add_argument("--actions", type=action_names, default=None, metavar="NAMES",
                        help="the agent's actions, as ALE names, e.g. noop,right,left (default: the "
                             "game's minimal set)")


# The policy networks (imitation.networks.Architecture, named here so that parsing the
# command line imports no torch; tests/distill/test_flags.py checks they agree).
NETWORKS = ("dqn2013", "nature", "compact")


def add_out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="output folder (default: runs/<command>-<name>-<timestamp>)")


def add_seed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=nonneg_int, default=0, help="random seed (default: 0)")
