"""Continuous-control tasks with exact state get/set (``pointmass``, ``arm``, ``pendulum``,
``reacher``). ``make_task(name)`` builds one; imports are deferred so that this package
stays light."""
from __future__ import annotations

import difflib
import importlib

TASKS = {
    "pointmass": "envs.control.pointmass:PointMass",
    "arm": "envs.control.arm:Arm",
    "pendulum": "envs.control.pendulum:Pendulum",
    "reacher": "envs.control.reacher:Reacher",
}


class UnknownTaskError(ValueError):
    """A task name that is not in :data:`TASKS`; the message suggests the closest name."""


def task_names() -> list[str]:
    return list(TASKS)


def make_task(name: str):
    """A fresh :class:`envs.control.base.Task` for ``name``."""
    if name not in TASKS:
        close = difflib.get_close_matches(name, TASKS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UnknownTaskError(f"unknown task {name!r}{hint} (tasks: {', '.join(TASKS)})")
    module, cls = TASKS[name].split(":")
    return getattr(importlib.import_module(module), cls)()
