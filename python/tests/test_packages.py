"""Service packages from Python: the file or a frame reaches Network.from_frames, and the
dispatch results carry the package and the mode it applied."""

import pandas as pd
import pytest

import servnet
from conftest import SAMPLE, VALID, frames

T01 = {
    "id": "T01",
    "lon": 121.42,
    "lat": 31.22,
    "region": "R-A1",
    "skill": "repair:air_conditioner",
    "created_at": "2026-11-23T08:00:00",
    "due_by": "2026-11-24T08:00:00",
}


def packages(modes: str, carry_in_km="") -> pd.DataFrame:
    """Tier A standard and VIP packages with the given modes for every kind."""
    return pd.DataFrame(
        {
            "region_tier": ["A", "A"],
            "customer_tier": ["standard", "vip"],
            "service_kind": ["*", "*"],
            "modes": [modes, modes],
            "carry_in_km": [carry_in_km, carry_in_km],
            "response_hours": [48, 24],
            "follow_up_share": [0.1, 0.3],
            "priority_weight": [1, 3],
        }
    )


def test_a_carry_in_ticket_gets_no_technician_travel():
    """Carry-in: distance 0 and mode carry_in in candidates and the assignment."""
    net = servnet.Network.from_frames(**frames(VALID), service_packages=packages("carry_in", 50))
    d = servnet.Dispatcher(net)
    c = d.candidates(T01, k=3)
    assert (c["mode"] == "carry_in").all() and (c["distance_km"] == 0).all()
    assert (c["package"] == "A/standard/*").all()
    a = d.dispatch(T01)
    assert a.assigned and a.distance_km == 0 and a.breakdown["mode"] == "carry_in"


def test_without_packages_results_are_on_site_with_travel():
    d = servnet.Dispatcher(servnet.Network.from_frames(**frames(VALID)))
    c = d.candidates(T01, k=3)
    assert (c["mode"] == "on_site").all() and c["package"].isna().all()
    assert (c["distance_km"] > 0).all()


def test_vip_weight_shows_in_the_breakdown():
    net = servnet.Network.from_frames(**frames(VALID), service_packages=packages("on_site"))
    c = servnet.Dispatcher(net).candidates({**T01, "customer_tier": "vip"}, k=1)
    assert c["package_weight"].iloc[0] == 3 and c["package"].iloc[0] == "A/vip/*"


def test_a_bad_package_cell_is_named():
    bad = packages("on_site")
    bad.loc[1, "priority_weight"] = -1
    with pytest.raises(servnet.DataError, match="priority_weight"):
        servnet.Network.from_frames(**frames(VALID), service_packages=bad)


def test_the_sample_file_is_read_by_path_and_from_dir():
    by_path = servnet.Network.from_frames(
        **frames(SAMPLE), service_packages=SAMPLE / "service_packages.csv"
    )
    assert by_path == servnet.Network.from_dir(SAMPLE)
