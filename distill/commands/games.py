"""``distill games``: the ALE games that ship with ale-py, with their action counts."""
from __future__ import annotations

import argparse

NAME = "games"
HELP = "list the available Atari games and their action counts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--full-action-space", action="store_true",
                        help="count the full 18-action set instead of each game's minimal set")


def run(args: argparse.Namespace) -> int:
    from envs.atari.env import new_ale
    from envs.atari.names import list_games

    print(f"{'game':<24} actions")
    for game in list_games():
        ale = new_ale(game, seed=0)
        actions = ale.getLegalActionSet() if args.full_action_space else ale.getMinimalActionSet()
        print(f"{game:<24} {len(actions)}")
    return 0
