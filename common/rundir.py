"""The output-folder contract shared by every command.

Every command that computes something takes ``--out DIR`` (default
``runs/<command>-<game or task>-<timestamp>``), writes ``DIR/config.json`` (the
resolved configuration, the seed and the library versions) and ``DIR/result.json``
(its metrics), and prints a short human summary.

A run folder has an owner: the command whose ``config.json`` it holds (``"command"``).
:func:`prepare_out` refuses, before anything is written, a folder that holds another
command's run, another run of the same command (unless that command resumes it), files
that are no run at all, and ``--resume`` of a folder that holds no run.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from pathlib import Path
from typing import Any

from common.errors import DistillError


def default_out(command: str, name: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = Path("runs") / f"{command}-{name}-{stamp}"
    n = 2
    while path.exists():  # two runs started in the same second
        path = Path("runs") / f"{command}-{name}-{stamp}-{n}"
        n += 1
    return path


def owner(path: Path) -> str | None:
    """The command whose run ``path`` holds (``config.json``'s ``"command"``), else None."""
    try:
        command = json.loads((path / "config.json").read_text()).get("command")
    except (OSError, ValueError, AttributeError):
        return None
    return command if isinstance(command, str) else None


def check_out(path: Path, command: str, resume: bool | None = None) -> None:
    """Refuse ``path`` as ``command``'s output folder unless it is free (missing or empty)
    or, with ``resume`` True, holds a run of ``command``. ``resume`` None: the command
    cannot resume. Reads only; raises :class:`DistillError` naming the folder."""
    if path.exists() and not path.is_dir():
        raise DistillError(f"--out {path} is a file; give a folder (new or empty)")
    try:
        entries = sorted(p.name for p in path.iterdir()) if path.is_dir() else []
    except OSError as exc:
        raise DistillError(f"--out {path}: not readable ({exc.strerror or exc})") from None
    if not entries:
        if resume:
            state = "is empty" if path.is_dir() else "does not exist"
            raise DistillError(f"--resume: {path} {state}; there is no {command} run to resume "
                               f"(drop --resume to start one)")
        return
    kind = owner(path)
    if kind is None:
        raise DistillError(f"--out {path} holds files but no distill run (no readable config.json); "
                           f"give a new or empty folder")
    if kind != command:
        raise DistillError(f"--out {path} holds a `distill {kind}` run, not a `distill {command}` one; "
                           f"choose another --out")
    if not resume:
        hint = "pass --resume to continue it or choose another --out" if resume is not None \
            else "choose another --out"
        raise DistillError(f"--out {path} already holds a {command} run; {hint}")


def prepare_out(out: str | os.PathLike | None, command: str, name: str,
                resume: bool | None = None) -> Path:
    """Check the output folder (:func:`check_out`), then create it (or check an existing
    one is writable) and return it. ``command`` is the owner that ``config.json`` records."""
    path = Path(out) if out is not None else default_out(command, name)
    check_out(path, command, resume)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise DistillError(f"--out {path}: not writable ({exc.strerror or exc})") from None
    return path


def versions() -> dict[str, str]:
    """Versions of the project and the libraries whose behaviour the numbers depend on."""
    from importlib import metadata

    out = {}
    for dist in ("mcts-distill", "ale-py", "gymnasium", "torch", "numba", "numpy", "mujoco"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, numpy scalars/arrays, paths and non-finite floats -> plain JSON values."""
    import numpy as np

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(path: Path, payload: Any) -> None:
    """Write JSON atomically (temp file + rename), so a killed run never leaves half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(to_jsonable(payload), indent=2) + "\n")
    os.replace(tmp, path)


def write_config(out: Path, command: str, config: Any, seed: int | None) -> None:
    write_json(out / "config.json", {
        "command": command,
        "seed": seed,
        "config": config,
        "versions": versions(),
    })


def write_result(out: Path, result: Any) -> None:
    write_json(out / "result.json", result)
