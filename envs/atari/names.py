"""Game names: ``pong``, ``Pong``, ``ALE/Pong-v5``, ``SpaceInvaders`` and
``space_invaders`` all name the same ROM. A name picks the ROM only; it never brings
in the v5 settings (sticky actions, frame cap): those are :class:`AtariConfig` options.
"""
from __future__ import annotations

import difflib
import functools
import hashlib
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common.errors import DistillError


@functools.lru_cache(maxsize=1)
def list_games() -> tuple[str, ...]:
    """The ROM ids bundled with ale-py (snake_case, e.g. ``space_invaders``), loadable or not."""
    from ale_py import roms

    return tuple(sorted(roms.get_all_rom_ids()))


# Some ROMs that ale-py lists it cannot load (0.12.1: combat, joust): ALE then calls exit()
# and takes the Python process with it. So a ROM is first loaded in a child process; the
# verdict is cached per ale-py version and ROM checksum, in the user's cache folder.
_PROBE = """
import sys
import ale_py
from ale_py import roms
ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Error)
for game in sys.argv[1:]:
    print("load", game, flush=True)
    ale = ale_py.ALEInterface()
    ale.loadROM(roms.get_rom_path(game))
    print("ok", game, len(ale.getMinimalActionSet()), len(ale.getLegalActionSet()), flush=True)
"""


def rom_cache_file() -> Path:
    """``$MCTS_DISTILL_CACHE`` (a folder), else ``$XDG_CACHE_HOME/mcts-distill``, else
    ``~/.cache/mcts-distill``; the file ``rom-check.json`` in it."""
    folder = os.environ.get("MCTS_DISTILL_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mcts-distill"
    return Path(folder) / "rom-check.json"


def _rom_key(game: str) -> str:
    import ale_py
    from ale_py import roms

    digest = hashlib.md5(Path(roms.get_rom_path(game)).read_bytes()).hexdigest()
    return f"ale-py {ale_py.__version__} {game} {digest}"


def _probe(games: list[str]) -> dict[str, dict]:
    """Load ``games`` one after another in child processes, starting a new one after a
    ROM killed its process: {game: {"actions": minimal set size, "all_actions": 18} or
    {"why": what went wrong}}."""
    import ale_py

    verdicts: dict[str, dict] = {}
    todo = list(games)
    while todo:
        proc = subprocess.run([sys.executable, "-c", _PROBE, *todo], capture_output=True, text=True,
                              timeout=600)
        lines = proc.stdout.splitlines()
        for line in lines:
            if line.startswith("ok "):
                _, game, minimal, legal = line.split()
                verdicts[game] = {"actions": int(minimal), "all_actions": int(legal)}
        todo = [g for g in todo if g not in verdicts]
        if proc.returncode == 0 or not todo:
            continue
        if not lines or lines[-1] != f"load {todo[0]}":  # died before loading: not the ROM
            raise DistillError(f"cannot check ale-py's ROMs in a child process "
                               f"(exit {proc.returncode}: {proc.stderr.strip()[-200:]})")
        said = next((ln.strip() for ln in proc.stderr.splitlines() if ln.strip()), "no message")
        said = re.sub(r'\s*"[^"]*"(\([0-9a-f]+\))?', "", said).rstrip(".")  # drop the ROM path
        verdicts[todo.pop(0)] = {"why": f"ale-py {ale_py.__version__} exits when it loads this ROM "
                                        f"({said!r}, exit {proc.returncode})"}
    return verdicts


def rom_verdicts(games: tuple[str, ...] | list[str]) -> dict[str, dict]:
    """{game: {"actions": .., "all_actions": ..}, or {"why": ..} for a ROM that this ale-py
    cannot load}. Unknown ROMs are probed in child processes (in parallel) and cached."""
    keys = {g: _rom_key(g) for g in games}
    path = rom_cache_file()
    try:
        cache = json.loads(path.read_text())
        cache = cache if isinstance(cache, dict) else {}
    except (OSError, ValueError):
        cache = {}
    todo = [g for g in games if not isinstance(cache.get(keys[g]), dict)]
    if todo:
        n = min(len(todo), os.cpu_count() or 1, 4)
        with ThreadPoolExecutor(n) as pool:
            for verdicts in pool.map(_probe, [todo[i::n] for i in range(n)]):
                cache.update({keys[g]: v for g, v in verdicts.items()})
        try:  # a read-only home (CI) only costs the probe again next time
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n")
            os.replace(tmp, path)
        except OSError:
            pass
    return {g: cache[keys[g]] for g in games}


@functools.lru_cache(maxsize=None)
def _problem(game: str) -> str | None:
    return rom_verdicts([game])[game].get("why")


def loadable_games() -> tuple[dict[str, dict], dict[str, str]]:
    """({loadable game: {"actions": .., "all_actions": ..}}, {listed game it cannot load: why})."""
    verdicts = rom_verdicts(list_games())
    return ({g: v for g, v in verdicts.items() if "why" not in v},
            {g: v["why"] for g, v in verdicts.items() if "why" in v})


def _normalise(name: str) -> str:
    name = name.strip()
    name = re.sub(r"^ALE/", "", name)
    name = re.sub(r"-v\d+$", "", name)
    name = re.sub(r"(NoFrameskip|Deterministic)$", "", name)
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)  # CamelCase -> Camel_Case
    return name.lower().replace("-", "_").replace(" ", "_")


def canonical_game(name: str) -> str:
    """Map a user's game name to ale-py's ROM id; unknown names raise with close matches,
    and so does a ROM that ale-py lists but cannot load (checked in a child process)."""
    game = _listed_game(name)
    why = _problem(game)
    if why is not None:
        raise DistillError(f"game {game!r} is listed by ale-py but cannot be played: {why}; "
                           f"`distill games` lists the loadable ones")
    return game


def _listed_game(name: str) -> str:
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
