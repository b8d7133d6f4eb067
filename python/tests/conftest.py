"""Shared fixtures: the data folders and networks built from them."""

import json
import os
import re
import shutil
import signal
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


# -- Redis (the shared ledger's tests) ----------------------------------------------------


def _redis_call(url: str, *args: str):
    """Sends one command to the Redis of a ledger URL (RESP over a socket: no client
    library needed); returns the first line of the answer."""
    import socket
    from urllib.parse import urlparse

    u = urlparse(url.split("?")[0])
    with socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=5) as s:
        cmds = []
        if u.password:
            cmds.append(("AUTH", u.password))
        if u.path.strip("/"):
            cmds.append(("SELECT", u.path.strip("/")))
        cmds.append(args)
        for c in cmds:
            s.sendall(f"*{len(c)}\r\n".encode() + b"".join(
                f"${len(a.encode())}\r\n".encode() + a.encode() + b"\r\n" for a in c))
        f = s.makefile("rb")
        line = b""
        for _ in cmds:
            line = f.readline()
        return line.decode().strip()


@pytest.fixture(scope="session")
def redis_base():
    """SERVNET_REDIS_URL (scripts/test.sh starts a Redis and sets it), or a redis-server
    of this session's own. Without redis-server these tests fail and say why."""
    import socket
    import tempfile
    import time

    url = os.environ.get("SERVNET_REDIS_URL")
    if url:
        yield url
        return
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail(
            "redis-server not found: the Redis ledger's tests need a real Redis. Install it "
            "(apt-get install redis-server, or bash scripts/setup.sh), or set SERVNET_REDIS_URL",
            pytrace=False,
        )
    folder = tempfile.mkdtemp(prefix="servnet-pytest-redis-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [exe, "--bind", "127.0.0.1", "--port", str(port), "--dir", folder,
         "--appendonly", "yes", "--save", ""],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(200):
        try:
            if _redis_call(url, "PING") == "+PONG":
                break
        except OSError:
            time.sleep(0.05)
    yield url
    proc.kill()
    proc.wait()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def redis_url(redis_base):
    """A ledger URL with a namespace of this test's own, deleted afterwards."""
    import uuid

    ns = f"pytest-{os.getpid()}-{uuid.uuid4().hex[:10]}"
    sep = "&" if "?" in redis_base else "?"
    yield f"{redis_base}{sep}namespace={ns}"
    script = ("local c = '0' repeat local r = redis.call('SCAN', c, 'MATCH', ARGV[1], 'COUNT', 1000) "
              "c = r[1] for _, k in ipairs(r[2]) do redis.call('UNLINK', k) end until c == '0'")
    _redis_call(redis_base, "EVAL", script, "0", "{" + ns + "}:*")


@pytest.fixture
def ctrl_c():
    """Python's own Ctrl-C handler for the test. A process started in the background by a
    shell without job control (`pytest ... &`) inherits SIGINT ignored, and then
    `_thread.interrupt_main()` does nothing: an interrupt test would fail for a reason
    that is not servnet's."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
