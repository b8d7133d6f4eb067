"""Building pandas DataFrames from the extension's columns (the only pandas import on the
result side; the Rust code passes plain lists)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional


def make_frame(
    names: List[str], values: List[List[Any]], dtypes: Optional[Dict[str, str]] = None
) -> Any:
    """A DataFrame with ``names[i]`` holding ``values[i]``; ``dtypes`` overrides some
    column dtypes (e.g. ``{"day": "Int64"}`` for a nullable integer column; ``"date"``
    reads ISO ``YYYY-MM-DD`` text as ``datetime64``, ``NaT`` where missing, like
    ``AssignmentPlan.to_pandas()``'s ``date``).

    >>> make_frame(["a", "b"], [[1, 2], [None, 3]], {"b": "Int64"})["b"].tolist()
    [<NA>, 3]
    >>> make_frame(["d"], [["2026-11-23", None]], {"d": "date"})["d"].isna().tolist()
    [False, True]
    """
    import pandas as pd

    data = {}
    for name, col in zip(names, values):
        dtype = (dtypes or {}).get(name)
        if dtype == "date":
            data[name] = pd.to_datetime(pd.Series(col, dtype=object), format="%Y-%m-%d")
        else:
            data[name] = pd.array(col, dtype=dtype) if dtype else col
    return pd.DataFrame(data, columns=names)
