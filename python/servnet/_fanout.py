"""Fan-out of independent solves over any ``concurrent.futures.Executor`` (a thread or
process pool, ``distributed.Client.get_executor()``): the worker functions (module
level, so they pickle by reference) and :func:`run_all`, which returns results in the
order the jobs were given (ids, never completion order).

Everything a job carries pickles: ``Network``, ``PlanningData``, ``Tickets``, the
forecast and plan cores serialise as JSON; paths travel as strings, so with a remote
cluster they must name files the workers can read. The large inputs shared by every
job of a sweep are pickled once in the caller (:func:`pack`) and unpickled once per
worker process (:func:`unpack` keeps the last few by digest): pickling the sample's
``Network`` takes about a second, too much to repeat per job.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Callable, List, Optional, Sequence, Tuple

from servnet import _servnet


def check_executor(executor: Any) -> None:
    """Refuses anything that is not an Executor (or None), naming the argument."""
    if executor is not None and not isinstance(executor, Executor) and not (
            callable(getattr(executor, "submit", None))):
        raise TypeError("executor: expected a concurrent.futures.Executor (e.g. "
                        "ThreadPoolExecutor, ProcessPoolExecutor or "
                        f"distributed.Client.get_executor()), got {type(executor).__name__}")


class Packed:
    """An input pickled once, named by the SHA-256 of its bytes."""

    __slots__ = ("key", "blob")

    def __init__(self, key: str, blob: bytes) -> None:
        self.key = key
        self.blob = blob

    def __reduce__(self) -> Any:
        return (Packed, (self.key, self.blob))


_CACHE: "OrderedDict[str, Any]" = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 8


def pack(executor: Optional[Any], obj: Any) -> Any:
    """``obj`` as a job argument: unchanged serially, on a thread pool, or when it is
    None or a path; else pickled once (:class:`Packed`)."""
    if executor is None or isinstance(executor, ThreadPoolExecutor) or obj is None \
            or isinstance(obj, (str, bytes, int, float)):
        return obj
    blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return Packed(hashlib.sha256(blob).hexdigest(), blob)


def unpack(v: Any) -> Any:
    """The object behind a :class:`Packed` argument (unpickled once per process)."""
    if not isinstance(v, Packed):
        return v
    with _CACHE_LOCK:
        hit = _CACHE.get(v.key)
        if hit is not None:
            _CACHE.move_to_end(v.key)
            return hit
    obj = pickle.loads(v.blob)
    with _CACHE_LOCK:
        _CACHE[v.key] = obj
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return obj


def run_all(executor: Optional[Any], fn: Callable[..., Any], jobs: Sequence[Tuple[Any, ...]],
            on_done: Optional[Callable[[int], None]] = None) -> List[Any]:
    """``[fn(*job) for job in jobs]``, on ``executor`` when given; results in job order.
    The first failing job's error is raised (after the others are cancelled)."""
    if executor is None:
        out = []
        for k, job in enumerate(jobs):
            out.append(fn(*job))
            if on_done is not None:
                on_done(k)
        return out
    futures = [executor.submit(fn, *job) for job in jobs]
    try:
        results = []
        for k, f in enumerate(futures):
            results.append(f.result())
            if on_done is not None:
                on_done(k)
        return results
    except BaseException:
        for f in futures:
            f.cancel()
        raise


def plan_point(network: Any, forecast: Any, year: Optional[int], time_limit: float,
               response: bool, tickets: Any, population: Any, options: str) -> Any:
    """One count of the frontier (``options`` carry ``frontier.counts = [n]``)."""
    return _servnet._plan(unpack(network), unpack(forecast), "auto", None, year, time_limit,
                          response, unpack(tickets), unpack(population), options)


def simulate_point(network: Any, plan: Any, forecast: Any, days: int, sample: float,
                   seed: int, tickets: Any, options: str) -> Any:
    """One seed of ``servnet.simulate``: the core's simulation (it pickles)."""
    return _servnet._simulate(unpack(network), unpack(plan), unpack(forecast), days, sample,
                              seed, unpack(tickets), options)


def scenario_point(*args: Any) -> Tuple[str, Any]:
    """One scenario of ``servnet.compare_scenarios`` (``_run_scenario``'s arguments)."""
    text, core = _servnet._run_scenario(*[unpack(a) for a in args])
    return str(text), core
