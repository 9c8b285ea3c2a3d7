"""A night killed with SIGKILL at any point loses nothing and the next night catches up.

What a user relies on: the published warehouse is never half-written (the
night builds in a side file and swaps it in atomically), so a crash, an OOM
kill or a power cut mid-run leaves yesterday's warehouse intact and
readable, and the next run ends exactly where an uninterrupted run would.

The killed night is a real ``talent-signals run`` subprocess.  It is
stopped at known points through the flow's test hook
(``TALENT_SIGNALS_TEST_PAUSE_AT``, see ``flows.nightly.pause_for_tests``),
or on a log line (identity resolution done: ranking is running).  The
subprocess talks to the session's Prefect test API (an ephemeral API per
process costs ~20 s of start-up here) with its own ``PREFECT_HOME``.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from flows.nightly import nightly
from sampleworld.files import write_world
from sampleworld.server import serve
from sampleworld.truth import default_world
from warehouse import connect

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
RAW_TABLES = [
    "raw_arxiv_papers", "raw_arxiv_authors", "raw_github_repos", "raw_github_contributions",
    "raw_github_users", "raw_conference_speakers", "raw_conference_talks", "raw_internal_people",
]
LOAD_TIME_COLUMNS = {"first_seen", "last_seen"}  # when a row was loaded: differs between runs by design


def raw_snapshot(db: Path) -> dict[str, list[str]]:
    """Every raw table's rows (load times left out) plus the incremental state values."""
    con = connect(db, read_only=True)
    try:
        out = {}
        for table in RAW_TABLES:
            cols = [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall() if r[0] not in LOAD_TIME_COLUMNS]
            quoted = ", ".join(f'"{c}"' for c in cols)
            out[table] = sorted(map(repr, con.execute(f'SELECT {quoted} FROM "{table}"').fetchall()))
        out["source_state"] = sorted(map(repr, con.execute('SELECT "source", "key", "value" FROM "source_state"').fetchall()))
        return out
    finally:
        con.close()


def leads(db: Path) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute('SELECT "role", "rank", "person_id", "name", round("score", 4), "explanation", '
                           '"sources" FROM "leads" ORDER BY "role", "rank"').fetchall()
    finally:
        con.close()


def run_statuses(db: Path) -> list[str]:
    con = connect(db, read_only=True)
    try:
        return [s for (s,) in con.execute('SELECT "status" FROM "runs" ORDER BY "started_at"').fetchall()]
    finally:
        con.close()


def copy_warehouse(src: Path, dst: Path) -> None:
    """The published file and its sidecars (feedback)."""
    for path in src.parent.glob(src.name + "*"):
        shutil.copyfile(path, dst.parent / (dst.name + path.name[len(src.name):]))


@pytest.fixture(scope="module")
def server():
    with serve(default_world()) as running:
        yield running


@pytest.fixture(scope="module")
def config(tmp_path_factory, server) -> Path:
    world_dir = tmp_path_factory.mktemp("world")
    write_world(world_dir, default_world(), base_url=server.base_url, include_world_json=False)
    path = world_dir / "talent-signals.toml"
    path.write_text(path.read_text() + "\n[flow]\nretries = 0\n")
    return path


@pytest.fixture(scope="module")
def baseline(prefect_harness, server, config, tmp_path_factory):
    """Night 1 published, and the uninterrupted night 2 that follows it."""
    folder = tmp_path_factory.mktemp("baseline")
    night1, both = folder / "night1.duckdb", folder / "both.duckdb"
    server.set_night(1)
    assert nightly(str(config), db=str(night1)).status == "success"
    copy_warehouse(night1, both)
    server.set_night(2)
    try:
        assert nightly(str(config), db=str(both)).status == "success"
    finally:
        server.set_night(1)
    return {"night1": night1, "night1_raw": raw_snapshot(night1),
            "raw": raw_snapshot(both), "leads": leads(both)}


def start_night(config: Path, db: Path, log: Path, pause_at: str | None) -> subprocess.Popen:
    from prefect.settings import PREFECT_API_URL

    env = dict(os.environ, PREFECT_API_URL=PREFECT_API_URL.value(),
               PREFECT_HOME=tempfile.mkdtemp(prefix="ts-kill-prefect-"), PREFECT_LOGGING_LEVEL="INFO")
    env.pop("TALENT_SIGNALS_TEST_PAUSE_AT", None)
    if pause_at:
        env["TALENT_SIGNALS_TEST_PAUSE_AT"] = pause_at
    command = [sys.executable, "-m", "flows.cli", "run", "--config", str(config), "--db", str(db)]
    with log.open("wb") as handle:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT)


def kill_when_logged(proc: subprocess.Popen, log: Path, marker: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker in log.read_text("utf-8", errors="replace"):
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            return
        if proc.poll() is not None:
            pytest.fail(f"the night ended (exit {proc.returncode}) before {marker!r}:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    pytest.fail(f"{marker!r} not logged within {timeout:g} s:\n{log.read_text()[-3000:]}")


KILL_POINTS = {
    # step -> (hook step or None, log line that means "we are there")
    "during source pulls": ("pull:github", "test pause at pull:github"),
    "before resolution": ("enrich", "test pause at enrich"),
    "during ranking": (None, "identity resolution:"),
    "right before publish": ("publish", "test pause at publish"),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_killed_night_keeps_the_warehouse_and_the_next_night_catches_up(
        point, baseline, server, config, tmp_path):
    db = tmp_path / "wh.duckdb"
    copy_warehouse(baseline["night1"], db)
    published_bytes = db.read_bytes()
    hook, marker = KILL_POINTS[point]
    server.set_night(2)
    try:
        proc = start_night(config, db, tmp_path / "night.log", hook)
        kill_when_logged(proc, tmp_path / "night.log", marker)
        assert proc.returncode == -signal.SIGKILL
        # the published warehouse is untouched, readable, and still says one night ran
        assert db.read_bytes() == published_bytes
        assert raw_snapshot(db) == baseline["night1_raw"]
        assert run_statuses(db) == ["success"]
        # the next night completes and ends exactly where an uninterrupted one does
        assert nightly(str(config), db=str(db)).status == "success"
    finally:
        server.set_night(1)
    assert raw_snapshot(db) == baseline["raw"]
    assert leads(db) == baseline["leads"]
    assert run_statuses(db) == ["success", "success"]
    assert not Path(str(db) + ".building").exists()


def test_a_first_night_killed_before_publish_publishes_nothing(prefect_harness, server, config, tmp_path):
    db = tmp_path / "wh.duckdb"
    proc = start_night(config, db, tmp_path / "night.log", "publish")
    kill_when_logged(proc, tmp_path / "night.log", "test pause at publish")
    assert not db.exists()  # no half-built warehouse where recruiters look
    assert nightly(str(config), db=str(db)).status == "success"
    assert run_statuses(db) == ["success"]
