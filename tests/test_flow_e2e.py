"""The nightly flow end to end against the sample world's local server.

Real clients (arxiv, PyGithub, requests) talk to the local server; the real
Prefect flow runs against a temporary Prefect API.  What a user relies on:
every source lands rows; a second night with no upstream change adds and
changes nothing; an incremental night adds exactly the new records; one
broken source does not lose what the others (or earlier nights) loaded.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.nightly import nightly
from sampleworld.files import write_world
from sampleworld.server import serve
from sampleworld.truth import default_world
from warehouse import connect

pytestmark = pytest.mark.slow

RAW_TABLES = [
    "raw_arxiv_papers", "raw_arxiv_authors", "raw_github_repos", "raw_github_contributions",
    "raw_github_users", "raw_conference_speakers", "raw_conference_talks", "raw_internal_people",
]


@pytest.fixture
def world_server():
    with serve(default_world()) as server:
        yield server


@pytest.fixture
def config(tmp_path, world_server) -> Path:
    write_world(tmp_path / "world", default_world(), base_url=world_server.base_url, include_world_json=False)
    path = tmp_path / "world" / "talent-signals.toml"
    path.write_text(path.read_text() + "\n[flow]\nretries = 0\n")
    return path


def run(config: Path, db: Path):
    return nightly(str(config), db=str(db))


def snapshot(db: Path) -> dict[str, list]:
    """Every raw table's content, last_seen excluded (it records the night)."""
    con = connect(db, read_only=True)
    try:
        out = {}
        for table in RAW_TABLES:
            cols = [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall() if r[0] != "last_seen"]
            quoted = ", ".join(f'"{c}"' for c in cols)
            out[table] = sorted(map(repr, con.execute(f'SELECT {quoted} FROM "{table}"').fetchall()))
        return out
    finally:
        con.close()


