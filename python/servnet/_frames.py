"""Building pandas DataFrames from the extension's columns (the only pandas import on the
result side; the Rust code passes plain lists, numpy arrays or coded text)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional


def make_frame(
    names: List[str], values: List[Any], dtypes: Optional[Dict[str, str]] = None
) -> Any:
    """A DataFrame with ``names[i]`` holding ``values[i]`` (taken as they are, not
    copied); ``dtypes`` overrides some column dtypes (e.g. ``{"day": "Int64"}`` for a
    nullable integer column, from a list or from a ``(values, mask)`` pair of numpy
    arrays; ``"text"`` builds text from a ``(codes, categories)`` pair, see
    :func:`coded_text`). Dates come as ``datetime64[us]`` numpy arrays.

    >>> make_frame(["a", "b"], [[1, 2], [None, 3]], {"b": "Int64"})["b"].tolist()
    [<NA>, 3]
    """
    import pandas as pd

    data = {}
    for name, col in zip(names, values):
        dtype = (dtypes or {}).get(name)
        if dtype == "text":
            data[name] = coded_text(*col)
        elif dtype == "Int64" and isinstance(col, tuple):
            data[name] = pd.arrays.IntegerArray(*col)
        else:
            data[name] = pd.array(col, dtype=dtype) if dtype else col
    # The columns are fresh: a copy (pandas' default for a dict) would double the peak.
    return pd.DataFrame(data, columns=names, copy=False)


def coded_text(codes: Any, categories: List[str]) -> Any:
    """Text column ``categories[codes[i]]`` (missing where the code is -1) in the dtype
    pandas gives a list of such strings (``str`` in pandas 3), built from the codes with
    no Python string per row when that dtype is pyarrow-backed.

    >>> import numpy as np
    >>> coded_text(np.array([1, -1, 0], dtype="int32"), ["a", "b"]).tolist()
    ['b', nan, 'a']
    """
    import numpy as np
    import pandas as pd

    dtype = pd.Series(["x"]).dtype
    if getattr(dtype, "storage", None) == "pyarrow":
        import pyarrow as pa

        dictionary = pa.array(categories, type=pa.string())
        arr = pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), dictionary)
        return pd.array(arr.cast(pa.string()), dtype=dtype)
    texts = np.empty(len(categories) + 1, dtype=object)
    texts[: len(categories)] = categories
    texts[len(categories)] = None
    return pd.array(texts[np.where(codes < 0, len(categories), codes)], dtype=dtype)
