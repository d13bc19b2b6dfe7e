"""Game names: ``pong``, ``Pong``, ``ALE/Pong-v5``, ``SpaceInvaders`` and
``space_invaders`` all name the same ROM. A name picks the ROM only; it never brings
in the v5 settings (sticky actions, frame cap): those are :class:`AtariConfig` options.
"""
from __future__ import annotations

import difflib
import functools
import re

from common.errors import DistillError


@functools.lru_cache(maxsize=1)
def list_games() -> tuple[str, ...]:
    """The ROM ids bundled with ale-py (snake_case, e.g. ``space_invaders``)."""
    from ale_py import roms

    return tuple(sorted(roms.get_all_rom_ids()))


def _normalise(name: str) -> str:
    name = name.strip()
    name = re.sub(r"^ALE/", "", name)
    name = re.sub(r"-v\d+$", "", name)
    name = re.sub(r"(NoFrameskip|Deterministic)$", "", name)
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)  # CamelCase -> Camel_Case
    return name.lower().replace("-", "_").replace(" ", "_")


def canonical_game(name: str) -> str:
    """Map a user's game name to ale-py's ROM id; unknown names raise with close matches."""
    games = list_games()
    key = _normalise(name)
    if key in games:
        return key
    squashed = {g.replace("_", ""): g for g in games}
    if key.replace("_", "") in squashed:
        return squashed[key.replace("_", "")]
    close = difflib.get_close_matches(key, games, n=4, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else "; `distill games` lists them"
    raise DistillError(f"unknown game {name!r}{hint}")