def query(db: Path, sql: str, params=None):
    con = connect(db, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_every_source_lands_and_a_second_night_changes_nothing(prefect_harness, config, tmp_path):
    db = tmp_path / "wh.duckdb"
    first = run(config, db)
    assert first.status == "success", [(o.source, o.error) for o in first.outcomes]
    assert {o.source for o in first.outcomes} == {
        "arxiv", "github", "internal", "mlops_summit_2026", "mlops_summit_2023",
        "ai_product_days_2025", "hci_ai_forum_2024", "pydata_archive"}
    assert all(o.records > 0 for o in first.outcomes)
    before = snapshot(db)
    assert all(before[t] for t in RAW_TABLES), {t: len(r) for t, r in before.items()}

    second = run(config, db)
    assert second.status == "success"
    assert snapshot(db) == before
    statuses = query(db, 'SELECT "status" FROM "runs" ORDER BY "started_at"')
    assert statuses == [("success",), ("success",)]
    # nothing changed upstream: identity resolution rewrites nothing, ranking recomputes nobody
    assert (first.enrich["identity"]["mode"], second.enrich["identity"]["mode"]) == ("full", "unchanged")
    assert second.enrich["ranking"]["recomputed_people"] == 0
    persons = query(db, 'SELECT * FROM "identity_person" ORDER BY 1')
    third = nightly(str(config), db=str(db), full=True)   # `talent-signals run --full`
    assert third.enrich["identity"]["mode"] == "full" and third.enrich["ranking"]["incremental"] is False
    assert [r[:2] for r in query(db, 'SELECT * FROM "identity_person" ORDER BY 1')] == [r[:2] for r in persons]


def test_incremental_night_adds_exactly_the_new_upstream_records(prefect_harness, config, tmp_path, world_server):
    db = tmp_path / "wh.duckdb"
    run(config, db)
    before = snapshot(db)
    world_server.set_night(2)
    assert run(config, db).status == "success"
    after = snapshot(db)
    added = {t: len(after[t]) - len(before[t]) for t in RAW_TABLES}
    expected = {"paper": 0, "talk": 0, "github_user": 0, "contribution": 0}
    for item in default_world().night2:
        expected[item["kind"]] += 1
    assert added["raw_arxiv_papers"] == expected["paper"]
    assert added["raw_github_users"] == expected["github_user"]
    assert added["raw_github_contributions"] == expected["contribution"]
    assert added["raw_conference_talks"] == expected["talk"]
    assert added["raw_internal_people"] == 0 and added["raw_github_repos"] == 0
    # nothing that was there before changed or went missing (repos that gained contributors
    # on night 2 were pushed: their pushed_at moves, the count above says none went missing)
    for table in ("raw_arxiv_papers", "raw_internal_people"):
        assert set(before[table]) <= set(after[table])
    new_papers = {k for (k,) in query(db, 'SELECT "paper_id" FROM "raw_arxiv_papers"')}
    assert {i["key"] for i in default_world().night2 if i["kind"] == "paper"} <= new_papers


@pytest.mark.parametrize("kind", ["500", "malformed"])  # every fault kind per source: test_faults.py
def test_a_broken_source_makes_a_partial_night_and_loses_nothing(prefect_harness, config, tmp_path,
                                                                  world_server, kind):
    db = tmp_path / "wh.duckdb"
    run(config, db)
    before = snapshot(db)
    world_server.inject("/sessionize/", kind, times=100)
    summary = run(config, db)
    assert summary.status == "partial"
    failed = {o.source: o for o in summary.outcomes if o.status != "success"}
    assert set(failed) == {"ai_product_days_2025"}
    assert failed["ai_product_days_2025"].error
    assert snapshot(db) == before  # the broken source's earlier rows and everyone else's stay
    status, errors = query(db, 'SELECT "status", "errors" FROM "runs" ORDER BY "started_at" DESC LIMIT 1')[0]
    assert status == "partial" and "ai_product_days_2025" in json.loads(errors)


def test_a_broken_first_night_still_publishes_the_other_sources(prefect_harness, config, tmp_path, world_server):
    db = tmp_path / "wh.duckdb"
    world_server.inject("/pretalx/", "500", times=100)
    summary = run(config, db)
    assert summary.status == "partial"
    assert query(db, 'SELECT count(*) FROM "raw_arxiv_papers"')[0][0] > 0
    sources = {s for (s,) in query(db, 'SELECT DISTINCT "source" FROM "raw_conference_speakers"')}
    assert "mlops_summit_2026" not in sources and "ai_product_days_2025" in sources
    failed = query(db, "SELECT source, error FROM source_runs WHERE status <> 'success'")
    assert {s for s, _ in failed} == {"mlops_summit_2026", "mlops_summit_2023"}
    assert all("500" in e for _, e in failed)


def readme_queries() -> list[str]:
    import re

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    return re.findall(r"```sql\n(.*?)```", text, flags=re.S)


def test_readme_queries_run_as_written_and_find_something(prefect_harness, config, tmp_path):
    import duckdb

    db = tmp_path / "wh.duckdb"
    run(config, db)
    queries = readme_queries()
    assert len(queries) >= 6
    con = duckdb.connect(str(db), read_only=True)  # the stock client, as a recruiter would
    try:
        for sql in queries:
            rows = con.execute(sql).fetchall()
            assert rows, f"README query found nothing on the sample world:\n{sql}"
    finally:
        con.close()


def test_a_reader_open_during_the_night_keeps_the_old_state(prefect_harness, config, tmp_path, world_server):
    db = tmp_path / "wh.duckdb"
    run(config, db)
    reader = connect(db, read_only=True)
    try:
        papers_before = reader.execute('SELECT count(*) FROM "raw_arxiv_papers"').fetchone()[0]
        world_server.set_night(2)
        assert run(config, db).status == "success"  # the open reader does not block the writer
        assert reader.execute('SELECT count(*) FROM "raw_arxiv_papers"').fetchone()[0] == papers_before
        assert reader.execute('SELECT count(*) FROM "runs"').fetchone()[0] == 1
    finally:
        reader.close()
    fresh = query(db, 'SELECT count(*) FROM "raw_arxiv_papers"')[0][0]
    assert fresh > papers_before
    assert query(db, 'SELECT count(*) FROM "runs"')[0][0] == 2


def test_a_night_where_every_source_fails_ends_failed_in_prefect(prefect_harness, tmp_path):
    from flows.nightly import NightFailed

    config = tmp_path / "c.toml"
    config.write_text('[warehouse]\npath = "wh.duckdb"\n[flow]\nretries = 0\n'
                      '[sources.arxiv]\nqueries = ["all:x"]\nbase_url = "http://127.0.0.1:9/api/query"\n'
                      'delay_seconds = 0\nnum_retries = 0\ntimeout_seconds = 2\n')
    with pytest.raises(NightFailed) as info:
        nightly(str(config))
    assert info.value.summary.status == "failed" and "arxiv" in str(info.value)
    # the failure itself is published for recruiters and operators to see
    assert query(tmp_path / "wh.duckdb", 'SELECT "status" FROM "runs"') == [("failed",)]


def test_the_night_summary_is_a_prefect_artifact(prefect_harness, config, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    summary = run(config, tmp_path / "wh.duckdb")
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["night-summary"])))
    texts = [a.data for a in artifacts if summary.run_id in (a.data or "")]
    assert texts, "no night-summary artifact for this run"
    assert "arxiv" in texts[0] and "| success |" in texts[0] and "new leads" in texts[0]


def test_hostile_strings_flow_through_a_full_run_and_exports_neutralised(prefect_harness, tmp_path):
    import csv

    from openpyxl import load_workbook

    from flows.export import export_from_warehouse
    from sampleworld.generate import generate_world

    world = generate_world(hostile=True)
    with serve(world) as server:
        write_world(tmp_path, world, base_url=server.base_url, include_world_json=False)
        db = tmp_path / "wh.duckdb"
        assert nightly(str(tmp_path / "talent-signals.toml"), db=str(db)).status == "success"
    names = {n for (n,) in query(db, "SELECT name FROM identities")}
    assert '=HYPERLINK("http://x","click")' in names  # stored verbatim, never executed
    assert query(db, "SELECT count(*) FROM people")[0][0] > 0  # no injected DROP took effect
    triggers = ("=", "+", "-", "@", "\t", "\r", "\n")
    roles = [r for (r,) in query(db, "SELECT DISTINCT role FROM leads")]
    neutralised = 0
    for role in roles:
        result = export_from_warehouse(db, role, top=200, fmt="csv", out=tmp_path / f"{role}.csv")
        with open(result.path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                for column, value in row.items():
                    if column not in ("rank", "score"):
                        assert not value.startswith(triggers), (column, value)
                        neutralised += value.startswith("'") and value[1:2] in "=+-@"
        xlsx = export_from_warehouse(db, role, top=200, fmt="xlsx", out=tmp_path / f"{role}.xlsx")
        for row in load_workbook(xlsx.path).active.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(triggers), cell.value
    assert neutralised > 0, "the hostile world's strings never reached an export"
