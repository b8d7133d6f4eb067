"""The shared ledger on Redis from Python: several processes, one capacity."""

import datetime as dt
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import servnet

from conftest import VALID

T01 = {"id": "T01", "lon": 121.42, "lat": 31.22, "region": "R-A1",
       "skill": "repair:air_conditioner", "created_at": "2026-11-23T08:00"}


@pytest.fixture()
def two_unit_dir(tmp_path) -> Path:
    """The valid fixture with 2 units of repair:air_conditioner a day near Alpha City:
    1 at O1, 1 at O2 (and none of the day-0 load the fixture books)."""
    folder = tmp_path / "net"
    shutil.copytree(VALID, folder)
    skills = (folder / "outlet_skills.csv").read_text().splitlines()
    out = []
    for line in skills:
        f = line.split(",")
        if f[0] in ("O1", "O2") and f[1] == "repair:air_conditioner":
            f[2], f[3] = "1", "0"
        out.append(",".join(f))
    (folder / "outlet_skills.csv").write_text("\n".join(out) + "\n")
    return folder


POLICY = dict(fallback=[], horizon_days=1, start_date="2026-11-23")

WORKER = """
import json, sys, servnet
folder, url, ids = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
d = servnet.Dispatcher(servnet.Network.from_dir(folder),
                       servnet.Policy(fallback=[], horizon_days=1, start_date="2026-11-23"),
                       ledger=url)
t = {"lon": 121.42, "lat": 31.22, "region": "R-A1", "skill": "repair:air_conditioner",
     "created_at": "2026-11-23T08:00"}
out = {}
for i in ids:
    a = d.dispatch({**t, "id": i})
    out[i] = [a.assigned, a.outlet_id if a.assigned else None]
print(json.dumps(out))
"""


def test_two_processes_never_overbook_an_outlet(two_unit_dir, redis_url):
    """Two processes dispatch the same 6 tickets (in opposite orders) on 2 units: at
    most 2 tickets are booked in all, and both processes give each booked ticket the
    same outlet (a retry on another process returns the original booking)."""
    ids = [f"X{i}" for i in range(6)]
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(two_unit_dir), redis_url, ",".join(order)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for order in (ids, ids[::-1])
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    booked = {i: r[i][1] for r in results for i in ids if r[i][0]}
    assert 1 <= len(booked) <= 2, results
    assert sorted(booked.values()) == sorted(set(booked.values())), "an outlet booked twice"
    for i, outlet in booked.items():
        # Either process answered it with the same booking, or could not book it first.
        assert all(r[i][1] in (outlet, None) for r in results), results
    # The same answer again, from a third dispatcher (this process).
    d = servnet.Dispatcher(servnet.Network.from_dir(two_unit_dir), servnet.Policy(**POLICY),
                           ledger=redis_url)
    for i, outlet in booked.items():
        assert d.dispatch({**T01, "id": i}).outlet_id == outlet
    loads = d.loads()
    assert (loads["used"] <= loads["capacity"]).all()
    ac = loads[(loads["skill"] == "repair:air_conditioner") & loads["outlet_id"].isin(["O1", "O2"])]
    assert ac["used"].sum() == len(booked)


def test_the_lifecycle_is_shared_by_every_dispatcher(two_unit_dir, redis_url):
    """Two dispatchers on one namespace: what one books, holds, confirms or releases
    the other sees; a retry on either returns the identical assignment."""
    net = servnet.Network.from_dir(two_unit_dir)
    a = servnet.Dispatcher(net, servnet.Policy(**POLICY), ledger=redis_url)
    b = servnet.Dispatcher(net, servnet.Policy(**POLICY), ledger=redis_url)
    first = a.dispatch(T01)
    assert first.assigned
    assert b.dispatch(T01) == first and b.assignment("T01") == first
    now = dt.datetime(2026, 11, 23, 9, 0)
    held = b.hold({**T01, "id": "T02"}, dt.timedelta(minutes=10), now=now)
    assert held.assigned and held.hold is not None
    # Both units are taken: a third ticket finds none, on either dispatcher.
    assert not a.dispatch({**T01, "id": "T03"}).assigned
    assert a.confirm(held.hold, now=now).hold is None
    assert b.release("T01").outlet_id == first.outlet_id
    assert a.assignment("T01") is None
    again = a.dispatch({**T01, "id": "T03"})
    assert again.assigned and again.outlet_id == first.outlet_id
    done = b.complete("T03", rating=5)
    assert done.outlet_id == again.outlet_id
    with pytest.raises(servnet.ServnetError, match="completed"):
        a.release("T03")


