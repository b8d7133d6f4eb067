"""How a Python call reaches the engine, shared by ``servnet.assign`` and the planning
calls: keyword options as the JSON object the Rust side lays over its defaults (finite
numbers checked), tqdm bars over a solve's elapsed seconds and over a sweep's finished
jobs, and records as DataFrames.

The Rust side (``python/src/run.rs``) runs each solve on a worker thread with the GIL
released: Ctrl-C raises ``KeyboardInterrupt`` at once, and the abandoned solve finishes
in the background within its time limit.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Dict, List, Optional, Sequence

from servnet import _servnet


class _Progress:
    """A tqdm bar over elapsed seconds of one solve (``total`` = its time limit), or a
    no-op when not asked for or tqdm is not installed. While the solve runs it shows the
    incumbent, bound and gap found so far (and the frontier's current count); it ends
    where the solve ended (a 0.5 s solve ends at 0.5 s, not at the limit) with the
    answer's incumbent, bound, gap and status."""

    def __init__(self, enabled: bool, desc: str, total: Optional[float]) -> None:
        self.bar: Any = None
        self.elapsed = 0.0
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:  # pragma: no cover - tqdm is optional
            return
        limit = "{total} s limit" if total else "no limit"
        self.bar = tqdm(total=round(total, 1) if total else None, desc=desc, unit="s",
                        bar_format="{desc}: {n:.1f} s of " + limit + " |{bar}|{postfix}")

    @property
    def callback(self) -> Optional[Callable[..., None]]:
        return self._tick if self.bar is not None else None

    def _tick(self, elapsed: float, incumbent: Optional[float] = None,
              bound: Optional[float] = None, stage: str = "") -> None:
        self.elapsed = elapsed
        total = self.bar.total
        self.bar.n = round(min(elapsed, total) if total else elapsed, 1)
        live = _live_postfix(incumbent, bound, stage)
        if live:
            self.bar.set_postfix_str(live, refresh=False)
        self.bar.refresh()

    def close(self, elapsed: float, figures: Optional[Dict[str, Any]] = None) -> None:
        if self.bar is None:
            return
        self.bar.n = round(elapsed, 2)
        if figures:
            self.bar.set_postfix_str(_solve_postfix(figures), refresh=False)
        self.bar.refresh()
        self.bar.close()


def _figure_parts(incumbent: Optional[float], bound: Optional[float],
                  gap: Optional[float] = None) -> List[str]:
    """``["incumbent 123.456", "bound 120", "gap 2.71%"]``: the figures known (six
    significant digits, as the CLI's bar); the gap from the two when not given."""
    parts = []
    if incumbent is not None:
        parts.append(f"incumbent {incumbent:.6g}")
    if bound is not None:
        parts.append(f"bound {bound:.6g}")
    if gap is None and incumbent is not None and bound is not None:
        gap = max(incumbent - bound, 0.0) / max(abs(incumbent), 1e-9)
    if gap is not None:
        parts.append(f"gap {100 * gap:.2f}%")
    return parts


def _live_postfix(incumbent: Optional[float], bound: Optional[float], stage: str) -> str:
    """``12 outlets (3 of 8): incumbent 123.456, bound 120, gap 2.71%`` from the live
    figures of a running solve (the parts known so far)."""
    body = ", ".join(_figure_parts(incumbent, bound))
    return f"{stage}: {body}" if stage and body else (stage or body)


def _solve_postfix(figures: Dict[str, Any]) -> str:
    """``incumbent 123.456, bound 120, gap 2.71%, optimal`` from a result's figures."""
    def finite(key: str) -> Optional[float]:
        v = figures.get(key)
        return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None

    parts = _figure_parts(finite("objective"), finite("lower_bound"), finite("gap"))
    if figures.get("status"):
        parts.append(str(figures["status"]))
    return ", ".join(parts)


def _outer_bar(progress: bool, total: int, desc: str, unit: str) -> Any:
    """A tqdm bar over finished jobs of a sweep, or None."""
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is optional
        return None
    return tqdm(total=total, desc=desc, unit=unit)


def _run(progress: bool, desc: str, total: Optional[float], call: Callable[..., Any],
         *args: Any, figures: Optional[Callable[[Any], Dict[str, Any]]] = None,
         **kwargs: Any) -> Any:
    """``call(*args, progress=..., **kwargs)`` under a :class:`_Progress` bar; ``figures``
    reads the incumbent, bound, gap and status from the answer for the bar's last line."""
    import time

    bar = _Progress(progress, desc, total)
    started = time.perf_counter()
    answer = None
    try:
        answer = call(*args, progress=bar.callback, **kwargs)
        return answer
    finally:
        shown = figures(answer) if (figures is not None and answer is not None
                                    and bar.bar is not None) else None
        bar.close(time.perf_counter() - started, shown)


def _options(**kwargs: Any) -> str:
    """Keyword options that were given, as the JSON object the Rust side lays over its
    defaults (unknown names raise ``DataError`` naming the option)."""
    out: Dict[str, Any] = {}
    for k, v in kwargs.items():
        if v is None:
            continue
        if hasattr(v, "to_json") and callable(v.to_json):  # e.g. a servnet.Policy
            v = json.loads(v.to_json())
        _check_finite(k, v)
        out[k] = v
    return json.dumps(out)


def _check_finite(name: str, v: Any) -> None:
    if isinstance(v, float) and not math.isfinite(v):
        raise _servnet.DataError(f"invalid argument '{name}': expected a finite number, got {v}")
    if isinstance(v, (list, tuple)):
        for x in v:
            _check_finite(name, x)
    if isinstance(v, dict):
        for k, x in v.items():
            _check_finite(f"{name}.{k}", x)


def _frame(records: List[Dict[str, Any]], columns: Sequence[str]) -> Any:
    import pandas as pd

    return pd.DataFrame.from_records(records, columns=list(columns))
