"""Atari games through ale-py, with exact snapshots for planning.

``AtariEnv`` is the gymnasium environment the agent plays (screens, frame stack,
sticky actions, no-op starts). ``AtariPlanningModel`` is the emulator as the planner
sees it: restore a state, act with frame skip, read no screens.

The names are imported on first use (PEP 562), so that ``canonical_game`` does not
load gymnasium and numba: a command refuses a bad game name fast.
"""
import importlib

_WHERE = {
    "canonical_game": "names", "list_games": "names",
    "AtariConfig": "env", "AtariEnv": "env", "AtariSnapshot": "env",
    "AtariPlanningModel": "planning", "PlanningConfig": "planning", "ScreenPlanningModel": "planning",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"envs.atari.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
