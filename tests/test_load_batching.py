"""Coalesced loading: the flow loads many small pages at once, and users lose nothing by it.

What a user relies on: a source that fails (or runs out of rate limit) after
several small pages still has every record it yielded in the warehouse;
coalescing pages gives exactly the rows page-by-page loading gives, on a
first night and on an incremental one; the buffer never grows past its cap;
and the ``pull:<source>`` test hook fires once records are really loaded.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import duckdb
import pytest

from flows import nightly as night
from flows.config import ConfigError, SourceSpec, load_config
from flows.nightly import NightContext, PageBatcher, load_batch_records, pull_source
from flows.wiring import pull_function
from sampleworld.files import write_world
from sampleworld.server import serve
from sampleworld.truth import default_world
from sources.errors import RateLimited, SourceError
from sources.records import GithubContribution, GithubRepo, GithubUser, Page, Paper, PaperAuthor
from warehouse import connect, load_page, migrate

RAW_TABLES = [
    "raw_arxiv_papers", "raw_arxiv_authors", "raw_github_repos", "raw_github_contributions",
    "raw_github_users", "raw_conference_speakers", "raw_conference_talks", "raw_internal_people",
    "raw_venue_papers", "raw_venue_authors", "raw_hub_repos", "raw_hub_users",
]
NIGHT1, NIGHT2 = datetime(2026, 12, 1, 3, 0), datetime(2026, 12, 2, 3, 0)
SPEC = SourceSpec("github", "github", settings=None)


def repo_page(i: int, contributors: int = 2) -> Page:
    """One repository and its contributors: the shape of a GitHub crawl page."""
    repo = f"org/repo{i}"
    records = [GithubRepo(repo, f"https://github.com/{repo}", f"repo {i}", ("mlops",), (("Python", 10 * i),))]
    records += [GithubContribution(repo, f"user{i}_{j}", j + 1) for j in range(contributors)]
    return Page(records, checkpoint={f"etag:repo:{repo}": f'"e{i}"'})


def snapshot(con) -> dict[str, list[str]]:
    """Every raw table's full content, load stamps included."""
    out = {}
    for table in RAW_TABLES:
        cols = ", ".join(f'"{r[0]}"' for r in con.execute(f'DESCRIBE "{table}"').fetchall())
        out[table] = sorted(map(repr, con.execute(f'SELECT {cols} FROM "{table}"').fetchall()))
    return out


def context(con, batch_records: int = 5_000) -> NightContext:
    return NightContext(con, "run-1", NIGHT1, load_batch_records=batch_records)


def failing_source(pages: list[Page], error: Exception):
    def pull(spec, state, own_process=()):
        yield from pages
        raise error
    return pull


def count(con, table: str) -> int:
    return con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]  # fully read: DuckDB 2.0 blocks the connection on a half-read result


# --- a source failing after several small pages ---------------------------------------------
def test_a_source_failing_after_small_pages_keeps_every_record_it_yielded(con, monkeypatch):
    pages = [repo_page(i) for i in range(7)]  # 21 records: far below the 5,000 cap
    monkeypatch.setattr(night, "_pull", failing_source(pages, SourceError("github: HTTP 503 after retries")))
    ctx = context(con)
    with pytest.raises(SourceError, match="503"):
        night._pull_into_warehouse(ctx, SPEC)
    assert count(con, "raw_github_repos") == 7 and count(con, "raw_github_contributions") == 14
    outcome = ctx.outcome("github")
    assert (outcome.pages, outcome.records) == (7, 21)
    # the checkpoint is only saved for a finished source: next night re-reads from the old mark
    assert con.execute('SELECT count(*) FROM "source_state"').fetchone()[0] == 0


def test_a_rate_limited_source_stops_with_everything_it_pulled_loaded(con, monkeypatch):
    pages = [repo_page(i, contributors=1) for i in range(5)]
    monkeypatch.setattr(night, "_pull", failing_source(pages, RateLimited("github: budget spent")))
    ctx = context(con)
    outcome = pull_source.fn(ctx, SPEC)
    assert outcome.status == "rate_limited" and outcome.records == 10
    assert count(con, "raw_github_repos") == 5


