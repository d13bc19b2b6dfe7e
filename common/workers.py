"""Run independent tasks (episodes) on W local worker processes, with live progress.

Results come back in task order whatever the order workers finish, so the same seeds
give the same outputs for any W. Workers use one torch/BLAS thread each, so W workers
do not oversubscribe the cores. Tasks report progress by calling :func:`report`.

Workers (and the progress queue's manager) end with the process that started them. A
killed parent (``kill PID``, SIGKILL, an out-of-memory kill) never gets to shut its pool
down, and a labelling worker would otherwise play its episode out and write its chunk
into a run folder that a ``--resume`` may already be labelling again.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_mod
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, wait, FIRST_COMPLETED
from multiprocessing.managers import SyncManager
from typing import Any, Callable, Sequence

_progress_queue = None

PARENT_POLL_SECONDS = 0.5


def exit_with_parent(parent: int) -> None:
    """In a child process of ``parent``: exit at once (``os._exit``) as soon as it is gone,
    polled by a daemon thread every :data:`PARENT_POLL_SECONDS`."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _init_worker(q, parent: int) -> None:
    global _progress_queue
    exit_with_parent(parent)
    _progress_queue = q
    single_threaded()


def single_threaded() -> None:
    """Make this worker process run torch on one thread, without importing torch: the
    import takes seconds, and UCT's labelling workers never use it. A torch imported later
    reads OMP_NUM_THREADS; one already imported (by the parent's main module, which a
    spawned worker re-runs) is told directly."""
    os.environ["OMP_NUM_THREADS"] = "1"
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def report(*event: Any) -> None:
    """Send a progress event to the parent (a no-op when running in-process)."""
    if _progress_queue is not None:
        _progress_queue.put(event)


def run_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], workers: int,
              on_event: Callable[..., None] | None = None,
              on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
    """``[fn(t) for t in tasks]`` on ``workers`` processes (in-process when 1).

    ``on_event(*event)`` receives what tasks :func:`report`; ``on_result(i, r)`` is
    called as each task finishes (in completion order), e.g. to write it to disk.
    """
    global _progress_queue
    if workers <= 1:
        results = []
        for i, task in enumerate(tasks):
            _progress_queue = _Direct(on_event)
            try:
                results.append(fn(task))
            finally:
                _progress_queue = None
            if on_result:
                on_result(i, results[-1])
        return results
    ctx = mp.get_context("spawn")
    manager = SyncManager(ctx=ctx)
    manager.start(exit_with_parent, (os.getpid(),))
    q = manager.Queue()
    results: list[Any] = [None] * len(tasks)
    with manager, ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                      initargs=(q, os.getpid())) as pool:
        pending = {pool.submit(fn, t): i for i, t in enumerate(tasks)}
        while pending:
            done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            _drain(q, on_event)
            for fut in done:
                i = pending.pop(fut)
                results[i] = fut.result()
                if on_result:
                    on_result(i, results[i])
        _drain(q, on_event)
    return results


class _Direct:
    def __init__(self, on_event):
        self.on_event = on_event

    def put(self, event):
        if self.on_event:
            self.on_event(*event)


def _drain(q, on_event) -> None:
    while True:
        try:
            event = q.get_nowait()
        except queue_mod.Empty:
            return
        if on_event:
            on_event(*event)
