"""Reading data folders from Python: the sample network, and bad input as DataError."""

import shutil
from pathlib import Path

import pytest

import servnet

DATA = Path(__file__).resolve().parents[2] / "data"


def stage(tmp_path: Path, *defects: str) -> Path:
    """Copy the valid fixture to tmp_path, then lay the defect fixtures over it."""
    for name in ("valid", *defects):
        for f in (DATA / "fixtures" / name).iterdir():
            shutil.copy(f, tmp_path / f.name)
    return tmp_path


def test_import_gives_a_version():
    """The extension module imports and reports the crate version."""
    assert isinstance(servnet.__version__, str) and servnet.__version__.count(".") == 2


def test_read_dir_on_the_sample_network_counts_its_records():
    """data/sample holds 1500 outlets, 300 regions, 20 skills and 20000 tickets."""
    summary = servnet.read_dir(DATA / "sample")
    assert summary == {
        "outlets": 1500,
        "regions": 300,
        "skills": 20,
        "tickets": 20000,
        "products": 20,
    }


def test_read_dir_accepts_a_string_path():
    """Paths may be str as well as pathlib.Path."""
    assert servnet.read_dir(str(DATA / "fixtures" / "valid"))["outlets"] == 6


def test_exception_hierarchy():
    """DataError is a ServnetError and a ValueError; ServnetError is an Exception."""
    assert issubclass(servnet.ServnetError, Exception)
    assert issubclass(servnet.DataError, servnet.ServnetError)
    assert issubclass(servnet.DataError, ValueError)


def test_bad_data_raises_data_error_naming_file_line_and_field(tmp_path):
    """A negative capacity is reported with its file, line and field."""
    with pytest.raises(servnet.DataError) as info:
        servnet.read_dir(stage(tmp_path, "negative_capacity"))
    message = str(info.value)
    assert "outlet_skills.csv:4" in message
    assert "field 'daily_capacity'" in message
    (issue,) = info.value.issues
    assert issue["file"] == "outlet_skills.csv"
    assert issue["line"] == 4
    assert issue["field"] == "daily_capacity"
    assert issue["record"] == "O1/repair:tv"


def test_every_problem_in_a_file_is_listed(tmp_path):
    """Three bad rows give three issues, in one exception."""
    with pytest.raises(ValueError) as info:
        servnet.read_dir(stage(tmp_path, "several_problems"))
    fields = sorted(i["field"] for i in info.value.issues)
    assert fields == ["cost_per_ticket", "daily_capacity", "rating_count"]


def test_missing_folder_is_a_data_error(tmp_path):
    """A folder without the required files says which files are missing."""
    with pytest.raises(servnet.DataError, match="regions.csv"):
        servnet.read_dir(tmp_path / "nowhere")


def test_read_network_and_tickets_equals_the_two_serial_reads():
    """One call reads the folder's network and tickets as Network.from_dir and
    read_tickets do; the same batch plan follows from either."""
    folder = DATA / "fixtures" / "valid"
    net, tickets = servnet.read_network_and_tickets(folder)
    serial_net = servnet.Network.from_dir(folder)
    serial = servnet.read_tickets(folder / "tickets.csv", serial_net)
    assert net == serial_net
    assert tickets.to_pandas().equals(serial.to_pandas())
    plan = servnet.compare_with_sequential(tickets, net).to_pandas()
    assert plan.equals(servnet.compare_with_sequential(serial, serial_net).to_pandas())


def test_comparison_after_read_network_and_tickets_equals_a_fresh_one():
    """The dispatcher read_network_and_tickets lays out for the comparison gives what a
    fresh one gives: the same plan and sequential figures, on the first call (which
    takes it) and on the next (which lays out its own)."""
    folder = DATA / "fixtures" / "valid"
    net, tickets = servnet.read_network_and_tickets(folder)
    first = servnet.compare_with_sequential(tickets, net)
    second = servnet.compare_with_sequential(tickets, net)
    fresh = servnet.compare_with_sequential(tickets, servnet.Network.from_dir(folder))

    def figures(p):
        return {k: v for k, v in p.summary().items() if "seconds" not in k}

    for p in (first, second):
        assert p.to_pandas().equals(fresh.to_pandas())
        assert figures(p) == figures(fresh)
    assert "sequential_objective" in figures(first)


def test_read_network_and_tickets_reports_ticket_errors(tmp_path):
    """A ticket naming an unknown region is a DataError naming tickets.csv."""
    with pytest.raises(servnet.DataError) as info:
        servnet.read_network_and_tickets(stage(tmp_path, "ticket_unknown_region"))
    assert any(i["file"] == "tickets.csv" for i in info.value.issues)
