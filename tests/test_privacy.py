"""People's data protected: forget + suppression, Art. 14 notice, retention.

The warehouse is built from the sample world once per module without Prefect
(sources pulled against the local server, loaded with ``load_page``, then
identity resolution and ranking), and copied for each test.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from enrich.identity import resolve
from enrich.rank import rank
from flows import privacy
from flows.config import ConfigError, load_config
from flows.feedback import mark, sidecar_path
from flows.privacy import (
    PrivacyError, PrivacySettings, apply_suppressions, forget, notice_text, privacy_sidecar_path,
    purge_expired, uncovered_raw_tables,
)
from flows.wiring import pull_function
from sampleworld.files import write_world
from sampleworld.server import serve
from sampleworld.truth import default_world
from sources.records import InternalPerson
from warehouse import connect, load_page, migrate

SQLI = "x'); DROP TABLE raw_github_users; --"
NOW = datetime(2026, 12, 1, 3, 0, 0)


# --- building the sample-world warehouse ------------------------------------------------------
def load_all_sources(con, config, now=None) -> None:
    for spec in config.sources:
        for page in pull_function(spec.kind)(spec.settings, {}):
            if page.records:
                load_page(con, page.records, now=now)


def enrich(con) -> None:
    resolve(con)
    rank(con)


@pytest.fixture(scope="module")
def world_env(tmp_path_factory):
    """(config, template warehouse path) with the sample-world server running for the module."""
    tmp = tmp_path_factory.mktemp("privacy-world")
    with serve(default_world()) as server:
        write_world(tmp, default_world(), base_url=server.base_url, include_world_json=False)
        template = tmp / "template.duckdb"
        config = load_config(tmp / "talent-signals.toml", db=template)
        con = connect(template)
        migrate(con)
        load_all_sources(con, config)
        enrich(con)
        con.execute("CHECKPOINT")
        con.close()
        yield config, template


@pytest.fixture
def db(world_env, tmp_path) -> Path:
    path = tmp_path / "wh.duckdb"
    shutil.copyfile(world_env[1], path)
    return path


def query(path: Path, sql: str, params=None):
    con = connect(path, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def person_of(path: Path, name: str) -> str:
    rows = query(path, 'SELECT person_id FROM people WHERE name = ?', [name])
    assert len(rows) == 1, rows
    return rows[0][0]


def needles_of(path: Path, person_id: str) -> set[str]:
    """Every string that identifies the person: names as published, logins, emails, link values."""
    names = query(path, 'SELECT DISTINCT name FROM identities WHERE person_id = ?', [person_id])
    links = query(path, 'SELECT DISTINCT l.value FROM identity_links l JOIN identities i USING (identity_id) '
                        "WHERE i.person_id = ? AND l.kind NOT IN ('paper_code_github', 'hub_github', 'arxiv_paper')",
                  [person_id])
    emails = query(path, 'SELECT DISTINCT email FROM identities WHERE person_id = ? AND email IS NOT NULL', [person_id])
    keys = query(path, "SELECT DISTINCT source_key FROM identities WHERE person_id = ? AND source_kind <> 'arxiv'",
                 [person_id])
    return {v for (v,) in names + links + emails + keys if v and len(v) >= 4}


def occurrences(path: Path, needles: set[str]) -> list[tuple[str, list[str]]]:
    """(table, needles) for every table of the file whose rows mention a needle (views only
    re-show tables, so base tables are enough; one query per table)."""
    con = connect(path, read_only=True)
    lowered = sorted(n.lower() for n in needles)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()]
        found = []
        for table in tables:
            hits = con.execute(f'SELECT list_distinct(flatten(list([n FOR n IN ?::VARCHAR[] '
                               f'IF contains(lower(x::VARCHAR), n)]))) FROM "{table}" x', [lowered]).fetchone()[0]
            if hits:
                found.append((table, hits))
        return found
    finally:
        con.close()


def identity_ids(path: Path) -> set[str]:
    return {r[0] for r in query(path, "SELECT identity_id FROM identities")}


# --- coverage -----------------------------------------------------------------------------------
def test_every_raw_table_is_covered_by_a_suppression_rule():
    con = connect()
    migrate(con)
    assert uncovered_raw_tables(con) == []
    con.execute('CREATE TABLE "raw_new_source" ("x" VARCHAR)')
    assert uncovered_raw_tables(con) == ["raw_new_source"]


# --- forget + suppression -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def forgotten(world_env, tmp_path_factory):
    """Forget three people seen in several sources, each named a different way (once per module;
    tests that write copy the result first)."""
    db = tmp_path_factory.mktemp("forgotten") / "wh.duckdb"
    shutil.copyfile(world_env[1], db)
    people = {
        "by_name": person_of(db, "Jennifer Smith"),      # arXiv (with initials), GitHub, pretalx
        "by_id": person_of(db, "Yusuf Sharma"),          # arXiv, GitHub, Sessionize; homepage and X links
        "by_email": person_of(db, "Olu Adeyemi"),        # GitHub + internal list, public email
    }
    before = {key: {r[0] for r in query(db, "SELECT identity_id FROM identities WHERE person_id = ?", [pid])}
              for key, pid in people.items()}
    needles = set().union(*(needles_of(db, pid) for pid in people.values()))
    email = query(db, "SELECT min(email) FROM identities WHERE person_id = ? AND source = 'internal'",
                  [people["by_email"]])[0][0]
    ro = connect(db, read_only=True)
    try:
        mark(ro, people["by_id"], "ml_engineer", "contacted", "emailed them", "rita")
    finally:
        ro.close()
    all_before = identity_ids(db)
    results = [forget(db, "Jennifer Smith", reason="Art. 17 request"),
               forget(db, people["by_id"]),
               forget(db, f"email:{email.upper()}")]
    return {"people": people, "identities": before, "needles": needles, "results": results,
            "all_before": all_before, "db": db}


def test_forget_erases_the_person_from_every_table_and_sidecar(forgotten):
    db = forgotten["db"]
    assert all(r.published_erased for r in forgotten["results"])
    assert [r.person_id for r in forgotten["results"]] == list(forgotten["people"].values())
    assert {"jennifersmi", "Jennifer Smith", "J. Smith"} <= forgotten["needles"]
    assert occurrences(db, forgotten["needles"]) == []
    assert occurrences(sidecar_path(db), forgotten["needles"]) == []
    assert query(sidecar_path(db), "SELECT count(*) FROM feedback_history")[0][0] == 0
    gone = set().union(*forgotten["identities"].values())
    assert identity_ids(db) == forgotten["all_before"] - gone     # nobody else lost a record
    for pid in forgotten["people"].values():
        for table in ("identity_person", "person_features", "feature_evidence", "role_scores", "lead_rows", "feedback"):
            assert query(db, f'SELECT count(*) FROM "{table}" WHERE person_id = ?', [pid])[0][0] == 0, table


def test_leads_keep_contiguous_ranks_after_forget(forgotten):
    db = forgotten["db"]
    for role, n, top in query(db, 'SELECT role, count(*), max("rank") FROM lead_rows GROUP BY role'):
        assert n == top, role


def test_reloading_every_source_does_not_recreate_forgotten_people(world_env, forgotten, tmp_path):
    config, db = world_env[0], tmp_path / "wh.duckdb"
    for suffix in ("", ".feedback.duckdb", ".privacy.duckdb"):
        shutil.copyfile(str(forgotten["db"]) + suffix, str(db) + suffix)
    con = connect(db)
    try:
        load_all_sources(con, config, now=datetime.now(timezone.utc) + timedelta(days=1))
        assert apply_suppressions(con, db) > 0
        enrich(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    assert occurrences(db, forgotten["needles"]) == []
    gone = set().union(*forgotten["identities"].values())
    assert identity_ids(db) == forgotten["all_before"] - gone


def test_suppression_entries_hold_no_plaintext_identifier(forgotten):
    db = forgotten["db"]
    store = privacy_sidecar_path(db)
    assert occurrences(store, forgotten["needles"]) == []
    assert occurrences(db, forgotten["needles"]) == []   # the warehouse mirror neither
    rows = query(store, "SELECT key_hash, kind, reason FROM suppressions")
    assert len(rows) == sum(r.new_suppressions for r in forgotten["results"]) > 10
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h, _, _ in rows)
    assert {k for _, k, _ in rows} >= {"github", "name", "id", "email"}
    salt = query(store, "SELECT salt FROM privacy_salt")
    assert len(salt) == 1 and re.fullmatch(r"[0-9a-f]{64}", salt[0][0])
    assert query(db, "SELECT salt FROM privacy_salt") == salt
    assert privacy.key_hash(salt[0][0], "github:jennifersmi") in {h for h, _, _ in rows}


def test_forget_an_identifier_not_yet_collected_suppresses_it(db):
    login = query(db, "SELECT login FROM raw_github_users ORDER BY login LIMIT 1")[0][0]
    before = identity_ids(db)
    result = forget(db, "orcid:0000-0002-1825-0097")
    assert result.person_id is None and result.new_suppressions == 1
    assert identity_ids(db) == before
    forget(db, f"github:{login}")
    assert f"github:{login}" not in identity_ids(db)


def test_forget_while_the_warehouse_is_open_elsewhere_is_finished_by_the_night(db, monkeypatch):
    """A recruiter's read-only session blocks the write; the sidecar entry makes the night erase them."""
    monkeypatch.setattr(privacy, "LOCK_WAIT_SECONDS", 0.3)
    pid = person_of(db, "Jonas Schäfer")
    needles = needles_of(db, pid)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, duckdb; c = duckdb.connect(sys.argv[1], read_only=True); "
         "print('ready', flush=True); sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = forget(db, pid)
    finally:
        holder.communicate("", timeout=30)
    assert not result.published_erased and "locked" in result.problem
    assert "next night" in result.message()
    assert occurrences(db, needles)                       # still there: the write was refused
    staging = db.with_name(db.name + ".building")         # what NightlyBuild does
    shutil.copyfile(db, staging)
    con = connect(staging)
    try:
        apply_suppressions(con, db)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    assert occurrences(staging, needles) == []