def test_ledger_urls_and_outages_are_clear_errors(valid_net, redis_url):
    """A bad URL is a DataError naming the ledger; no start date on a new namespace is
    a DataError naming start_date; a ledger and a state folder together are a DataError;
    an unreachable Redis is a LedgerError that says nothing was booked."""
    with pytest.raises(servnet.DataError, match="ledger"):
        servnet.Dispatcher(valid_net, servnet.Policy(), ledger="http://127.0.0.1:6379")
    with pytest.raises(servnet.DataError, match="start_date"):
        servnet.Dispatcher(valid_net, servnet.Policy(), ledger=redis_url)
    with pytest.raises(servnet.DataError, match="state="):
        servnet.Dispatcher(valid_net, servnet.Policy(**POLICY), ledger=redis_url, state=".")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(servnet.LedgerError, match="unreachable.*nothing was booked"):
        servnet.Dispatcher(valid_net, servnet.Policy(**POLICY), ledger=f"redis://127.0.0.1:{port}/0")
    assert issubclass(servnet.LedgerError, servnet.ServnetError)


def test_two_cli_processes_share_one_capacity(two_unit_dir, redis_url, tmp_path):
    """`servnet dispatch DIR --ledger redis://...` in two processes at once on the same
    12 tickets and 2 units: at most 2 booked in all, a ticket both
    processes assigned has the same outlet and day in both files, and the namespace
    holds exactly the bookings the files show."""
    import pandas as pd

    from conftest import cli_binary

    exe = cli_binary()
    if exe is None:
        pytest.fail("servnet CLI not built (cargo build -p servnet-cli): scripts/test.sh builds it")
    rows = ["id,lon,lat,region,skill,units,priority,created_at,due_by,customer_tier,avoid,preferred"]
    rows += [f"Y{i:02},121.42,31.22,R-A1,repair:air_conditioner,1,normal,2026-11-23T08:{i:02}:00,"
             f"2026-11-30T08:00:00,standard,," for i in range(12)]
    (two_unit_dir / "tickets.csv").write_text("\n".join(rows) + "\n")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(POLICY))
    outs = [tmp_path / f"out{p}.csv" for p in range(2)]
    procs = [subprocess.Popen([str(exe), "dispatch", str(two_unit_dir), "--out", str(o),
                               "--policy-file", str(policy), "--ledger", redis_url],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for o in outs]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    files = [pd.read_csv(o, dtype={"outlet_id": str}).set_index("ticket_id") for o in outs]
    assigned = [f[f["outlet_id"].notna()] for f in files]
    both = assigned[0].index.intersection(assigned[1].index)
    for col in ("outlet_id", "day"):
        assert (assigned[0].loc[both, col] == assigned[1].loc[both, col]).all(), col
    # What the namespace holds: a third dispatcher reads every booking.
    d = servnet.Dispatcher(servnet.Network.from_dir(two_unit_dir), servnet.Policy(**POLICY),
                           ledger=redis_url)
    booked = {}
    for a in assigned:
        for t, row in a.iterrows():
            booked[t] = row["outlet_id"]
    assert booked, "nothing booked: the test proves nothing"
    for i in range(12):
        t = f"Y{i:02}"
        held = d.assignment(t)
        assert (held.outlet_id if held is not None else None) == booked.get(t), t
    loads = d.loads()
    assert (loads["used"] <= loads["capacity"]).all()
    assert 1 <= len(booked) <= 2
    assert len(set(booked.values())) == len(booked), "an outlet booked twice"


COMPLETER = """
import json, sys, servnet
folder, url = sys.argv[1], sys.argv[2]
d = servnet.Dispatcher(servnet.Network.from_dir(folder),
                       servnet.Policy(fallback=[], horizon_days=1, start_date="2026-11-23"),
                       ledger=url)
a = d.dispatch({"id": "C1", "lon": 121.42, "lat": 31.22, "region": "R-A1",
                "skill": "repair:air_conditioner", "created_at": "2026-11-23T08:00"})
d.complete("C1", rating=5)
h = d.hold({"id": "C2", "lon": 121.42, "lat": 31.22, "region": "R-A1",
            "skill": "repair:air_conditioner", "created_at": "2026-11-23T08:00"},
           __import__("datetime").timedelta(minutes=30),
           now=__import__("datetime").datetime(2026, 11, 23, 9, 0))
print(json.dumps([a.outlet_id, h.outlet_id, h.hold]))
"""


def test_idempotency_rules_hold_across_processes(two_unit_dir, redis_url):
    """Another process booked and completed C1 and holds C2: here, C1 again is its
    completed booking (no new one), C1 with other content is a conflict, releasing C1
    is a conflict, a firm dispatch of C2 is a conflict, holding C2 again is the same
    hold, and nothing more is booked."""
    done = subprocess.run([sys.executable, "-c", COMPLETER, str(two_unit_dir), redis_url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    outlet, held_outlet, hold = json.loads(done.stdout)
    d = servnet.Dispatcher(servnet.Network.from_dir(two_unit_dir), servnet.Policy(**POLICY),
                           ledger=redis_url)
    c1 = {**T01, "id": "C1"}
    again = d.dispatch(c1)
    assert again.assigned and again.outlet_id == outlet
    with pytest.raises(servnet.ServnetError, match="another id"):
        d.dispatch({**c1, "units": 2})
    with pytest.raises(servnet.ServnetError, match="completed"):
        d.release("C1")
    c2 = {**T01, "id": "C2"}
    with pytest.raises(servnet.ServnetError, match="held"):
        d.dispatch(c2)
    same = d.hold(c2, dt.timedelta(minutes=30), now=dt.datetime(2026, 11, 23, 9, 0))
    assert (same.outlet_id, same.hold) == (held_outlet, hold)
    loads = d.loads()
    ac = loads[(loads["skill"] == "repair:air_conditioner") & loads["outlet_id"].isin(["O1", "O2"])]
    assert ac["used"].sum() == 2


def test_a_network_change_reaches_every_dispatcher_on_the_namespace(two_unit_dir, redis_url):
    """An outlet suspended through one dispatcher is not offered by another once it
    syncs, nor by one opened afterwards from the same files; reopening it on the
    newcomer reaches the first one."""
    net = servnet.Network.from_dir(two_unit_dir)
    a = servnet.Dispatcher(net, servnet.Policy(**POLICY), ledger=redis_url)
    b = servnet.Dispatcher(net, servnet.Policy(**POLICY), ledger=redis_url)
    best = b.candidates(T01)["outlet_id"].iloc[0]
    a.apply({"change": "outlet_status", "outlet_id": best, "status": "suspended"})
    assert best in set(b.candidates(T01)["outlet_id"]), "b has not synced yet"
    assert b.sync_network() == 1
    assert b.sync_network() == 0
    assert best not in set(b.candidates(T01)["outlet_id"])
    got = b.dispatch(T01)
    assert got.assigned and got.outlet_id != best
    c = servnet.Dispatcher(net, servnet.Policy(**POLICY), ledger=redis_url)
    assert best not in set(c.candidates(T01)["outlet_id"])
    c.apply({"change": "outlet_status", "outlet_id": best, "status": "active"})
    assert a.sync_network() == 1
    assert best in set(a.candidates(T01)["outlet_id"])
