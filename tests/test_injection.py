"""Strings from the outside world are data, never code; oversized and hostile pages are refused.

What a user relies on: a speaker called ``'); DROP TABLE people; --`` is
stored and shown as that name, and no command (``sql``, ``shortlist``,
``mark``) turns it, or a hostile CLI argument, into SQL; an unknown role is a
one-line "unknown role" error; a response larger than the configured
``max_bytes`` is cut off with a clear error; a scraped page is parsed, never
executed, and the links on it are never followed.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from flows import cli
from sampleworld.files import HTML_SELECTORS, write_world
from sampleworld.server import serve
from sampleworld.truth import default_world
from sources.errors import ParseError
from warehouse import connect

SQLI = "x'); DROP TABLE leads; --"
WORLD_SQL = "'); DROP TABLE people; --"  # what the hostile sample world puts in bios
PAPER_SQL = "Robert'); DROP TABLE papers;-- at Scale"


def objects(db: Path) -> set[tuple[str, str]]:
    con = connect(db, read_only=True)
    try:
        return set(con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
    finally:
        con.close()


def rows(db: Path, sql: str, params=None) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def hostile_db(prefect_harness, tmp_path_factory) -> Path:
    """A full night over the hostile sample world (SQL/CSV injection strings in names, bios, titles)."""
    from flows.nightly import nightly
    from sampleworld.generate import generate_world

    folder = tmp_path_factory.mktemp("hostile")
    world = generate_world(hostile=True)
    with serve(world) as server:
        write_world(folder, world, base_url=server.base_url, include_world_json=False)
        text = (folder / "talent-signals.toml").read_text()
        (folder / "talent-signals.toml").write_text(text + "\n[flow]\nretries = 0\n")
        db = folder / "wh.duckdb"
        assert nightly(str(folder / "talent-signals.toml"), db=str(db)).status == "success"
    return db


def test_injection_strings_from_every_source_are_stored_as_data(hostile_db):
    assert {"people", "leads", "identities", "raw_arxiv_papers"} <= {name for name, _ in objects(hostile_db)}
    bios = {b for (b,) in rows(hostile_db, "SELECT bio FROM identities WHERE bio IS NOT NULL")}
    assert WORLD_SQL in bios  # a speaker's and a GitHub user's bio, verbatim
    titles = {t for (t,) in rows(hostile_db, "SELECT title FROM evidence")}
    assert PAPER_SQL in titles
    assert rows(hostile_db, "SELECT count(*) FROM people")[0][0] > 0
    assert rows(hostile_db, "SELECT count(*) FROM raw_arxiv_papers")[0][0] > 0


def test_sql_command_returns_hostile_strings_as_data(hostile_db, capsys):
    before = objects(hostile_db)
    code = cli.main(["sql", "--db", str(hostile_db), "--format", "json",
                     "SELECT DISTINCT bio FROM identities WHERE bio LIKE '%DROP TABLE%'"])
    assert code == 0
    assert WORLD_SQL in {r["bio"] for r in json.loads(capsys.readouterr().out)}
    assert objects(hostile_db) == before


@pytest.mark.parametrize("role", [SQLI, "ml_engineer' OR '1'='1", "ml_engineer; DROP TABLE leads", '"; --'])
def test_shortlist_with_a_hostile_role_is_an_unknown_role_error(hostile_db, tmp_path, capsys, role):
    before = objects(hostile_db)
    code = cli.main(["shortlist", role, "--db", str(hostile_db), "--out", str(tmp_path / "out.csv")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "unknown role" in err, err
    assert not (tmp_path / "out.csv").exists()
    assert objects(hostile_db) == before


def test_shortlist_exports_hostile_names_as_data(hostile_db, tmp_path, capsys):
    before = objects(hostile_db)
    roles = [r for (r,) in rows(hostile_db, "SELECT DISTINCT role FROM leads ORDER BY 1")]
    seen = set()
    for role in roles:
        out = tmp_path / f"{role}.csv"
        assert cli.main(["shortlist", role, "--db", str(hostile_db), "--top", "500", "--out", str(out)]) == 0
        with out.open(newline="", encoding="utf-8") as handle:
            seen |= {v for row in csv.DictReader(handle) for v in row.values()}
    assert any("DROP TABLE" in v for v in seen) or any("HYPERLINK" in v for v in seen)
    assert objects(hostile_db) == before


@pytest.mark.parametrize("person,role,needle", [
    (SQLI, "ml_engineer", "no person with id or name"),
    ("'); DROP TABLE people; --", "ml_engineer", "no person with id or name"),
    (None, SQLI, "unknown role"),
])
def test_mark_with_hostile_arguments_is_a_one_line_error(hostile_db, capsys, person, role, needle):
    person = person or rows(hostile_db, "SELECT person_id FROM leads LIMIT 1")[0][0]
    before = objects(hostile_db)
    code = cli.main(["mark", person, "--role", role, "--status", "contacted", "--db", str(hostile_db)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and needle in err, err
    assert objects(hostile_db) == before


def test_mark_keeps_hostile_notes_and_names_as_data(hostile_db, capsys):
    person, role = rows(hostile_db, "SELECT person_id, role FROM leads ORDER BY role, rank LIMIT 1")[0]
    code = cli.main(["mark", person, "--role", role, "--status", "not_a_fit", "--note", SQLI,
                     "--by", WORLD_SQL, "--db", str(hostile_db)])
    assert code == 0, capsys.readouterr().err
    sidecar = Path(str(hostile_db) + ".feedback.duckdb")  # decisions live beside the warehouse
    con = connect(sidecar, read_only=True)
    try:
        assert (SQLI, WORLD_SQL) in con.execute("SELECT note, decided_by FROM feedback").fetchall()
    finally:
        con.close()
    assert "leads" in {name for name, _ in objects(hostile_db)}


# --- oversized responses and scraped pages ---------------------------------------------------------------
@pytest.fixture(scope="module")
def server():
    with serve(default_world()) as running:
        yield running


def _conference(name: str, fmt: str, url: str, **extra):
    from sources.conferences import ConferenceSettings, pull

    settings = ConferenceSettings.from_dict(name, {"name": name, "format": fmt, "url": url,
                                                   "timeout_seconds": 2, "retries": 0, **extra})
    return lambda: [r for page in pull(settings, {}) for r in page.records]


@pytest.mark.parametrize("fmt,path,extra", [
    ("pyvideo", "/pyvideo/pydata-global.json", {}),
    ("sessionize", "/sessionize/api/v2/aipd25x1/view/All", {}),
    ("html", "/html/hci-ai-forum-2024/speakers.html", {"selectors": HTML_SELECTORS}),
    ("pretalx", "/pretalx", {"event": "mlops-summit-2026"}),
])
def test_a_response_over_max_bytes_is_cut_off_with_a_clear_error(server, fmt, path, extra):
    pull = _conference("big", fmt, server.base_url + path, max_bytes=1024, **extra)
    with pytest.raises(ParseError, match=r"max_bytes=1024"):
        pull()
    assert len(_conference("big", fmt, server.base_url + path, **extra)()) > 0  # the default limit lets it through


SPEAKER_PAGE = """<!doctype html><html><head><title>Speakers</title>
<script>document.write('<div class="speaker"><h3 class="name">Injected Person</h3></div>')</script>
<meta http-equiv="refresh" content="0; url={base}/pyvideo/pydata-global.json"></head><body>
<div class="speaker" id="ada"><h3 class="name">Ada Quinn</h3>
<p class="role"><span class="title">ML Engineer</span> <span class="company">Acme</span></p>
<div class="bio">Builds model serving.<script>fetch('{base}/github/users/ada'); var secret = "SCRIPT-TEXT";</script>
<style>.x{{background:url({base}/html/x.png)}}</style><noscript>NOSCRIPT-TEXT</noscript>
<img src="{base}/github/rate_limit" onerror="alert(1)"><iframe src="{base}/pretalx/api/events/x/"></iframe>
Ships evaluation.</div>
<p class="links"><a href="https://github.com/adaq">GitHub</a> <a href="{base}/pretalx/api/events/mlops-summit-2026/speakers/">more</a>
<a href="javascript:alert(1)">x</a></p>
<ul class="talks"><li>Serving at Scale</li></ul></div></body></html>"""


def test_a_scraped_page_is_parsed_never_executed_and_its_links_never_followed(server):
    page = SPEAKER_PAGE.format(base=server.base_url).encode()
    server.reset_counts()
    server.inject("/html/", "malformed", times=1000, body=page)
    records = _conference("hci_ai_forum_2024", "html", server.base_url + "/html/hci-ai-forum-2024/speakers.html",
                          selectors=HTML_SELECTORS)()
    speakers = [r for r in records if type(r).__name__ == "Speaker"]
    assert [s.name for s in speakers] == ["Ada Quinn"]  # the script's document.write never ran
    bio = speakers[0].bio
    assert bio == "Builds model serving. Ships evaluation."
    assert "SCRIPT-TEXT" not in bio and "NOSCRIPT-TEXT" not in bio and "alert" not in bio
    assert not any((link.url or "").startswith("javascript:") for link in speakers[0].links)
    counts = server.counts
    assert counts.get("html") == 1  # the page itself, once
    assert {k for k in counts if ":" not in k} == {"html"}, counts  # nothing it links to was fetched
