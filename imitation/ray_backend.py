"""The labelling tasks on a Ray cluster (``--backend ray [--ray-address ADDR]``).

The same task function as the local workers runs as a Ray task with one CPU per
root-parallel search process; the learner's weights go into Ray's object store once per
round and every task reads them from there. Results come back to the driver, which
writes them to the dataset as they complete, so the cluster needs no shared disk (the
nodes need this package installed). Ray is the optional extra ``ray``.

If Ray is already initialised (a test's local single-node Ray, an interactive session)
it is used as is; otherwise this connects to ``address`` (None starts a local Ray) and
shuts down afterwards.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from common.errors import ConfigError, DistillError


def _ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("backend", "ray needs Ray: pip install 'mcts-distill[ray]'") from None
    return ray


def _single_threaded(fn: Callable, task: Any, shared: Any) -> Any:
    from common.workers import single_threaded

    single_threaded()
    return fn(task, shared)


def map_on_ray(fn: Callable[[Any, Any], Any], tasks: Sequence[Any], shared: Any, *,
               address: str | None = None, num_cpus: int = 1,
               on_result: Callable[..., Any] | None = None) -> list[Any]:
    """``[fn(t, shared) for t in tasks]`` as Ray tasks of ``num_cpus`` CPUs each.

    ``fn`` must return a tuple; as each task finishes (in completion order),
    ``on_result(i, *returned)`` is called and its value is kept instead of the task's
    (so large results can be written to disk and dropped). Returns the kept values in
    task order.
    """
    ray = _ray()
    started = False
    if not ray.is_initialized():
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=True)
        except Exception as exc:  # connection errors come in many types
            raise DistillError(f"cannot start or reach Ray at {address or 'a new local instance'}: "
                               f"{type(exc).__name__}: {exc}".splitlines()[0]) from None
        started = True
    try:
        remote = ray.remote(num_cpus=num_cpus, max_retries=0)(_single_threaded)
        shared_ref = ray.put(shared)
        pending = {remote.remote(fn, task, shared_ref): i for i, task in enumerate(tasks)}
        results: list[Any] = [None] * len(tasks)
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                i = pending.pop(ref)
                try:
                    value = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:
                    cause = exc.cause if isinstance(getattr(exc, "cause", None), Exception) else None
                    if isinstance(cause, DistillError):
                        raise cause from None
                    raise
                results[i] = on_result(i, *value) if on_result is not None else value
        return results
    finally:
        if started:
            ray.shutdown()
