"""Which actions a game offers the agent: ALE's minimal set (the default, as Guo et al.),
the full set of 18, or a subset named by the user.

A named subset is a design choice the user states, not a discovery. On Pong the fire
button only serves the ball early (it changes the screen at 1% of random-play states:
``scripts/bench_planner.py twins``, README), so ``NOOP,RIGHT,LEFT`` plays the same game
with half the branching: a search spends no budget on the FIRE twins, and its labels do
not split between them.
"""
from __future__ import annotations

from common.errors import DistillError


def parse_action_names(text: str) -> tuple[str, ...]:
    """``"noop,right,left"`` -> ``("NOOP", "RIGHT", "LEFT")``; unknown or repeated names
    are refused in one line that lists ALE's names."""
    import ale_py

    known = [a.name for a in ale_py.Action]
    names = tuple(n.strip().upper() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise DistillError(f"unknown action name(s) {', '.join(unknown) or repr(text)}: "
                           f"ALE's are {', '.join(known)}")
    if len(set(names)) != len(names):
        raise DistillError(f"action names repeat in {text!r}")
    return names


def agent_action_set(ale, full_action_space: bool, names: tuple[str, ...] | None) -> list[int]:
    """The ALE action ints the agent's action indices refer to, for an ``ale`` with its
    game loaded: the named actions in the order given, else the minimal (or full) set."""
    import ale_py

    if names is None:
        actions = ale.getLegalActionSet() if full_action_space else ale.getMinimalActionSet()
        return [int(a.value) for a in actions]
    return [int(ale_py.Action[n].value) for n in names]
