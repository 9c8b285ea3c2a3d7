"""The GitHub token never leaves the process; bad config stops before any work.

What a user relies on: with ``token_env`` pointing at a real token, a whole
night -- logs at DEBUG, Prefect logs and artifacts, the warehouse and its
feedback sidecar, shortlist exports in every format, ``sql`` output --
never contains the token.  The test runs a night with a sentinel token and
searches every one of those outputs for it.  And a config with an unknown
source format, a bad URL or a required token that is missing stops with a
one-line error naming the key before a single request or file is made.
"""
from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import pytest

from flows import cli
from sampleworld.files import write_world
from sampleworld.server import serve
from sampleworld.truth import default_world
from warehouse import connect

SENTINEL = "ghp_SENTINEL0123456789abcdef"
TOKEN_ENV = "TS_TEST_SENTINEL_TOKEN"


@pytest.fixture(scope="module")
def server():
    with serve(default_world()) as running:
        yield running


def world_config(folder: Path, server) -> Path:
    write_world(folder, default_world(), base_url=server.base_url, include_world_json=False)
    path = folder / "talent-signals.toml"
    text = path.read_text().replace("[sources.github]\n", f'[sources.github]\ntoken_env = "{TOKEN_ENV}"\n'
                                                          "require_token = true\n")
    path.write_text(text + "\n[flow]\nretries = 0\n")
    return path


def leaks_in_bytes(data: bytes) -> bool:
    return SENTINEL.encode() in data or SENTINEL.encode("utf-16-le") in data


def leaks_in_file(path: Path) -> bool:
    data = path.read_bytes()
    if zipfile.is_zipfile(path):  # xlsx: search the unpacked members too
        with zipfile.ZipFile(path) as archive:
            return leaks_in_bytes(data) or any(leaks_in_bytes(archive.read(n)) for n in archive.namelist())
    return leaks_in_bytes(data)


def leaks_in_tables(db: Path) -> list[str]:
    """Every text column of every table and view, searched with SQL (DuckDB compresses strings on disk)."""
    con = connect(db, read_only=True)
    try:
        found = []
        for table, column in con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall():
            hit = con.execute(f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS VARCHAR) LIKE ?',
                              [f"%{SENTINEL}%"]).fetchone()[0]
            if hit:
                found.append(f"{table}.{column}")
        return found
    finally:
        con.close()


@pytest.fixture(scope="module")
def night(prefect_harness, server, tmp_path_factory):
    """One night with the sentinel token; its logs captured at DEBUG on every logger."""
    from flows.nightly import nightly

    folder = tmp_path_factory.mktemp("secrets")
    config = world_config(folder, server)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler, root = Keep(logging.DEBUG), logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "github", "urllib3", "sources", "prefect")}
    root.addHandler(handler)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    mp = pytest.MonkeyPatch()
    mp.setenv(TOKEN_ENV, SENTINEL)
    try:
        summary = nightly(str(config), db=str(folder / "wh.duckdb"))
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        mp.undo()
    assert summary.status == "success", [(o.source, o.error) for o in summary.outcomes]
    return {"folder": folder, "db": folder / "wh.duckdb", "summary": summary, "records": records}


def test_the_token_was_really_used(night):
    messages = [r.getMessage() for r in night["records"]]
    assert any("with token" in m for m in messages)  # the client authenticated: the test can fail
    assert len(messages) > 100  # DEBUG logging was really on


def test_no_log_line_carries_the_token(night):
    for record in night["records"]:
        text = record.getMessage() + " " + repr(record.args) + " " + str(record.exc_info or "")
        assert SENTINEL not in text, f"{record.name}: {text[:300]}"


def test_no_prefect_log_or_artifact_carries_the_token(night):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts()
        assert artifacts, "no Prefect artifact to search"
        for artifact in artifacts:
            assert SENTINEL not in f"{artifact.data} {artifact.description} {artifact.metadata_}"
        runs = client.read_flow_runs()
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[r.id for r in runs])))
    assert logs, "no Prefect logs to search"
    assert not [log.message for log in logs if SENTINEL in log.message]
    assert not [r.name for r in runs if SENTINEL in str(r.parameters)]


