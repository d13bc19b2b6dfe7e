"""distill: learn real-time policies by imitating a planner (UCT on Atari, DAgger, PLATO, GPS).

One module per command under ``distill.commands``.

Each command module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``; it imports torch, ray, gymnasium or the emulator inside ``run``
only, after its cheap checks, so that refused input and ``--help`` are answered fast.
Errors the user can fix raise :class:`DistillError`, which is printed as one line.

Exit codes: 0 success; 1 a check that found a problem (``env-check`` mismatches);
2 refused input (arguments, files, checkpoints, corrupt label chunks, run folders).
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from common.errors import DistillError
from distill.args import Parser

# Command modules, in the order ``distill --help`` lists them.
COMMANDS = [
    "games",
    "env_check",
    "plan",
    "bench",
    "train",
    "eval",
    "compress",
    "play",
    "compare",
    "trajopt",
    "mpc",
    "gps",
    "demo",
]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="distill", description=__doc__.splitlines()[0],
                     epilog="Run `distill COMMAND --help` for a command's options.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module_name in COMMANDS:
        module = importlib.import_module(f"distill.commands.{module_name}")
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run, _name=module.NAME, _parser=p)
    return parser


def _typed_flags(parser: argparse.ArgumentParser, command: argparse.ArgumentParser,
                 argv: list[str] | None) -> frozenset[str]:
    """The destinations of the options typed in ``argv`` (not left at their defaults):
    ``argv`` parsed again with every default of ``command`` suppressed."""
    saved = [(action, action.default) for action in command._actions]
    try:
        for action, _ in saved:
            action.default = argparse.SUPPRESS
        typed = parser.parse_args(argv)
    finally:
        for action, default in saved:
            action.default = default
    return frozenset(k for k in vars(typed) if not k.startswith("_") and k != "command")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    args._given = _typed_flags(parser, args._parser, argv)
    try:
        if getattr(args, "out", None) is not None:  # before any heavy import: a refused folder is untouched
            from common.rundir import check_out

            check_out(Path(args.out), args._name, getattr(args, "resume", None))
        return int(args._run(args) or 0)
    except DistillError as exc:
        from distill.flags import user_message

        print(f"distill {args.command}: error: {user_message(exc)}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # e.g. `distill games | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"distill {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
