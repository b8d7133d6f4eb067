"""servnet.Network: from frames and folders, the same validation as files, pickling."""

import pickle

import numpy as np
import pandas as pd
import pytest

import servnet
from conftest import SAMPLE, VALID, frames


def only_issue(info):
    (issue,) = info.value.issues
    return issue


def test_from_frames_equals_from_dir_on_the_sample():
    """The sample's CSV/GeoJSON files as frames give the same network as the folder."""
    net = servnet.Network.from_frames(
        **frames(SAMPLE), service_packages=SAMPLE / "service_packages.csv"
    )
    assert net == servnet.Network.from_dir(SAMPLE)
    assert repr(net) == "Network(1500 outlets, 300 regions, 20 skills)"


def test_accessor_frames_round_trip(valid_frames):
    """outlets(), outlet_skills() and regions() rebuild the same network."""
    net = servnet.Network.from_frames(**valid_frames)
    again = servnet.Network.from_frames(
        outlets=net.outlets(),
        outlet_skills=net.outlet_skills(),
        regions=net.regions(),
        outlet_areas=valid_frames["outlet_areas"],
        region_polygons=valid_frames["region_polygons"],
    )
    assert again == net
    assert net.outlets()["id"].tolist() == ["O1", "O2", "O3", "O4", "O5", "O6"]
    assert set(net.regions().columns) >= {"code", "tier", "max_travel_km"}
    assert net.skills == sorted(net.skills) and 0 < net.mean_rating <= 5


def test_polygons_as_a_dict_of_rings(valid_frames):
    """outlet_areas may be {outlet_id: [ring, ...]} with rings of (lon, lat)."""
    areas = {}
    for f in valid_frames["outlet_areas"]["features"]:
        g = f["geometry"]
        rings = [g["coordinates"][0]] if g["type"] == "Polygon" else [p[0] for p in g["coordinates"]]
        areas.setdefault(f["properties"]["outlet_id"], []).extend(rings)
    valid_frames["outlet_areas"] = areas
    valid_frames["region_polygons"] = None
    assert len(servnet.Network.from_frames(**valid_frames).outlets()) == 6


def test_lists_and_extra_columns_are_accepted(valid_frames):
    """area_regions as Python lists and unknown extra columns are fine."""
    o = valid_frames["outlets"]
    o["area_regions"] = [[] if not isinstance(v, str) else v.split(";") for v in o["area_regions"]]
    o["comment"] = "x"
    servnet.Network.from_frames(**valid_frames)


def test_missing_column_names_frame_and_column(valid_frames):
    """A frame without a required column: DataError naming the frame and the column."""
    valid_frames["outlets"] = valid_frames["outlets"].drop(columns=["status"])
    with pytest.raises(servnet.DataError) as info:
        servnet.Network.from_frames(**valid_frames)
    issue = only_issue(info)
    assert (issue["frame"], issue["column"], issue["row"]) == ("outlets", "status", None)
    assert "frame 'outlets'" in str(info.value) and "missing required column 'status'" in str(info.value)


def test_wrong_dtype_names_frame_row_and_column(valid_frames):
    """Text in a numeric column: the row, index label and column are named."""
    sk = valid_frames["outlet_skills"]
    sk["daily_capacity"] = sk["daily_capacity"].astype(object)
    sk.loc[2, "daily_capacity"] = "ten"
    with pytest.raises(ValueError) as info:
        servnet.Network.from_frames(**valid_frames)
    issue = only_issue(info)
    assert (issue["frame"], issue["row"], issue["index"], issue["column"]) == (
        "outlet_skills",
        2,
        2,
        "daily_capacity",
    )
    assert "'ten'" in issue["message"]
    assert "frame 'outlet_skills' row 2" in str(info.value)


def test_nan_coordinates_are_reported_with_the_index_label(valid_frames):
    """NaN lat in a frame with a string index: row position and label both given."""
    o = valid_frames["outlets"].set_index(pd.Index(list("abcdef")))
    o.loc["d", "lat"] = np.nan
    valid_frames["outlets"] = o
    with pytest.raises(servnet.DataError) as info:
        servnet.Network.from_frames(**valid_frames)
    # The bad row is dropped, so its skills also come back as "unknown outlet" (as in files).
    (issue,) = [i for i in info.value.issues if i["frame"] == "outlets"]
    assert (issue["row"], issue["index"], issue["column"]) == (3, "d", "lat")
    assert issue["message"] == "missing value (NaN)"
    assert "record 'O4'" in str(info.value)