@pytest.mark.parametrize("hostile", [SQLI, "' OR '1'='1", 'Robert"); DROP TABLE "people"; --', "%", "email:'; --"])
def test_hostile_person_strings_are_data(db, hostile):
    before = identity_ids(db)
    if hostile.startswith("email:"):
        assert forget(db, hostile).person_id is None      # an identifier: suppressed, nothing matched
    else:
        with pytest.raises(PrivacyError, match="no person"):
            forget(db, hostile)
    ro = connect(db, read_only=True)
    try:
        with pytest.raises(PrivacyError):
            notice_text(ro, hostile)
    finally:
        ro.close()
    assert identity_ids(db) == before


def test_a_person_with_a_hostile_name_is_forgotten(tmp_path):
    db = tmp_path / "small.duckdb"
    con = connect(db)
    migrate(con)
    load_page(con, [InternalPerson("x@corp.example", SQLI, "Platform", ("python",), "evil'login"),
                    InternalPerson("ok@corp.example", "Ana Ok", "Data")])
    enrich(con)
    con.close()
    result = forget(db, SQLI)
    assert result.published_erased and result.identities == 1
    assert occurrences(db, {"x@corp.example", "evil'login", "DROP TABLE"}) == []
    assert identity_ids(db) == {"internal:ok@corp.example"}


