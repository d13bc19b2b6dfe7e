"""Root-parallel UCT (Chaslot, Winands & van den Herik 2008): W processes, each with its
own emulator and tree, search the same root with seeds derived from (seed, decision,
worker), splitting the budget; their root statistics are summed before choosing.

:func:`make_planner` returns a plain :class:`UCTPlanner` for one worker and a
:class:`RootParallelPlanner` otherwise; both have ``decide(root_state, t)`` and
``close()``. The worker count is part of the expert's configuration: W = 2 is a
different (reproducible) expert from W = 1, not the same one run faster.
"""
from __future__ import annotations

import multiprocessing as mp
from typing import Any, Callable

import numpy as np

from mcts.config import UCTConfig
from mcts.decision import Decision
from mcts.model import Model
from mcts.uct import RootStats, UCTPlanner, choose, decision_of

ModelFactory = Callable[[], Model]


def _worker_loop(conn, model_factory: ModelFactory, config: UCTConfig, seed: int, worker: int) -> None:
    planner = UCTPlanner(model_factory(), config, seed, worker)
    while True:
        msg = conn.recv()
        if msg[0] == "search":
            _, root_state, t = msg
            conn.send(planner.search(root_state, t))
        elif msg[0] == "advance":
            planner.advance(msg[1])
        else:
            conn.send(planner.search_seconds)
            return


class RootParallelPlanner:
    """``config.root_workers`` search processes behind the :class:`UCTPlanner` interface."""

    def __init__(self, model_factory: ModelFactory, config: UCTConfig, seed: int = 0):
        self.config = config
        self.seed = seed
        ctx = mp.get_context("spawn")
        self._conns, self._procs = [], []
        for w in range(config.root_workers):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker_loop, args=(child, model_factory, config, seed, w), daemon=True)
            proc.start()
            self._conns.append(parent)
            self._procs.append(proc)
        self.search_seconds = 0.0

    def decide(self, root_state: Any, t: int) -> Decision:
        for conn in self._conns:
            conn.send(("search", root_state, t))
        stats = [conn.recv() for conn in self._conns]
        visits = np.sum([s.visits for s in stats], axis=0)
        merged = RootStats(visits, np.sum([s.value_sum for s in stats], axis=0),
                           np.sum([s.value_sq for s in stats], axis=0), int(sum(s.frames for s in stats)),
                           int(sum(s.sims for s in stats)), all(s.skipped for s in stats))
        action, q = choose(visits, merged.value_sum, self.config.final_action, self.seed, t)
        for conn in self._conns:
            conn.send(("advance", action))
        return decision_of(action, q, merged)

    def footprint(self) -> None:
        """Not measured: the trees live in the worker processes."""
        return None

    def close(self) -> None:
        seconds = []
        for conn in self._conns:
            try:
                conn.send(("close",))
                seconds.append(conn.recv())
            except (EOFError, BrokenPipeError, OSError):
                pass
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
        self.search_seconds = max(seconds, default=0.0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _InProcess(UCTPlanner):
    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def make_planner(model_factory: ModelFactory, config: UCTConfig, seed: int = 0):
    """A planner with ``decide(root_state, t) -> Decision``, ``close()`` and ``search_seconds``."""
    if config.root_workers == 1:
        return _InProcess(model_factory(), config, seed, 0)
    return RootParallelPlanner(model_factory, config, seed)