def test_out_of_range_and_float_priority(valid_frames):
    """Every problem is listed: a latitude out of range and a fractional priority."""
    o = valid_frames["outlets"]
    o["priority"] = o["priority"].astype(float)
    o.loc[0, "priority"] = 50.5
    o.loc[1, "lat"] = 123.0
    with pytest.raises(servnet.DataError) as info:
        servnet.Network.from_frames(**valid_frames)
    got = sorted((i["row"], i["column"]) for i in info.value.issues if i["frame"] == "outlets")
    assert got == [(0, "priority"), (1, "lat")]


def test_cross_record_problems_point_at_rows(valid_frames):
    """A duplicate outlet id found by the model's check still names frame and row."""
    o = valid_frames["outlets"]
    o.loc[5, "id"] = "O1"
    with pytest.raises(servnet.DataError) as info:
        servnet.Network.from_frames(**valid_frames)
    assert any(i["frame"] == "outlets" and i["column"] == "id" for i in info.value.issues)


def test_not_a_frame_is_a_type_error(valid_frames):
    """A dict instead of a DataFrame is a TypeError naming the argument."""
    valid_frames["regions"] = {"code": ["R1"]}
    with pytest.raises(TypeError, match="regions"):
        servnet.Network.from_frames(**valid_frames)


def test_bad_polygons_name_the_argument(valid_frames):
    """An unclosed ring in outlet_areas: DataError naming outlet_areas."""
    valid_frames["outlet_areas"] = {"O3": [[(120.6, 31.3), (120.7, 31.3), (120.7, 31.4), (120.6, 31.4)]]}
    with pytest.raises(servnet.DataError) as info:
        servnet.Network.from_frames(**valid_frames)
    assert any(i["frame"] == "outlet_areas" for i in info.value.issues)


def test_from_dir_errors_name_the_file(tmp_path):
    """A folder without network files: DataError listing the missing files."""
    with pytest.raises(servnet.DataError, match="outlets.csv"):
        servnet.Network.from_dir(tmp_path)


def test_pickle_and_json_round_trip(valid_net):
    """A network pickles (as JSON) and comes back equal."""
    assert pickle.loads(pickle.dumps(valid_net)) == valid_net
    assert servnet.Network.from_json(valid_net.to_json()) == valid_net


def test_read_tickets_and_tickets_from_frame(valid_net, valid_tickets):
    """The tickets file and the same rows as a frame give the same tickets."""
    from_file = servnet.read_tickets(VALID / "tickets.csv", valid_net)
    from_frame = servnet.Tickets.from_frame(valid_tickets, valid_net)
    assert len(from_file) == len(from_frame) == len(valid_tickets)
    assert [from_file[i] for i in range(len(from_file))] == [from_frame[i] for i in range(len(from_frame))]
    assert from_file[-1].id == valid_tickets["id"].iloc[-1]
    with pytest.raises(IndexError):
        from_file[len(from_file)]
    assert from_file.to_pandas()["id"].tolist() == valid_tickets["id"].tolist()
    assert len(pickle.loads(pickle.dumps(from_file))) == len(from_file)


def test_ticket_frame_with_datetimes_and_bad_rows(valid_net, valid_tickets):
    """datetime64 columns are accepted; an unknown region is named by row and column."""
    df = valid_tickets.copy()
    df["created_at"] = pd.to_datetime(df["created_at"], format="ISO8601")
    df["due_by"] = pd.to_datetime(df["due_by"], format="ISO8601")
    assert len(servnet.Tickets.from_frame(df, valid_net)) == len(df)
    df.loc[1, "region"] = "R-NOWHERE"
    with pytest.raises(servnet.DataError) as info:
        servnet.Tickets.from_frame(df, valid_net)
    issue = only_issue(info)
    assert (issue["frame"], issue["row"], issue["column"]) == ("tickets", 1, "region")
