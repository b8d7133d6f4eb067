"""Shared fixtures: the data folders and networks built from them."""

import json
import os
import re
import shutil
import subprocess
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


def cli_binary():
    """The servnet CLI built by cargo, or None. Debug first: scripts/test.sh has just
    built it from this checkout, while a release binary may be older."""
    root = DATA.parent
    targets = [os.environ.get("CARGO_TARGET_DIR"), str(root / "target"), os.path.expanduser("~/.cache/servnet-target")]
    for t in filter(None, targets):
        for profile in ("debug", "release"):
            exe = Path(t) / profile / "servnet"
            if exe.exists():
                return exe
    return shutil.which("servnet")


def run_cli(*args: str) -> str:
    """Runs the servnet CLI and returns its standard output; skips without a binary."""
    exe = cli_binary()
    if exe is None:
        pytest.skip("servnet CLI not built (cargo build -p servnet-cli)")
    done = subprocess.run([str(exe), *args], capture_output=True, text=True, check=True)
    return done.stdout


def cli_numbers(text: str, pattern: str) -> tuple:
    """The numbers captured by `pattern` in the CLI's output, as floats."""
    m = re.search(pattern, text)
    assert m, f"pattern {pattern!r} not in CLI output:\n{text}"
    return tuple(float(g) for g in m.groups())
