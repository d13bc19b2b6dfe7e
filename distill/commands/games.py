"""``distill games``: the ALE games that ship with ale-py, with their action counts.

Games that ale-py lists but cannot load (its ROM check kills the process) are left out,
with a count and the reason; each ROM is tried once in a child process (cached).
"""
from __future__ import annotations

import argparse

NAME = "games"
HELP = "list the available Atari games and their action counts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--full-action-space", action="store_true",
                        help="count the full 18-action set instead of each game's minimal set")


def run(args: argparse.Namespace) -> int:
    import sys

    from envs.atari.names import loadable_games

    games, problems = loadable_games()
    print(f"{'game':<24} actions")
    for game, counts in games.items():
        print(f"{game:<24} {counts['all_actions' if args.full_action_space else 'actions']}")
    if problems:
        print(f"{len(games)} games; {len(problems)} that ale-py lists are left out, as it cannot load them:",
              file=sys.stderr)
        for game, why in problems.items():
            print(f"  {game}: {why}", file=sys.stderr)
    return 0
