"""The output-folder contract shared by every command.

Every command that computes something takes ``--out DIR`` (default
``runs/<command>-<game or task>-<timestamp>``), writes ``DIR/config.json`` (the
resolved configuration, the seed and the library versions) and ``DIR/result.json``
(its metrics), and prints a short human summary.
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
    return Path("runs") / f"{command}-{name}-{stamp}"


def prepare_out(out: str | os.PathLike | None, command: str, name: str) -> Path:
    """Create the output folder (or check an existing one is writable) and return it."""
    path = Path(out) if out is not None else default_out(command, name)
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