# --- Art. 14 notice ------------------------------------------------------------------------------
def test_notice_names_sources_urls_first_seen_and_how_to_object(db):
    pid = person_of(db, "Yusuf Sharma")
    first = query(db, "SELECT min(first_seen) FROM identities WHERE person_id = ?", [pid])[0][0]
    urls = [u for (u,) in query(db, "SELECT DISTINCT url FROM identities WHERE person_id = ? AND url IS NOT NULL", [pid])]
    con = connect(db, read_only=True)
    try:
        text = notice_text(con, "Yusuf Sharma", controller="ACME GmbH, privacy@acme.example", retention_days=180)
    finally:
        con.close()
    assert "ACME GmbH, privacy@acme.example" in text
    assert "arXiv (arxiv.org)" in text and "GitHub (github.com)" in text and "ai_product_days_2025" in text
    assert any(u in text for u in urls if "arxiv.org" in u) and any(u in text for u in urls if "github.com" in u)
    assert f"{first:%Y-%m-%d}" in text
    assert "Art. 17" in text and "Art. 21" in text and "object" in text
    assert "180 days" in text and "recruiting" in text.lower()
    assert "homepage" in text  # the actual fields and links held


def test_notice_without_controller_shows_the_placeholder(db):
    con = connect(db, read_only=True)
    try:
        text = notice_text(con, person_of(db, "Jennifer Smith"))
    finally:
        con.close()
    assert "[controller:" in text and "365 days" in text


