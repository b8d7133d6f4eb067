"""Shared fixtures: the data folders and networks built from them."""

import json
from pathlib import Path

import pandas as pd
import pytest

import servnet

DATA = Path(__file__).resolve().parents[2] / "data"
SAMPLE = DATA / "sample"
VALID = DATA / "fixtures" / "valid"


def frames(folder: Path) -> dict:
    """The network files of a data folder as from_frames keyword arguments."""
    return {
        "outlets": pd.read_csv(folder / "outlets.csv"),
        "outlet_skills": pd.read_csv(folder / "outlet_skills.csv"),
        "regions": pd.read_csv(folder / "regions.csv"),
        "outlet_areas": json.loads((folder / "outlet_areas.geojson").read_text()),
        "region_polygons": json.loads((folder / "regions.geojson").read_text()),
    }


@pytest.fixture(scope="session")
def sample_net() -> servnet.Network:
    return servnet.Network.from_dir(SAMPLE)


@pytest.fixture(scope="session")
def sample_tickets() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "tickets.csv")


@pytest.fixture()
def valid_frames() -> dict:
    return frames(VALID)


@pytest.fixture(scope="session")
def valid_net() -> servnet.Network:
    return servnet.Network.from_dir(VALID)


@pytest.fixture()
def valid_tickets() -> pd.DataFrame:
    return pd.read_csv(VALID / "tickets.csv")
