"""distill: learn real-time policies by imitating a planner (UCT on Atari, DAgger, PLATO, GPS).

One module per command under ``distill.commands``.

Each command module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``. Errors the user can fix raise :class:`DistillError`, which is
printed as one line with a non-zero exit code.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from common.errors import DistillError

# Command modules, in the order ``distill --help`` lists them.
COMMANDS = [
    "games",
    "env_check",
    "plan",
    "bench",
    "train",
    "eval",
    "play",
    "compare",
    "trajopt",
    "mpc",
    "gps",
    "demo",
]


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line reason (its default prints usage too)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="distill", description=__doc__.splitlines()[0],
                     epilog="Run `distill COMMAND --help` for a command's options.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in COMMANDS:
        module = importlib.import_module(f"distill.commands.{module_name}")
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except DistillError as exc:
        print(f"distill {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # e.g. `distill games | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"distill {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