# --- retention -----------------------------------------------------------------------------------
RAW_WITH_LAST_SEEN = ("raw_arxiv_papers", "raw_arxiv_authors", "raw_github_repos", "raw_github_users",
                      "raw_github_contributions", "raw_conference_speakers", "raw_conference_talks",
                      "raw_internal_people", "raw_venue_papers", "raw_venue_authors", "raw_hub_repos", "raw_hub_users")


def test_retention_purges_unseen_people_and_keeps_contacted_and_fresh_ones(world_env, db):
    config = world_env[0]
    keep_pid = person_of(db, "Jennifer Smith")     # contacted: kept although not seen for long
    drop_pid = person_of(db, "Yusuf Sharma")       # not_a_fit: protects nothing
    fresh_pid = person_of(db, "Olu Adeyemi")       # the internal list is re-imported below
    con = connect(db)
    try:
        for table in RAW_WITH_LAST_SEEN:
            con.execute(f'UPDATE "{table}" SET "last_seen" = ?::TIMESTAMP - INTERVAL 400 DAY', [NOW])
        internal = config.source("internal")
        for page in pull_function("internal")(internal.settings, {}):
            load_page(con, page.records, now=NOW)
        mark(con, keep_pid, "ml_engineer", "contacted", store=sidecar_path(db))
        mark(con, drop_pid, "ml_engineer", "not_a_fit", store=sidecar_path(db))
        counts = purge_expired(con, days=365, now=NOW, feedback_store=sidecar_path(db))
        people = {r[0] for r in con.execute("SELECT person_id FROM people").fetchall()}
        internal_left = con.execute("SELECT count(*) FROM raw_internal_people").fetchone()[0]
        orphans = con.execute('SELECT count(*) FROM raw_arxiv_papers p WHERE NOT EXISTS '
                              '(SELECT 1 FROM raw_arxiv_authors a WHERE a.paper_id = p.paper_id)').fetchone()[0]
    finally:
        con.close()
    assert keep_pid in people and fresh_pid in people and drop_pid not in people
    assert internal_left == 7 and orphans == 0
    assert counts["raw_arxiv_authors"] > 100 and counts["raw_github_users"] > 50
    assert counts["raw_arxiv_papers"] > 0 and counts["identity_person"] > 100
    # the fresh person keeps their GitHub record too: retention is per person, not per row
    assert "github" in query(db, "SELECT sources FROM people WHERE person_id = ?", [fresh_pid])[0][0]


def test_retention_keeps_everything_seen_recently(db):
    before = identity_ids(db)
    con = connect(db)
    try:
        counts = purge_expired(con, days=30, now=datetime.now(timezone.utc))
    finally:
        con.close()
    assert counts == {} and identity_ids(db) == before


@pytest.mark.parametrize("bad", [0, -1, 5000, "365", True, 1.5])
def test_retention_days_must_be_a_sane_whole_number(bad):
    with pytest.raises(ConfigError, match="privacy.retention_days"):
        PrivacySettings.from_options({"privacy": {"retention_days": bad}})


def test_privacy_settings_from_config_options():
    settings = PrivacySettings.from_options({"privacy": {"retention_days": 90, "controller": "ACME GmbH"}})
    assert settings == PrivacySettings(90, "ACME GmbH")
    assert PrivacySettings.from_options({}) == PrivacySettings(365, None)
    with pytest.raises(ConfigError, match="privacy.retention"):
        PrivacySettings.from_options({"privacy": {"retention": 90}})