def test_a_bad_page_inside_a_coalesced_load_keeps_the_pages_before_it(con, monkeypatch):
    bad = Page([GithubRepo("org/bad", None)])  # html_url is NOT NULL: the load of this page fails
    pages = [repo_page(0), repo_page(1), bad, repo_page(2)]
    monkeypatch.setattr(night, "_pull", lambda spec, state, own_process=(): iter(pages))
    ctx = context(con)
    with pytest.raises(duckdb.ConstraintException, match="html_url"):
        night._pull_into_warehouse(ctx, SPEC)
    names = {n for (n,) in con.execute('SELECT "full_name" FROM "raw_github_repos"').fetchall()}
    assert names == {"org/repo0", "org/repo1"}
    assert ctx.outcome("github").records == 6  # what landed is what the run records


def test_a_finished_source_saves_its_checkpoint_after_its_last_load(con, monkeypatch):
    pages = [repo_page(i) for i in range(4)]
    monkeypatch.setattr(night, "_pull", lambda spec, state, own_process=(): iter(pages))
    outcome = night._pull_into_warehouse(context(con), SPEC)
    assert (outcome.status, outcome.pages, outcome.records) == ("success", 4, 12)
    state = dict(con.execute('SELECT "key", "value" FROM "source_state" WHERE "source" = ?', ["github"]).fetchall())
    assert state == {f"etag:repo:org/repo{i}": f'"e{i}"' for i in range(4)}


def test_the_pull_hook_fires_once_after_records_are_loaded(con, monkeypatch):
    seen = []
    monkeypatch.setattr(night, "pause_for_tests", lambda step: seen.append((step, count(con, "raw_github_repos"))))
    monkeypatch.setattr(night, "_pull", lambda spec, state, own_process=(): iter([repo_page(i) for i in range(6)]))
    night._pull_into_warehouse(context(con, batch_records=6), SPEC)
    assert seen == [("pull:github", 2)]  # the first load held two pages (6 records)


# --- the buffer ------------------------------------------------------------------------------
def test_the_buffer_never_holds_more_than_its_cap_and_loads_pages_in_order():
    loads: list[list] = []
    batcher = PageBatcher(lambda records: loads.append(list(records)) or len(records), max_records=10)
    pages = [repo_page(i).records for i in range(7)]  # 3 records each
    for page in pages:
        batcher.add(page)
        assert batcher.buffered <= 10
    batcher.flush()
    assert [len(batch) for batch in loads] == [9, 9, 3]
    assert [r for batch in loads for r in batch] == [r for page in pages for r in page]


def test_a_page_bigger_than_the_cap_is_loaded_alone():
    loads: list[int] = []
    batcher = PageBatcher(lambda records: loads.append(len(records)) or len(records), max_records=4)
    for size in (2, 9, 1):
        batcher.add(repo_page(size, contributors=size - 1).records)
    batcher.flush()
    assert loads == [2, 9, 1]


@pytest.mark.parametrize("value", [0, -5, "1000", 1.5, True, 10**9])
def test_a_bad_batch_setting_is_a_config_error_naming_the_key(value):
    with pytest.raises(ConfigError, match="flow.load_batch_records"):
        load_batch_records({"flow": {"load_batch_records": value}})


def test_the_batch_setting_defaults_and_accepts_page_by_page():
    assert load_batch_records({}) == night.DEFAULT_LOAD_BATCH_RECORDS
    assert load_batch_records({"flow": {"load_batch_records": 1}}) == 1


# --- same rows either way --------------------------------------------------------------------
def load_coalesced(con, pages: list[Page], now: datetime, cap: int) -> None:
    def load(records: list, seen=None) -> int:
        load_page(con, records, now=now, seen=seen)
        return len(records)

    batcher = PageBatcher(load, cap)
    for page in pages:
        batcher.add(page.records, page.seen)
    batcher.flush()


def load_one_by_one(con, pages: list[Page], now: datetime) -> None:
    for page in pages:
        if page.records or page.seen:
            load_page(con, page.records, now=now, seen=page.seen)


