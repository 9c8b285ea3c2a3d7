"""Every source against every upstream fault the sample world can inject.

What a user relies on: a transient fault (429 with ``Retry-After``, a
rate-limit 403, 5xx, a reset connection, a hung read, a truncated body) is
retried with backoff -- honouring ``Retry-After`` and the rate-limit reset,
with a cap -- and the pull then yields exactly what a clean pull yields; a
fault that does not go away ends the pull with a `SourceError` whose message
says which upstream and what went wrong; malformed bodies and pagination
loops are a `ParseError`, never retried forever; and through a full night a
broken source loses nothing that earlier nights loaded.

Source-level tests call each source's ``pull()`` against the local sample
world with small timeouts; sleeps between retries are recorded instead of
slept (every source's wait goes through a patchable ``sleep``), so the waits
asked for can be checked without making the suite slow.
"""
from __future__ import annotations

import json
import time
import types
from pathlib import Path
from typing import Callable

import pytest

from sampleworld.files import HTML_SELECTORS, write_world
from sampleworld.server import serve
from sampleworld.truth import default_world
from sources.errors import ParseError, RateLimited, SourceError

RAW_TABLES = [
    "raw_arxiv_papers", "raw_arxiv_authors", "raw_github_repos", "raw_github_contributions",
    "raw_github_users", "raw_conference_speakers", "raw_conference_talks", "raw_internal_people",
]


# --- the sample world and the sources pointed at it -------------------------------------------
@pytest.fixture(scope="module")
def server():
    with serve(default_world()) as running:
        yield running


@pytest.fixture(autouse=True)
def no_leftover_faults(request):
    yield
    if "server" in request.fixturenames:
        request.getfixturevalue("server").clear_faults()


def _arxiv(base: str):
    from sources.arxiv import ArxivSettings, pull

    settings = ArxivSettings.from_dict("arxiv", {
        "base_url": f"{base}/arxiv/api/query", "queries": ["cat:cs.DC OR cat:cs.SE"], "page_size": 100,
        "max_results": 100, "delay_seconds": 0, "timeout_seconds": 0.5, "num_retries": 2})
    return lambda: pull(settings, {})


def _github(base: str, **extra):
    from sources.github import GithubSettings, pull

    settings = GithubSettings.from_dict("github", {
        "base_url": f"{base}/github", "orgs": ["designfold", "evalworks"], "timeout_seconds": 1,
        "max_rate_limit_wait_seconds": 5, "token_env": "TS_FAULTS_NO_TOKEN", **extra})
    return lambda: pull(settings, {})


def _conference(name: str, fmt: str, url: str, **extra):
    from sources.conferences import ConferenceSettings, pull

    settings = ConferenceSettings.from_dict(name, {
        "name": name, "format": fmt, "url": url, "timeout_seconds": 0.5, "retries": 2, **extra})
    return lambda: pull(settings, {})


SOURCES: dict[str, tuple[Callable[[str], Callable], str]] = {
    # name -> (factory(base_url) -> pull(), path prefix the faults hit)
    "arxiv": (_arxiv, "/arxiv/api/query"),
    "github_rest": (_github, "/github/repos/"),
    "pretalx": (lambda b: _conference("mlops_summit_2026", "pretalx", f"{b}/pretalx", event="mlops-summit-2026",
                                      page_size=10), "/pretalx/api/events/mlops-summit-2026/"),
    "sessionize": (lambda b: _conference("ai_product_days_2025", "sessionize",
                                         f"{b}/sessionize/api/v2/aipd25x1/view/All"), "/sessionize/"),
    "html": (lambda b: _conference("hci_ai_forum_2024", "html", f"{b}/html/hci-ai-forum-2024/speakers.html",
                                   selectors=HTML_SELECTORS), "/html/"),
    "pyvideo": (lambda b: _conference("pydata_archive", "pyvideo", f"{b}/pyvideo/pydata-global.json"), "/pyvideo/"),
}


def records_of(pages) -> list[str]:
    return sorted(repr(r) for page in pages for r in page.records)


