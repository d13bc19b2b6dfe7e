"""Atari games through ale-py, with exact snapshots for planning.

``AtariEnv`` is the gymnasium environment the agent plays (screens, frame stack,
sticky actions, no-op starts). ``AtariPlanningModel`` is the emulator as the planner
sees it: restore a state, act with frame skip, read no screens.
"""
from envs.atari.names import canonical_game, list_games
from envs.atari.env import AtariConfig, AtariEnv, AtariSnapshot
from envs.atari.planning import AtariPlanningModel, PlanningConfig

__all__ = [
    "AtariConfig", "AtariEnv", "AtariSnapshot", "AtariPlanningModel", "PlanningConfig",
    "canonical_game", "list_games",
]
