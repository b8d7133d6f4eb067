"""The result-object convention shared by servnet's Python API, and a generic wrapper.

Every result offers ``to_pandas()`` (the main table as a DataFrame), ``summary()``
(headline figures as a plain dict, JSON-ready), a readable ``repr`` and
``_repr_html_`` for notebooks, and pickling as plain data.

How a result is bound (one way for all of them):

- The Rust side returns a pyclass holding the core's result (``DispatchSummary``,
  ``_AssignmentPlan``, ``_Forecast``, ``_NetworkPlan``, ``_Simulation``). It pickles and compares through
  ``python/src/plain.rs`` (``PlainData``: ``_from_json`` / ``__reduce__`` / ``__eq__``
  as one call each) and shows its tables through ``view()`` (JSON) or columns.
- A result with several tables or a plot is a :class:`Result` subclass here that holds
  that pyclass as ``_core`` and builds its DataFrames from it (``AssignmentPlan``,
  ``Forecast``, ``NetworkPlan``, ``SimulationResult``).
- Figures and texts come from the core (reasons, mean distances, route names); this
  side only arranges them into frames.

A new result: a pyclass with ``PlainData`` in ``python/src``, a :class:`Result`
subclass (with ``plot()`` if it has one) exported from ``servnet/__init__.py``, and
both in ``_servnet.pyi``.
"""

from __future__ import annotations

import html
import json
from typing import Any, Dict, Mapping, Optional


def summary_frame(figures: Mapping[str, Any]) -> Any:
    """Headline figures as a one-column DataFrame (index: figure name).

    Nested dicts and lists (e.g. counts by route) are kept as values.

    >>> summary_frame({"tickets": 3, "assigned": 2})["value"].tolist()
    [3, 2]
    """
    import pandas as pd

    return pd.DataFrame({"value": pd.Series(dict(figures), dtype=object)})


def summary_html(title: str, figures: Mapping[str, Any]) -> str:
    """A small HTML table of headline figures, for ``_repr_html_``.

    >>> "<table" in summary_html("Run", {"tickets": 3})
    True
    """
    rows = []
    for key, value in figures.items():
        if isinstance(value, float):
            shown = f"{value:,.3f}"
        elif isinstance(value, (dict, list, tuple)):
            shown = json.dumps(value)
        else:
            shown = str(value)
        rows.append(
            f"<tr><th style='text-align:left'>{html.escape(str(key))}</th>"
            f"<td style='text-align:right'>{html.escape(shown)}</td></tr>"
        )
    return f"<table><caption>{html.escape(title)}</caption>{''.join(rows)}</table>"


class Result:
    """A generic result: named tables plus headline figures; plain data, picklable.

    ``tables`` maps names to DataFrames (the first is the main one, returned by
    :meth:`to_pandas`); ``figures`` holds JSON-ready headline numbers.

    >>> import pandas as pd
    >>> r = Result("Plan", {"open": pd.DataFrame({"site": [1, 4]})}, {"cost": 12.5})
    >>> r.summary()
    {'cost': 12.5}
    >>> r.to_pandas()["site"].tolist()
    [1, 4]
    >>> r
    Plan(cost=12.5; tables: open[2])
    """

    def __init__(
        self,
        title: str,
        tables: Optional[Dict[str, Any]] = None,
        figures: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.title = title
        self.tables: Dict[str, Any] = dict(tables or {})
        self.figures: Dict[str, Any] = dict(figures or {})

    def to_pandas(self, name: Optional[str] = None) -> Any:
        """The table ``name`` (default: the first one) as a DataFrame."""
        if not self.tables:
            return summary_frame(self.figures)
        key = name if name is not None else next(iter(self.tables))
        return self.tables[key]

    def summary(self) -> Dict[str, Any]:
        """Headline figures as a plain dict."""
        return dict(self.figures)

    def __repr__(self) -> str:
        figures = ", ".join(f"{k}={v!r}" for k, v in self.figures.items())
        tables = ", ".join(f"{k}[{len(v)}]" for k, v in self.tables.items())
        return f"{self.title}({figures}; tables: {tables})"

    def _repr_html_(self) -> str:
        parts = [summary_html(self.title, self.figures)]
        for name, table in self.tables.items():
            head = table.head(10)
            parts.append(f"<p><b>{html.escape(name)}</b> ({len(table)} rows)</p>")
            parts.append(head.to_html() if hasattr(head, "to_html") else html.escape(repr(head)))
        return "".join(parts)
