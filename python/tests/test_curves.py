"""Repair curves fitted from history (``servnet.fit_repair_curves``): the table, the
plot, and the fitted curves fed back into the forecast."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

import servnet
from conftest import SAMPLE, run_cli


@pytest.fixture(scope="module")
def planning(sample_net):
    return servnet.PlanningData.from_dir(SAMPLE, sample_net)


@pytest.fixture(scope="module")
def fit(planning, sample_net):
    return servnet.fit_repair_curves(planning, sample_net)


def test_fit_has_rates_with_intervals(fit):
    assert fit.columns.tolist()[:6] == ["model", "category", "age", "rate", "rate_lo", "rate_hi"]
    assert ((fit["rate_lo"] <= fit["rate"]) & (fit["rate"] <= fit["rate_hi"])).all()
    observed = fit[fit["observed"].notna()]
    assert (observed["observed_lo"] <= observed["observed"]).all()
    curves = fit.attrs["curves"]
    assert set(curves["curve"]) <= {"weibull", "bathtub"}
    assert len(curves) == 20


def test_fit_recovers_the_sample_curves(fit, planning):
    """The sample's history was drawn from the products' own curves: at ages 1-10 where
    a model has >= 100,000 unit-years, the fitted Weibull models are within 5% of their
    input curve (measured: 2.1%), the table models within 8% (measured: 4.9%; their
    exponential infant term is outside both families)."""
    truth = planning.repair_rates(20)
    curves = fit.attrs["curves"].set_index("model")
    products = pd.read_csv(SAMPLE / "products.csv").set_index("model")
    for row in fit[(fit["age"] >= 1) & (fit["age"] <= 10) & (fit["exposure"] > 0)].itertuples():
        if curves.loc[row.model, "exposure"] < 100_000:
            continue
        tol = 0.05 if products.loc[row.model, "curve"] == "weibull" else 0.08
        assert row.rate == pytest.approx(truth[row.model][row.age], rel=tol), row


def test_cli_writes_the_same_rates(fit, tmp_path):
    out = tmp_path / "curves.csv"
    run_cli("fit-curves", str(SAMPLE), "--out", str(out))
    cli = pd.read_csv(out)
    assert cli[["model", "age"]].values.tolist() == fit[["model", "age"]].values.tolist()
    assert cli["rate"].tolist() == pytest.approx(fit["rate"].tolist(), abs=1e-6)


def test_fitted_curves_feed_the_forecast(fit, planning, sample_net):
    fitted = planning.with_repair_curves(fit)
    a = servnet.forecast(planning, sample_net, 2026).to_pandas("totals")["repair"].iloc[0]
    b = servnet.forecast(fitted, sample_net, 2026).to_pandas("totals")["repair"].iloc[0]
    assert b == pytest.approx(a, rel=0.05)
    with pytest.raises(servnet.DataError, match="not in the products"):
        planning.with_repair_curves(pd.DataFrame({"model": ["XX"], "age": [0], "rate": [0.1]}))


def test_plot_draws_one_panel_per_model(fit, planning):
    fig = servnet.plot_repair_curves(fit, models=["AC-2012A", "TV-2016S"], reference=planning)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["AC-2012A", "TV-2016S"]


def test_history_without_a_base_is_an_error(sample_net):
    products = pd.read_csv(SAMPLE / "products.csv")
    history = pd.DataFrame({"model": ["AC-2012A"], "vintage": [2015], "year": [2010], "repairs": [3]})
    with pytest.raises(servnet.DataError, match="repair_history"):
        servnet.PlanningData.from_frames(sample_net, products=products,
                                         repair_rates=pd.read_csv(SAMPLE / "repair_rates.csv"),
                                         repair_history=history)