@pytest.fixture(scope="module")
def clean(server) -> dict[str, list[str]]:
    """What each source yields on a night without faults."""
    return {name: records_of(factory(server.base_url)()) for name, (factory, _) in SOURCES.items()}


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """Record every retry/rate-limit wait of every source instead of sleeping it."""
    import sources.arxiv.client as arxiv_client
    import sources.github.client as github_client
    import sources.http as http
    import urllib3.util.retry as urllib3_retry

    recorded: list[float] = []
    fake_time = types.SimpleNamespace(**{k: getattr(time, k) for k in dir(time) if not k.startswith("_")})
    fake_time.sleep = lambda seconds: recorded.append(float(seconds))
    for module in (arxiv_client, github_client, urllib3_retry):
        monkeypatch.setattr(module, "time", fake_time)
    real = http._fetch_with_retries

    def recording(session, url, timeout, max_bytes, retries, backoff, max_wait, headers, sleep):
        return real(session, url, timeout, max_bytes, retries, backoff, max_wait, headers, recorded.append)

    monkeypatch.setattr(http, "_fetch_with_retries", recording)
    return recorded


def pull_until_error(pull: Callable) -> tuple[list, Exception | None]:
    pages = []
    try:
        for page in pull():
            pages.append(page)
    except Exception as exc:  # noqa: BLE001 - the test inspects what escaped
        return pages, exc
    return pages, None


# --- transient faults: retried, then the same records as a clean pull -----------------------------
RESET = ("truncated", {"reset": True})  # the sample world resets the connection before answering
TRANSIENT = [("429", {"retry_after": 1}), ("500", {}), ("502", {}), ("503", {}), RESET,
             ("hang", {"seconds": 3}), ("truncated", {})]


@pytest.mark.parametrize("kind,params", TRANSIENT, ids=["429", "500", "502", "503", "reset", "hang", "truncated"])
@pytest.mark.parametrize("source", list(SOURCES))
def test_a_transient_fault_is_retried_and_the_pull_completes(source, kind, params, server, clean, waits):
    factory, prefix = SOURCES[source]
    fault = server.inject(prefix, kind, times=1, **params)
    pages, error = pull_until_error(factory(server.base_url))
    assert error is None, f"{source} did not survive one {kind}: {type(error).__name__}: {error}"
    assert fault.fired == 1
    assert records_of(pages) == clean[source]
    if kind == "429":
        assert 1.0 in waits, f"Retry-After: 1 not honoured by {source} (waits {waits})"


# --- persistent faults: a clear error, not a hang ---------------------------------------------------
PERSISTENT = {
    "500": r"500", "502": r"502", "503": r"503",
    "reset": r"connection|reset|aborted",
    "hang": r"timed out|no answer|timeout",
    "truncated": r"truncat|incomplete|connection",
}


@pytest.mark.parametrize("kind", list(PERSISTENT))
@pytest.mark.parametrize("source", list(SOURCES))
def test_a_persistent_fault_gives_up_with_a_clear_message(source, kind, server, waits):
    import re

    factory, prefix = SOURCES[source]
    params = {"hang": {"seconds": 3}, "reset": RESET[1]}.get(kind, {})
    fault = server.inject(prefix, "truncated" if kind == "reset" else kind, times=1000, **params)
    pages, error = pull_until_error(factory(server.base_url))
    assert isinstance(error, SourceError), f"{source}/{kind}: {type(error).__name__}: {error}"
    message = str(error)
    assert re.search(PERSISTENT[kind], message, re.I), message
    assert len(message.splitlines()) == 1 and len(message) < 1000
    assert "Traceback" not in message
    assert fault.fired >= 2, "gave up without retrying"
    assert fault.fired <= 10, "retried far more than configured"
    assert all(w <= 60 for w in waits), waits


# --- malformed bodies: ParseError at once, naming the upstream ---------------------------------------
@pytest.mark.parametrize("source", list(SOURCES))
def test_a_malformed_body_is_a_parse_error(source, server, waits):
    factory, prefix = SOURCES[source]
    server.inject(prefix, "malformed", times=1000)
    _, error = pull_until_error(factory(server.base_url))
    assert isinstance(error, ParseError), f"{source}: {type(error).__name__}: {error}"
    assert len(str(error).splitlines()) == 1


def test_arxiv_error_feed_says_what_arxiv_said(server, waits):
    body = (b'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            b'<entry><id>http://arxiv.org/api/errors#incorrect_id_format</id><title>Error</title>'
            b'<summary>incorrect id format for 1234.12345</summary></entry></feed>')
    server.inject("/arxiv/", "malformed", times=1000, body=body)
    _, error = pull_until_error(_arxiv(server.base_url))
    assert isinstance(error, ParseError) and "incorrect id format" in str(error)