def test_the_warehouse_and_its_sidecars_never_hold_the_token(night, capsys):
    db = night["db"]
    person, role = connect(db, read_only=True).execute(
        "SELECT person_id, role FROM leads ORDER BY role, rank LIMIT 1").fetchone()
    assert cli.main(["mark", person, "--role", role, "--status", "contacted", "--db", str(db)]) == 0
    files = [p for p in db.parent.iterdir() if p.name.startswith(db.name)]
    assert len(files) >= 2  # the warehouse and the feedback sidecar
    for path in files:
        assert not leaks_in_file(path), path
        if path.suffix == ".duckdb":
            assert leaks_in_tables(path) == [], path


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "json"])
def test_exports_and_sql_output_never_hold_the_token(night, tmp_path, capsys, fmt):
    db = night["db"]
    roles = [r for (r,) in connect(db, read_only=True).execute("SELECT DISTINCT role FROM leads").fetchall()]
    for role in roles:
        out = tmp_path / f"{role}.{fmt}"
        assert cli.main(["shortlist", role, "--top", "500", "--format", fmt, "--db", str(db), "--out", str(out)]) == 0
        assert out.stat().st_size > 0 and not leaks_in_file(out)
    assert cli.main(["sql", "--db", str(db), "--format", "csv", "SELECT * FROM identities"]) == 0
    captured = capsys.readouterr()
    assert "github:" in captured.out and SENTINEL not in captured.out + captured.err


def test_settings_and_source_errors_never_show_the_token(monkeypatch):
    from sources.github import GithubSettings
    from sources.github.client import build_client

    monkeypatch.setenv(TOKEN_ENV, SENTINEL)
    settings = GithubSettings.from_dict("github", {"repos": ["a/b"], "token_env": TOKEN_ENV,
                                                   "base_url": "http://127.0.0.1:9"})
    assert SENTINEL not in repr(settings) and SENTINEL not in str(settings)
    client = build_client(settings)
    try:
        assert SENTINEL not in repr(client.settings)
    finally:
        client.close()


# --- bad config: one line naming the key, before any work ------------------------------------------------------
def _bad_config(tmp_path: Path, server, edit) -> Path:
    path = world_config(tmp_path / "world", server)
    path.write_text(edit(path.read_text()))
    return path


BAD_CONFIGS = {
    "unknown source format": (lambda t: t.replace('format = "sessionize"', 'format = "sessionise"'),
                              "sources.conferences[ai_product_days_2025].format"),
    "bad URL": (lambda t: t.replace('base_url = "http://127.0.0.1', 'base_url = "htp:/127.0.0.1', 1),
                "sources.arxiv.base_url"),
    "URL without host": (lambda t: t.replace('\nurl = "http://127.0.0.1:', '\nurl = "http://:', 1),
                         "sources.conferences[mlops_summit_2026].url"),
    "missing required token": (lambda t: t, "sources.github.require_token"),
    "unknown source": (lambda t: t + '\n[sources.gitlab]\nrepos = ["a/b"]\n', "sources.gitlab"),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_config_stops_before_any_work_with_one_line_naming_the_key(case, tmp_path, server, capsys, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    if case != "missing required token":
        monkeypatch.setenv(TOKEN_ENV, SENTINEL)
    edit, key = BAD_CONFIGS[case]
    config = _bad_config(tmp_path, server, edit)
    server.reset_counts()
    db = tmp_path / "wh.duckdb"
    code = cli.main(["run", "--quiet", "--config", str(config), "--db", str(db)])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and key in err, err
    assert SENTINEL not in err
    assert not db.exists() and not Path(str(db) + ".building").exists()
    assert server.counts == {}  # not one request upstream


def test_shortlist_for_an_unknown_role_names_the_known_ones(night, tmp_path, capsys):
    code = cli.main(["shortlist", "ml_enginer", "--db", str(night["db"]), "--out", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "unknown role" in err and "ml_engineer" in err, err