def tricky_pages() -> list[Page]:
    """Keys repeated across pages: a changed repo, a re-counted contribution, a paper whose
    new version has fewer authors, a profile seen twice."""
    at = datetime(2024, 1, 2, tzinfo=timezone.utc)
    paper = Paper("2401.00001", 1, "Serving", "abs", (PaperAuthor("A", 1), PaperAuthor("B", 2), PaperAuthor("C", 3)),
                  ("cs.LG",), "cs.LG", at, at, "http://arxiv.org/abs/2401.00001v1")
    user = GithubUser("ada", "https://github.com/ada", name="Ada", blog="https://ada.dev")
    return [
        repo_page(1), Page([paper, user]), repo_page(2),
        Page([replace(repo_page(1).records[0], stars=99), GithubContribution("org/repo1", "user1_0", 50)]),
        Page([replace(paper, version=2, authors=(PaperAuthor("A", 1),))]),
        Page([]), Page([replace(user, company="Acme")]), repo_page(3),
    ]


@pytest.mark.parametrize("cap", [5_000, 4, 1])
def test_coalesced_loading_gives_exactly_the_rows_of_page_by_page_loading(cap):
    one, coalesced = connect(), connect()
    for c in (one, coalesced):
        migrate(c)
    load_one_by_one(one, tricky_pages(), NIGHT1)
    load_coalesced(coalesced, tricky_pages(), NIGHT1, cap)
    assert snapshot(coalesced) == snapshot(one)
    assert coalesced.execute('SELECT count(*) FROM "raw_arxiv_authors"').fetchone()[0] == 1


def seen_pages() -> list[Page]:
    """A night where repo1 and repo2 answered 304 (one with a changed contributor list) and
    repo3 was skipped as unchanged: confirmations only, spread over pages with and without records."""
    return [
        Page([], seen={"github_repo": ("org/repo1",), "github_contributors": ("org/repo1",)}),
        Page([GithubContribution("org/repo2", "user2_9", 4)], seen={"github_repo": ("org/repo2",)}),
        Page([], seen={"github_repo": ("org/repo3", "org/never-loaded"), "github_contributors": ("ORG/Repo3",)}),
    ]


@pytest.mark.parametrize("cap", [5_000, 2, 1])
def test_seen_keys_move_last_seen_the_same_coalesced_or_page_by_page(cap):
    one, coalesced = connect(), connect()
    for c in (one, coalesced):
        migrate(c)
        load_one_by_one(c, tricky_pages(), NIGHT1)
    load_one_by_one(one, seen_pages(), NIGHT2)
    load_coalesced(coalesced, seen_pages(), NIGHT2, cap)
    assert snapshot(coalesced) == snapshot(one)
    stamps = dict(coalesced.execute('SELECT "full_name", "last_seen" FROM "raw_github_repos"').fetchall())
    assert stamps == {"org/repo1": NIGHT2, "org/repo2": NIGHT2, "org/repo3": NIGHT2}
    contributions = coalesced.execute('SELECT "repo", "login", "last_seen", "first_seen" '
                                      'FROM "raw_github_contributions" ORDER BY 1, 2').fetchall()
    by_repo = {(repo, login): (last, first) for repo, login, last, first in contributions}
    assert by_repo[("org/repo2", "user2_0")] == (NIGHT1, NIGHT1)  # the list changed: not confirmed
    assert by_repo[("org/repo2", "user2_9")] == (NIGHT2, NIGHT2)
    assert all(last == NIGHT2 and first == NIGHT1 for (repo, _), (last, first) in by_repo.items()
               if repo in ("org/repo1", "org/repo3"))