# --- long waits: honoured up to a cap, never slept through ---------------------------------------------
@pytest.mark.parametrize("source", [s for s in SOURCES if s != "arxiv"])
def test_a_retry_after_beyond_the_cap_stops_at_once_with_rate_limited(source, server, waits):
    factory, prefix = SOURCES[source]
    server.inject(prefix, "429", times=1000, retry_after=3600)
    _, error = pull_until_error(factory(server.base_url))
    assert isinstance(error, RateLimited), f"{source}: {type(error).__name__}: {error}"
    assert not any(w >= 60 for w in waits), waits


def test_arxiv_caps_a_long_retry_after_and_ends_rate_limited(server, waits):
    server.inject("/arxiv/", "429", times=1000, retry_after=3600)
    _, error = pull_until_error(_arxiv(server.base_url))
    assert isinstance(error, RateLimited) and "429" in str(error)
    assert waits and max(waits) <= 30


def test_github_secondary_rate_limit_waits_retry_after_and_goes_on(server, clean, waits):
    fault = server.inject("/github/repos/", "403", secondary=True, retry_after=2)
    pages, error = pull_until_error(_github(server.base_url))
    assert error is None and fault.fired == 1
    assert records_of(pages) == clean["github_rest"]
    assert any(1.5 <= w <= 5 for w in waits), waits


def test_github_secondary_rate_limit_beyond_the_cap_stops_cleanly(server, waits):
    server.inject("/github/repos/", "403", times=1000, secondary=True, retry_after=3600)
    pages, error = pull_until_error(_github(server.base_url))
    assert isinstance(error, RateLimited), f"{type(error).__name__}: {error}"
    assert "repo " in str(error) and not any(w > 5 for w in waits)


def test_github_spent_budget_with_a_near_reset_waits_for_it_and_goes_on(server, clean, waits):
    fault = server.inject("/github/repos/", "403", reset_in=2)
    pages, error = pull_until_error(_github(server.base_url))
    assert error is None and fault.fired == 1
    assert records_of(pages) == clean["github_rest"]
    assert any(0.5 <= w <= 5 for w in waits), waits  # waited for the reset, within the cap


def test_github_spent_budget_with_a_far_reset_stops_with_the_reset_time(server, waits):
    server.inject("/github/repos/", "403", times=1000, reset_in=3600)
    pages, error = pull_until_error(_github(server.base_url))
    assert isinstance(error, RateLimited), f"{type(error).__name__}: {error}"
    assert "max_rate_limit_wait_seconds" in str(error)
    assert not any(w > 5 for w in waits), waits


# --- GraphQL: a failing batch falls back to REST; "always" is a clear error ------------------------------
@pytest.mark.parametrize("kind", ["500", "502", "503", "reset", "truncated", "malformed"])
def test_github_graphql_faults_fall_back_to_rest_profiles(kind, server, clean, waits):
    server.inject("/github/graphql", "truncated" if kind == "reset" else kind, times=1000,
                  **(RESET[1] if kind == "reset" else {}))
    pages, error = pull_until_error(_github(server.base_url))
    assert error is None, f"{type(error).__name__}: {error}"
    assert records_of(pages) == clean["github_rest"]
    assert server.counts.get("github:user", 0) > 0  # profiles came one by one over REST


@pytest.mark.parametrize("kind", ["429", "500", "503"])
def test_github_graphql_transient_fault_is_retried(kind, server, clean, waits):
    server.reset_counts()
    fault = server.inject("/github/graphql", kind, times=1, **({"retry_after": 1} if kind == "429" else {}))
    pages, error = pull_until_error(_github(server.base_url))
    assert error is None and fault.fired == 1, f"{type(error).__name__}: {error}"
    assert records_of(pages) == clean["github_rest"]
    assert server.counts.get("github:user", 0) == 0  # no REST fallback needed


def test_github_graphql_always_mode_is_a_clear_error(server, waits):
    server.inject("/github/graphql", "503", times=1000)
    pages, error = pull_until_error(_github(server.base_url, use_graphql="always"))
    assert isinstance(error, SourceError) and "GraphQL" in str(error), f"{type(error).__name__}: {error}"
    assert pages, "repositories loaded before the profiles were lost"


