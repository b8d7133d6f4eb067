"""Fan-out of independent solves over any ``concurrent.futures.Executor`` (a thread or
process pool, ``distributed.Client.get_executor()``): the worker functions (module
level, so they pickle by reference) and :func:`run_all`, which returns results in the
order the jobs were given (ids, never completion order).

Everything a job carries pickles: ``Network``, ``PlanningData``, ``Tickets``, the
forecast and plan cores serialise as JSON; paths travel as strings, so with a remote
cluster they must name files the workers can read.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any, Callable, List, Optional, Sequence, Tuple

from servnet import _servnet


def check_executor(executor: Any) -> None:
    """Refuses anything that is not an Executor (or None), naming the argument."""
    if executor is not None and not isinstance(executor, Executor) and not (
            callable(getattr(executor, "submit", None))):
        raise TypeError("executor: expected a concurrent.futures.Executor (e.g. "
                        "ThreadPoolExecutor, ProcessPoolExecutor or "
                        f"distributed.Client.get_executor()), got {type(executor).__name__}")


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
    return _servnet._plan(network, forecast, "auto", None, year, time_limit, response,
                          tickets, population, options)


def simulate_point(network: Any, plan: Any, forecast: Any, days: int, sample: float,
                   seed: int, tickets: Any, options: str) -> str:
    """One seed of ``servnet.simulate``: the SimResult as JSON."""
    return str(_servnet._simulate(network, plan, forecast, days, sample, seed, tickets, options))


def scenario_point(*args: Any) -> Tuple[str, Any]:
    """One scenario of ``servnet.compare_scenarios`` (``_run_scenario``'s arguments)."""
    text, core = _servnet._run_scenario(*args)
    return str(text), core