def test_a_page_with_only_seen_keys_is_loaded_through_the_flow(con, monkeypatch):
    monkeypatch.setattr(night, "_pull", lambda spec, state, own_process=(): iter([repo_page(0), repo_page(1)]))
    night._pull_into_warehouse(context(con), SPEC)
    confirm = Page([], seen={"github_repo": ("org/repo0",), "github_contributors": ("org/repo0",)})
    monkeypatch.setattr(night, "_pull", lambda spec, state, own_process=(): iter([confirm]))
    ctx = NightContext(con, "run-2", NIGHT2)
    outcome = night._pull_into_warehouse(ctx, SPEC)
    assert (outcome.pages, outcome.records) == (1, 0)
    stamps = con.execute('SELECT "repo", max("last_seen") FROM "raw_github_contributions" GROUP BY 1 ORDER BY 1')
    assert stamps.fetchall() == [("org/repo0", NIGHT2), ("org/repo1", NIGHT1)]
    assert con.execute('SELECT "last_seen" FROM "raw_github_repos" WHERE "full_name" = \'org/repo0\'').fetchone() \
        == (NIGHT2,)


def test_the_batcher_hands_the_seen_keys_of_its_pages_to_the_load():
    loads: list[tuple[int, dict]] = []
    batcher = PageBatcher(lambda records, seen=None: loads.append((len(records), seen)) or len(records), 10)
    batcher.add([], {"github_repo": ("a/x", "a/y")})
    batcher.add(repo_page(1).records, {"github_repo": ("a/y", "a/z"), "github_contributors": ("a/z",)})
    batcher.add([], {})  # nothing at all: ignored
    batcher.flush()
    assert loads == [(3, {"github_repo": ("a/x", "a/y", "a/z"), "github_contributors": ("a/z",)})]
    batcher.add(repo_page(2).records)
    batcher.flush()
    assert loads[-1] == (3, None)  # a load without seen keys is called as before: load(records)


def test_a_failed_coalesced_load_keeps_the_seen_keys_of_the_pages_before_the_bad_one(con):
    load_one_by_one(con, [repo_page(0), repo_page(1)], NIGHT1)
    bad = Page([GithubRepo("org/bad", None)])

    def load(records: list, seen=None) -> int:
        load_page(con, records, now=NIGHT2, seen=seen)
        return len(records)

    batcher = PageBatcher(load, 5_000)
    batcher.add([], {"github_repo": ("org/repo0",)})
    batcher.add(bad.records)
    batcher.add([], {"github_repo": ("org/repo1",)})
    with pytest.raises(duckdb.ConstraintException):
        batcher.flush()
    stamps = dict(con.execute('SELECT "full_name", "last_seen" FROM "raw_github_repos"').fetchall())
    assert stamps == {"org/repo0": NIGHT2, "org/repo1": NIGHT1}


def test_an_unknown_seen_kind_fails_the_page_and_loads_none_of_it(con):
    with pytest.raises(ValueError, match="unknown seen kind 'github_user'"):
        load_page(con, repo_page(0).records, now=NIGHT1, seen={"github_user": ("ada",)})
    assert count(con, "raw_github_repos") == 0


@pytest.fixture(scope="module")
def world_nights(tmp_path_factory):
    """The sample world's pages from every source, on night 1 and on night 2."""
    tmp = tmp_path_factory.mktemp("batching-world")
    nights = {}
    with serve(default_world()) as server:
        write_world(tmp, default_world(), base_url=server.base_url, include_world_json=False)
        config = load_config(tmp / "talent-signals.toml", db=tmp / "unused.duckdb")
        for n in (1, 2):
            server.set_night(n)
            nights[n] = [page for spec in config.sources
                         for page in pull_function(spec.kind)(spec.settings, {})]
    return nights


def test_the_sample_world_loads_to_the_same_rows_coalesced_on_two_nights(world_nights):
    one, coalesced = connect(), connect()
    for c in (one, coalesced):
        migrate(c)
    for now, pages in ((NIGHT1, world_nights[1]), (NIGHT2, world_nights[2])):
        load_one_by_one(one, pages, now)
        load_coalesced(coalesced, pages, now, 5_000)
        assert snapshot(coalesced) == snapshot(one)
    assert len(world_nights[1]) > 20  # many pages: the loads really were coalesced
    assert con_rows(one) > 500
    # loading night 2 again changes nothing but last_seen
    load_coalesced(coalesced, world_nights[2], NIGHT2, 5_000)
    assert snapshot(coalesced) == snapshot(one)


def con_rows(con) -> int:
    return sum(count(con, t) for t in RAW_TABLES)