# --- pagination loops: detected, never followed forever --------------------------------------------------
@pytest.mark.parametrize("source,prefix", [
    ("pretalx", "/pretalx/api/events/mlops-summit-2026/speakers"),
    ("github_rest", "/github/orgs/"),
    ("github_rest", "/github/repos/"),
])
def test_a_pagination_loop_is_a_parse_error(source, prefix, server, waits):
    factory, _ = SOURCES[source]
    server.reset_counts()
    server.inject(prefix, "next_loop", times=10_000)
    pages, error = pull_until_error(factory(server.base_url))
    assert isinstance(error, ParseError) and "loop" in str(error).lower(), f"{type(error).__name__}: {error}"
    assert sum(server.counts.values()) < 100  # stopped at the first repeat


# --- through a full night: nothing loaded before is lost ---------------------------------------------------
@pytest.fixture(scope="module")
def night_config(tmp_path_factory, server) -> Path:
    folder = tmp_path_factory.mktemp("faulty-night")
    write_world(folder / "world", default_world(), base_url=server.base_url, include_world_json=False)
    path = folder / "world" / "talent-signals.toml"
    text = path.read_text().replace("delay_seconds = 0.0\n", "delay_seconds = 0.0\nnum_retries = 1\ntimeout_seconds = 1\n")
    text = text.replace('format = "pretalx"\n', 'format = "pretalx"\nretries = 1\ntimeout_seconds = 1\n')
    path.write_text(text + "\n[flow]\nretries = 0\n")
    return path


@pytest.fixture(scope="module")
def clean_night(prefect_harness, night_config, tmp_path_factory) -> Path:
    """One clean night, copied by every faulty-night test."""
    from flows.nightly import nightly

    db = tmp_path_factory.mktemp("clean-night") / "wh.duckdb"
    assert nightly(str(night_config), db=str(db)).status == "success"
    return db


def snapshot(db: Path) -> dict[str, list[str]]:
    """Every raw table's rows, load times left out."""
    from warehouse import connect

    con = connect(db, read_only=True)
    try:
        out = {}
        for table in RAW_TABLES:
            cols = [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall() if r[0] not in ("first_seen", "last_seen")]
            quoted = ", ".join(f'"{c}"' for c in cols)
            out[table] = sorted(map(repr, con.execute(f'SELECT {quoted} FROM "{table}"').fetchall()))
        return out
    finally:
        con.close()


def last_source_runs(db: Path) -> dict[str, tuple[str, str | None]]:
    from warehouse import connect

    con = connect(db, read_only=True)
    try:
        rows = con.execute('SELECT "source", "status", "error" FROM "source_runs" WHERE "run_id" = '
                           '(SELECT "run_id" FROM "runs" ORDER BY "started_at" DESC LIMIT 1)').fetchall()
        return {s: (status, error) for s, status, error in rows}
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.parametrize("prefix,kind,params,failed,words", [
    ("/arxiv/", "503", {}, "arxiv", "503"),
    ("/github/repos/", "403", {"reset_in": 3600}, "github", "rate"),
    ("/pretalx/api/events/mlops-summit-2026/", "hang", {"seconds": 5}, "mlops_summit_2026", "no answer"),
])
def test_a_faulty_night_keeps_everything_loaded_before(clean_night, night_config, tmp_path, server,
                                                       prefix, kind, params, failed, words):
    import shutil

    from flows.nightly import nightly

    db = tmp_path / "wh.duckdb"
    shutil.copyfile(clean_night, db)
    before = snapshot(db)
    server.inject(prefix, kind, times=10_000, **params)
    summary = nightly(str(night_config), db=str(db))
    server.clear_faults()
    assert summary.status == "partial"
    assert snapshot(db) == before  # the failing source's earlier rows and everyone else's stay
    runs = last_source_runs(db)
    assert {s for s, (status, _) in runs.items() if status != "success"} == {failed}
    status, error = runs[failed]
    assert status in ("failed", "rate_limited") and words in error.lower(), error
    assert len(error.splitlines()) == 1 and "Traceback" not in error
    con_errors = json.loads(_latest_run_errors(db))
    assert failed in con_errors


def _latest_run_errors(db: Path) -> str:
    from warehouse import connect

    con = connect(db, read_only=True)
    try:
        return con.execute('SELECT "errors" FROM "runs" ORDER BY "started_at" DESC LIMIT 1').fetchone()[0]
    finally:
        con.close()
