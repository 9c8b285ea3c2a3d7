"""Warehouse: migrations, idempotent loads, page atomicity, views, atomic publication."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

import duckdb
import pytest

from sources.records import (
    GithubContribution, GithubRepo, GithubUser, InternalPerson, Link, Paper, PaperAuthor,
    Speaker, Talk,
)
from warehouse import NightlyBuild, connect, deferred_checkpoints, load_page, migrate
from warehouse.migrate import available_migrations

RAW_TABLES = [
    "raw_arxiv_papers", "raw_arxiv_authors", "raw_github_repos", "raw_github_contributions",
    "raw_github_users", "raw_conference_speakers", "raw_conference_talks", "raw_internal_people",
]


def sample_records():
    paper = Paper(
        "2401.00001", 2, "Evaluating LLM serving", "We evaluate serving latency.",
        (PaperAuthor("José Álvarez", 1, "Acme AI"), PaperAuthor("J. Smith", 2)),
        ("cs.LG", "cs.DC"), "cs.LG", datetime(2024, 1, 2, tzinfo=timezone.utc),
        datetime(2024, 1, 3, tzinfo=timezone.utc), "http://arxiv.org/abs/2401.00001v2",
        comment="Code: https://github.com/jalvarez/servebench",
        code_urls=("https://github.com/jalvarez/servebench",),
    )
    return [
        paper,
        GithubRepo("Acme/Serve", "https://github.com/acme/serve", "Model serving", ("mlops",), (("Python", 100), ("HCL", 5))),
        GithubContribution("acme/serve", "JAlvarez", 42),
        GithubUser("jalvarez", "https://github.com/jalvarez", name="José Álvarez", blog="https://jose.dev/", email="j@example.org"),
        Speaker("pycon", "ABC", "Jose Alvarez", tagline="ML engineer, Acme",
                links=(Link("github", "https://github.com/jalvarez", "jalvarez"),), talk_keys=("T1",)),
        Talk("pycon", "T1", "Serving LLMs cheaply", event="PyCon 2025", happened_on=date(2025, 5, 1),
             url="https://pycon.example/t1", speaker_keys=("ABC",)),
        InternalPerson("Ann@Corp.example", "Ann Lee", "Search", ("python", "ranking"), "annlee"),
    ]


def counts(con) -> dict[str, int]:
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in RAW_TABLES}


def content(con, table: str) -> list[tuple]:
    cols = [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall() if r[0] != "last_seen"]
    quoted = ", ".join(f'"{c}"' for c in cols)
    return sorted(map(repr, con.execute(f'SELECT {quoted} FROM "{table}"').fetchall()))


def test_migrations_are_recorded_and_applied_once(con):
    versions = [v for (v,) in con.execute('SELECT "version" FROM "_migrations" ORDER BY 1').fetchall()]
    assert versions == [m.version for m in available_migrations()]
    assert migrate(con) == []


def test_loading_the_same_page_twice_is_idempotent(con):
    load_page(con, sample_records())
    first = {t: content(con, t) for t in RAW_TABLES}
    load_page(con, sample_records())
    assert counts(con) == {t: len(rows) for t, rows in first.items()}
    assert {t: content(con, t) for t in RAW_TABLES} == first
    assert all(n > 0 for n in counts(con).values())


def test_a_failing_page_rolls_back_whole_and_keeps_earlier_pages(con):
    load_page(con, sample_records())
    before = counts(con)
    bad = replace(sample_records()[0], paper_id="2401.09999", title=None)  # NOT NULL title
    extra_talk = Talk("pycon", "T2", "A second talk")
    with pytest.raises(duckdb.ConstraintException, match="title"):  # the real cause, not "transaction aborted"
        load_page(con, [extra_talk, bad])
    assert counts(con) == before
    load_page(con, [extra_talk])  # the connection is usable again
    assert counts(con)["raw_conference_talks"] == before["raw_conference_talks"] + 1


def test_new_paper_version_with_fewer_authors_prunes_stale_positions(con):
    paper = sample_records()[0]
    load_page(con, [paper])
    load_page(con, [replace(paper, version=3, authors=paper.authors[:1])])
    assert con.execute('SELECT count(*) FROM "raw_arxiv_authors"').fetchone()[0] == 1


def test_a_page_with_two_versions_of_a_paper_keeps_the_last_versions_authors(con):
    paper = sample_records()[0]
    load_page(con, [paper, replace(paper, version=3, authors=paper.authors[:1])])
    assert con.execute('SELECT "version" FROM "raw_arxiv_papers"').fetchall() == [(3,)]
    assert con.execute('SELECT "position", "name" FROM "raw_arxiv_authors"').fetchall() == [(1, "José Álvarez")]


def test_a_repeated_key_in_one_page_keeps_the_last_record_and_first_seen(con):
    repo = sample_records()[1]
    load_page(con, [repo], now=datetime(2026, 1, 1))
    load_page(con, [replace(repo, stars=1), replace(repo, stars=2)], now=datetime(2026, 1, 2))
    row = con.execute('SELECT "stars", "first_seen", "last_seen" FROM "raw_github_repos"').fetchall()
    assert row == [(2, datetime(2026, 1, 1), datetime(2026, 1, 2))]


def test_views_expose_identities_links_and_evidence(con):
    load_page(con, sample_records())
    sources = dict(con.execute('SELECT "source_kind", count(*) FROM identities GROUP BY 1').fetchall())
    assert sources == {"arxiv": 2, "github": 1, "conference": 1, "internal": 1}
    links = set(con.execute('SELECT "identity_id", "kind", "value" FROM identity_links').fetchall())
    assert ("pycon:ABC", "github", "jalvarez") in links
    assert ("github:jalvarez", "homepage", "jose.dev") in links
    assert ("internal:ann@corp.example", "github", "annlee") in links
    assert ("arxiv:2401.00001#1", "paper_code_github", "jalvarez") in links
    kinds = dict(con.execute('SELECT "kind", count(*) FROM evidence GROUP BY 1').fetchall())
    assert kinds["paper"] == 2 and kinds["talk"] == 1 and kinds["contribution"] == 1
    url = con.execute("SELECT url FROM evidence WHERE kind = 'contribution'").fetchone()[0]
    assert url == "https://github.com/acme/serve/commits?author=jalvarez"
    # before resolution every identity is its own person
    assert con.execute("SELECT count(*) FROM people").fetchone()[0] == 5


def test_hostile_strings_are_stored_verbatim(con):
    hostile = "Robert'); DROP TABLE \"raw_github_users\"; --"
    load_page(con, [GithubUser("bobby", "https://github.com/bobby", name=hostile, bio="=cmd|' /C calc'!A0")])
    assert con.execute('SELECT name FROM "raw_github_users"').fetchone()[0] == hostile


def test_publish_is_atomic_for_open_readers(tmp_path):
    published = tmp_path / "wh.duckdb"
    with NightlyBuild(published) as night:
        load_page(night, sample_records()[:1])
    reader = connect(published, read_only=True)
    with NightlyBuild(published) as night:
        load_page(night, sample_records())
    assert reader.execute('SELECT count(*) FROM "raw_github_users"').fetchone()[0] == 0
    reader.close()
    fresh = connect(published, read_only=True)
    assert fresh.execute('SELECT count(*) FROM "raw_github_users"').fetchone()[0] == 1
    fresh.close()


def test_aborted_night_leaves_published_warehouse_untouched(tmp_path):
    published = tmp_path / "wh.duckdb"
    with NightlyBuild(published) as night:
        load_page(night, sample_records())
    size = published.stat().st_size
    with pytest.raises(RuntimeError):
        with NightlyBuild(published) as night:
            night.execute('DELETE FROM "raw_github_users"')
            raise RuntimeError("killed mid-night")
    check = connect(published, read_only=True)
    assert check.execute('SELECT count(*) FROM "raw_github_users"').fetchone()[0] == 1
    check.close()
    assert published.stat().st_size == size
    assert not (tmp_path / "wh.duckdb.building").exists()


def test_deferred_checkpoints_raise_the_threshold_for_the_block_and_restore_it_even_after_an_error(con):
    threshold = "SELECT current_setting('checkpoint_threshold')"
    before = con.execute(threshold).fetchone()[0]
    with deferred_checkpoints(con, "2GiB"):
        assert con.execute(threshold).fetchone()[0] == "2.0 GiB"
    assert con.execute(threshold).fetchone()[0] == before
    with pytest.raises(RuntimeError, match="stage failed"):
        with deferred_checkpoints(con):
            raise RuntimeError("stage failed")
    assert con.execute(threshold).fetchone()[0] == before
