"""servnet.Result: the result-object convention for assign/plan results."""

import pickle

import pandas as pd

import servnet


def test_generic_result():
    """to_pandas gives the first table, summary the figures; repr and HTML are readable."""
    r = servnet.Result("Plan", {"open": pd.DataFrame({"site": [1, 4]})}, {"cost": 12.5})
    assert r.to_pandas()["site"].tolist() == [1, 4]
    assert r.summary() == {"cost": 12.5}
    assert repr(r) == "Plan(cost=12.5; tables: open[2])"
    assert "<table" in r._repr_html_() and "open" in r._repr_html_()
    assert pickle.loads(pickle.dumps(r)).summary() == r.summary()
    assert servnet.Result("Empty", figures={"n": 1}).to_pandas().loc["n", "value"] == 1
