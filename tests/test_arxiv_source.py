"""arXiv source: real Atom files, settings validation, and pull() end to end
through the real arxiv client against a local HTTP server."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import pytest
from lxml import etree

from sources.arxiv import hwm_key, pull
from sources.arxiv.parse import parse_feed, repair_mojibake, split_arxiv_id
from sources.arxiv.settings import ArxivSettings
from sources.errors import ParseError, RateLimited, SourceError

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"

# (entries, author elements) as documented in shared/data/real/SOURCES.md
DOCUMENTED_COUNTS = {
    "arxiv-api-rs_search_all_RAG_max3_2026.xml": (3, 22),
    "arxivpy_id_0000.0000_empty.xml": (0, 0),
    "arxivpy_id_1111.2011v2_legacy.xml": (1, 3),
    "arxivpy_id_astro-ph_0601001_affiliations.xml": (1, 4),
    "arxivpy_idlist_two_ids_one_missing.xml": (1, 34),
    "arxivpy_search_au_del_maestro_legacy.xml": (10, 24),
    "arxivpy_search_testing_start0_max100.xml": (100, 366),
    "arxivpy_search_testing_start10_max10.xml": (10, 32),
    "epistemic_search_all_electron_max10.xml": (10, 30),
    "orijtech_search_deep_dream_start0_2017.xml": (10, None),
    "xiv_search_cat_cs.RO_AND_neural_max2_2025.xml": (2, 10),
}
ERROR_FEED = "arxivpy_id_abc_http400_error.xml"


def _read(real_data: Path, name: str) -> bytes:
    return (real_data / "arxiv" / name).read_bytes()


def _count_elements(body: bytes) -> tuple[int, int, int]:
    """Entries, authors and affiliations counted independently of the parser."""
    root = etree.fromstring(body)
    entries = root.findall(f"{ATOM}entry")
    authors = [a for e in entries for a in e.findall(f"{ATOM}author")]
    affiliations = [x for a in authors for x in a.findall(f"{ARXIV}affiliation")]
    return len(entries), len(authors), len(affiliations)


# --- real files --------------------------------------------------------------
def test_every_real_atom_file_parses_with_all_entries_and_authors(real_data):
    files = sorted((real_data / "arxiv").glob("*.xml"))
    assert {f.name for f in files} == set(DOCUMENTED_COUNTS) | {ERROR_FEED}
    for path in files:
        if path.name == ERROR_FEED:
            continue
        body = path.read_bytes()
        papers = parse_feed(body)
        entries, authors, affiliations = _count_elements(body)
        documented = DOCUMENTED_COUNTS[path.name]
        assert len(papers) == entries == documented[0], path.name
        assert sum(len(p.authors) for p in papers) == authors, path.name
        assert documented[1] in (None, authors), path.name
        with_affiliation = sum(1 for p in papers for a in p.authors if a.affiliation)
        assert with_affiliation <= affiliations, path.name
        for paper in papers:
            assert [a.position for a in paper.authors] == list(range(1, len(paper.authors) + 1))
            assert paper.published.tzinfo is not None and paper.published.utcoffset() == timedelta(0)
            assert paper.updated >= paper.published
            assert "v" not in paper.paper_id.split("/")[-1] and paper.version >= 1
            assert paper.title and paper.title == paper.title.strip()
            assert paper.url.startswith(("http://arxiv.org/abs/", "https://arxiv.org/abs/"))
            assert paper.primary_category in paper.categories


def test_rag_feed_carries_github_code_urls_and_metadata(real_data):
    papers = parse_feed(_read(real_data, "arxiv-api-rs_search_all_RAG_max3_2026.xml"), query="all:RAG")
    assert sum(len(p.authors) for p in papers) == 22
    code = [url for p in papers for url in p.code_urls]
    assert any("github.com/RAG-Gym/RAG-Gym" in url for url in code)
    assert any("github.com/yixuantt/MultiHop-RAG" in url for url in code)
    first = papers[0]
    assert (first.paper_id, first.version) == ("2502.13957", 2)
    assert first.published == datetime(2025, 2, 19, 18, 56, 3, tzinfo=timezone.utc)
    assert first.primary_category == "cs.CL"
    assert first.pdf_url == "https://arxiv.org/pdf/2502.13957v2"
    assert first.query == "all:RAG"
    assert "\n" not in first.abstract and first.abstract


def test_astro_ph_affiliations_and_legacy_id(real_data):
    (paper,) = parse_feed(_read(real_data, "arxivpy_id_astro-ph_0601001_affiliations.xml"))
    assert (paper.paper_id, paper.version) == ("astro-ph/0601001", 1)
    assert [(a.position, a.name, a.affiliation) for a in paper.authors] == [
        (1, "Andrew Gould", "Ohio State"),
        (2, "Susan Dorsher", "Ohio State"),
        (3, "B. Scott Gaudi", "CfA"),
        (4, "Andrzej Udalski", "Warsaw University Observatory"),
    ]


def test_legacy_format_feeds_parse_fields(real_data):
    (paper,) = parse_feed(_read(real_data, "arxivpy_id_1111.2011v2_legacy.xml"))
    assert (paper.paper_id, paper.version) == ("1111.2011", 2)
    assert paper.primary_category == "cond-mat.str-el"
    papers = parse_feed(_read(real_data, "xiv_search_cat_cs.RO_AND_neural_max2_2025.xml"))
    assert papers[0].paper_id == "2510.14968"
    assert {"cs.RO", "cs.AI"} <= set(papers[0].categories) | set(papers[1].categories)
    electron = parse_feed(_read(real_data, "epistemic_search_all_electron_max10.xml"))
    assert sum(1 for p in electron for a in p.authors if a.affiliation) >= 7


def test_accents_survive_and_double_encoded_names_are_repaired(real_data):
    names = {a.name for p in parse_feed(_read(real_data, "epistemic_search_all_electron_max10.xml")) for a in p.authors}
    assert {"Ladir Cândido", "François M. Peeters"} <= names
    names = {a.name for p in parse_feed(_read(real_data, "orijtech_search_deep_dream_start0_2017.xml")) for a in p.authors}
    assert "Ali Hürriyetoğlu" in names
    # arxiv.py's recorded bodies hold UTF-8 read as Latin-1 ("JosÃ©"): repaired
    testing = parse_feed(_read(real_data, "arxivpy_search_testing_start0_max100.xml"))
    names = {a.name for p in testing for a in p.authors}
    assert {"José Raúl Romero", "Katharina Götz", "Oliver Weißl", "Lasse Møldrup"} <= names
    assert not any("Ã" in n for n in names)


def test_error_feed_raises_parse_error_with_arxiv_message(real_data):
    with pytest.raises(ParseError, match="incorrect id format for abc"):
        parse_feed(_read(real_data, ERROR_FEED))


def test_empty_feed_gives_no_papers(real_data):
    assert parse_feed(_read(real_data, "arxivpy_id_0000.0000_empty.xml")) == []


@pytest.mark.parametrize("body", [b"", b"<feed", b"<html><body>Bad gateway</body></html>", "not xml at all"])
def test_malformed_bodies_raise_parse_error(body):
    with pytest.raises(ParseError):
        parse_feed(body)


def test_truncated_real_feed_raises_parse_error(real_data):
    body = _read(real_data, "arxivpy_search_testing_start10_max10.xml")
    with pytest.raises(ParseError, match="not well-formed"):
        parse_feed(body[: len(body) // 2])


def test_split_arxiv_id_and_mojibake_repair_leave_good_text_alone():
    assert split_arxiv_id("http://arxiv.org/abs/math.GT/0309136v1") == ("math.GT/0309136", 1)
    assert split_arxiv_id("https://arxiv.org/abs/2401.01234") == ("2401.01234", 1)
    assert split_arxiv_id("https://example.org/not-an-id") is None
    assert repair_mojibake("Cândido Ã©") == "Cândido Ã©"  # genuine text, no valid round trip
    assert repair_mojibake("JosÃ©") == "José"


# --- settings ----------------------------------------------------------------
def test_settings_defaults():
    s = ArxivSettings.from_dict("sources.arxiv", {"queries": ['cat:cs.HC AND abs:"human-AI"']})
    assert s.base_url == "https://export.arxiv.org/api/query"
    assert (s.page_size, s.max_results, s.delay_seconds, s.timeout_seconds, s.num_retries) == (200, 1000, 3.0, 30.0, 3)
    assert s.queries == ('cat:cs.HC AND abs:"human-AI"',)


@pytest.mark.parametrize(("table", "message"), [
    ({"queries": ["q"], "page_size": 5000}, "sources.arxiv.page_size: must be between 1 and 2000, got 5000"),
    ({"queries": ["q"], "page_size": 0}, "sources.arxiv.page_size: must be between 1 and 2000, got 0"),
    ({}, "sources.arxiv.queries: required"),
    ({"queries": []}, "sources.arxiv.queries: must be a non-empty list"),
    ({"queries": "cat:cs.AI"}, "sources.arxiv.queries: must be a non-empty list"),
    ({"queries": ["ok", " "]}, "sources.arxiv.queries: every query must be a non-empty string"),
    ({"queries": ["q", "q"]}, "sources.arxiv.queries: duplicate query"),
    ({"queries": ["q"], "delay_seconds": 1}, "sources.arxiv.delay_seconds: must be at least 3"),
    ({"queries": ["q"], "delay_seconds": -1, "base_url": "http://127.0.0.1:1/arxiv/api/query"}, "sources.arxiv.delay_seconds"),
    ({"queries": ["q"], "max_results": 0}, "sources.arxiv.max_results: must be at least 1, got 0"),
    ({"queries": ["q"], "num_retries": True}, "sources.arxiv.num_retries: must be an integer"),
    ({"queries": ["q"], "timeout_seconds": 0}, "sources.arxiv.timeout_seconds"),
    ({"queries": ["q"], "timeout_seconds": float("inf")}, "sources.arxiv.timeout_seconds"),
    ({"queries": ["q"], "base_url": "ftp://example.org/q"}, "sources.arxiv.base_url: must be an http"),
    ({"queries": ["q"], "base_url": "http://x.org/api/query?a=1"}, "sources.arxiv.base_url: must not carry a query"),
    ({"queries": ["q"], "pagesize": 10}, "sources.arxiv.pagesize: unknown key"),
    ({"queries": ["q"], "incremental_page_size": 0}, "sources.arxiv.incremental_page_size: must be between 1 and 2000"),
])
def test_settings_reject_bad_values_with_one_line_message_naming_the_key(table, message):
    with pytest.raises(ValueError) as info:
        ArxivSettings.from_dict("sources.arxiv", table)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_settings_allow_fast_delay_for_non_arxiv_hosts():
    s = ArxivSettings.from_dict("sources.arxiv", {
        "queries": ["q"], "base_url": "http://127.0.0.1:8000/arxiv/api/query", "delay_seconds": 0,
    })
    assert s.delay_seconds == 0.0


# --- pull() against a local server --------------------------------------------
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


@dataclass
class FakeArxiv:
    """A tiny export.arxiv.org stand-in: sorts its entries newest first and
    pages them by ``start``/``max_results``; ``mode`` injects faults."""

    entries: list[tuple[str, datetime]] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    mode: str = "ok"
    body: bytes = b""
    release: threading.Event = field(default_factory=threading.Event)

    def add(self, n: int, start: int = 0) -> None:
        for i in range(start, start + n):
            self.entries.append((f"2503.{10000 + i}", T0 + timedelta(hours=i)))

    def respond(self, path: str, params: dict[str, str]) -> tuple[int, bytes]:
        self.paths.append(path)
        self.requests.append(params)
        if self.mode == "hang":
            self.release.wait(5)
        if self.mode in ("503", "429", "404"):
            return int(self.mode), b"unavailable"
        if self.mode == "file":
            return 200, self.body
        if self.mode == "garbage":
            return 200, b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>trunc"
        if self.mode == "error400":
            return 400, self.body
        return 200, self.feed(int(params.get("start", 0)), int(params.get("max_results", 10)))

    def feed(self, start: int, size: int) -> bytes:
        ordered = sorted(self.entries, key=lambda e: e[1], reverse=True)[start:start + size]
        entries = "".join(_entry(paper_id, published) for paper_id, published in ordered)
        return (
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
            'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">'
            f"<id>https://arxiv.org/api/x</id><title>arXiv Query</title><updated>{T0:%Y-%m-%dT%H:%M:%SZ}</updated>"
            f"<opensearch:itemsPerPage>{size}</opensearch:itemsPerPage>"
            f"<opensearch:totalResults>{len(self.entries)}</opensearch:totalResults>"
            f"<opensearch:startIndex>{start}</opensearch:startIndex>{entries}</feed>"
        ).encode("utf-8")


def _entry(paper_id: str, published: datetime) -> str:
    stamp = f"{published:%Y-%m-%dT%H:%M:%SZ}"
    return (
        f"<entry><id>https://arxiv.org/abs/{paper_id}v1</id><title>Paper {paper_id}</title>"
        f"<updated>{stamp}</updated><published>{stamp}</published>"
        f"<link href='https://arxiv.org/abs/{paper_id}v1' rel='alternate' type='text/html'/>"
        f"<summary>Code at https://github.com/lab/{paper_id}.</summary>"
        f"<author><name>{escape('Zoë Ångström')}</name><arxiv:affiliation>ACME AI</arxiv:affiliation></author>"
        "<author><name>Bob Li</name></author>"
        "<category term='cs.HC' scheme='http://arxiv.org/schemas/atom'/>"
        "<arxiv:primary_category term='cs.HC'/></entry>"
    )


@pytest.fixture
def arxiv_server():
    fake = FakeArxiv()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            parts = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            status, body = fake.respond(parts.path, params)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_port}/custom/arxiv/api/query"
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()


def _settings(fake: FakeArxiv, **overrides) -> ArxivSettings:
    table = {"queries": ["cat:cs.HC"], "base_url": fake.base_url, "delay_seconds": 0,
             "page_size": 3, "max_results": 100, "timeout_seconds": 5, "num_retries": 0}
    table.update(overrides)
    return ArxivSettings.from_dict("sources.arxiv", table)


def _merged_checkpoint(pages) -> dict[str, str]:
    state: dict[str, str] = {}
    for page in pages:
        state.update(page.checkpoint)
    return state


def test_pull_pages_by_page_size_against_configured_base_url(arxiv_server):
    arxiv_server.add(7)
    pages = list(pull(_settings(arxiv_server), {}))
    assert [len(p.records) for p in pages] == [3, 3, 1]
    assert set(arxiv_server.paths) == {"/custom/arxiv/api/query"}
    assert [(r["start"], r["max_results"]) for r in arxiv_server.requests] == [("0", "3"), ("3", "3"), ("6", "3")]
    assert {r["sortBy"] for r in arxiv_server.requests} == {"submittedDate"}
    assert {r["sortOrder"] for r in arxiv_server.requests} == {"descending"}
    assert {r["search_query"] for r in arxiv_server.requests} == {"cat:cs.HC"}
    newest = (T0 + timedelta(hours=6)).isoformat()
    assert all(p.checkpoint == {hwm_key("cat:cs.HC"): newest} for p in pages)
    paper = pages[0].records[0]
    assert (paper.paper_id, paper.query, paper.code_urls) == ("2503.10006", "cat:cs.HC", ("https://github.com/lab/2503.10006",))
    assert paper.authors[0].name == "Zoë Ångström" and paper.authors[0].affiliation == "ACME AI"


def test_pull_respects_max_results(arxiv_server):
    arxiv_server.add(10)
    pages = list(pull(_settings(arxiv_server, page_size=4, max_results=5), {}))
    assert sum(len(p.records) for p in pages) == 5
    assert len(arxiv_server.requests) == 2


def test_pull_is_incremental_and_stops_at_the_high_water_mark(arxiv_server):
    arxiv_server.add(7)
    settings = _settings(arxiv_server)
    state = _merged_checkpoint(pull(settings, {}))
    assert len(arxiv_server.requests) == 3

    arxiv_server.requests.clear()
    second = list(pull(settings, state))
    assert len(arxiv_server.requests) == 1
    assert sum(len(p.records) for p in second) == 0
    assert _merged_checkpoint(second) == state  # the mark survives a quiet night

    arxiv_server.add(1, start=100)  # one newer paper
    arxiv_server.requests.clear()
    third = list(pull(settings, state))
    assert len(arxiv_server.requests) == 1
    assert [r.paper_id for p in third for r in p.records] == ["2503.10100"]
    assert _merged_checkpoint(third) == {hwm_key("cat:cs.HC"): (T0 + timedelta(hours=100)).isoformat()}


def test_a_nightly_first_page_asks_for_incremental_page_size_entries(arxiv_server):
    arxiv_server.add(30)
    settings = _settings(arxiv_server, page_size=20, incremental_page_size=4)
    state = _merged_checkpoint(pull(settings, {}))
    assert {r["max_results"] for r in arxiv_server.requests} == {"20"}   # no mark yet: full pages

    arxiv_server.add(2, start=100)
    arxiv_server.requests.clear()
    night = list(pull(settings, state))
    assert [(r["start"], r["max_results"]) for r in arxiv_server.requests] == [("0", "4")]
    assert sorted(r.paper_id for p in night for r in p.records) == ["2503.10100", "2503.10101"]


def test_more_new_entries_than_the_first_page_come_in_full_pages_each_once(arxiv_server):
    arxiv_server.add(30)
    settings = _settings(arxiv_server, page_size=20, incremental_page_size=4)
    state = _merged_checkpoint(pull(settings, {}))
    arxiv_server.add(9, start=100)
    arxiv_server.requests.clear()
    night = list(pull(settings, state))
    assert [(r["start"], r["max_results"]) for r in arxiv_server.requests] == [("0", "4"), ("4", "20")]
    ids = [r.paper_id for p in night for r in p.records]
    assert sorted(ids) == [f"2503.{10100 + i}" for i in range(9)] and len(ids) == len(set(ids))
    assert _merged_checkpoint(night) == {hwm_key("cat:cs.HC"): (T0 + timedelta(hours=108)).isoformat()}


def test_pull_keeps_one_mark_per_query(arxiv_server):
    arxiv_server.add(2)
    pages = list(pull(_settings(arxiv_server, queries=["cat:cs.HC", "cat:cs.AI"]), {}))
    assert {r.query for p in pages for r in p.records} == {"cat:cs.HC", "cat:cs.AI"}
    assert set(_merged_checkpoint(pages)) == {hwm_key("cat:cs.HC"), hwm_key("cat:cs.AI")}


def test_pull_serves_real_file_through_the_real_client(arxiv_server, real_data):
    arxiv_server.mode, arxiv_server.body = "file", _read(real_data, "arxivpy_search_testing_start0_max100.xml")
    pages = list(pull(_settings(arxiv_server, page_size=100, max_results=100), {}))
    assert len(arxiv_server.requests) == 1
    assert sum(len(p.records) for p in pages) == 100
    assert sum(len(r.authors) for p in pages for r in p.records) == 366


def test_pull_times_out_instead_of_hanging(arxiv_server):
    arxiv_server.add(1)
    arxiv_server.mode = "hang"
    with pytest.raises(SourceError, match=r"cat:cs.HC.*timed out"):
        list(pull(_settings(arxiv_server, timeout_seconds=1), {}))


def test_pull_error_feed_is_a_parse_error_and_not_retried(arxiv_server, real_data):
    arxiv_server.mode, arxiv_server.body = "error400", _read(real_data, ERROR_FEED)
    with pytest.raises(ParseError, match="incorrect id format for abc"):
        list(pull(_settings(arxiv_server, num_retries=3), {}))
    assert len(arxiv_server.requests) == 1


def test_pull_retries_503_then_fails_with_source_error(arxiv_server):
    arxiv_server.mode = "503"
    with pytest.raises(SourceError, match=r"HTTP 503 after 3 tries"):
        list(pull(_settings(arxiv_server, num_retries=2), {}))
    assert len(arxiv_server.requests) == 3


def test_pull_maps_429_to_rate_limited(arxiv_server):
    arxiv_server.mode = "429"
    with pytest.raises(RateLimited):
        list(pull(_settings(arxiv_server, num_retries=1), {}))


def test_pull_does_not_retry_404(arxiv_server):
    arxiv_server.mode = "404"
    with pytest.raises(SourceError, match="HTTP 404"):
        list(pull(_settings(arxiv_server, num_retries=3), {}))
    assert len(arxiv_server.requests) == 1


def test_pull_malformed_page_is_a_parse_error(arxiv_server):
    arxiv_server.mode = "garbage"
    with pytest.raises(ParseError, match="not well-formed"):
        list(pull(_settings(arxiv_server), {}))


def test_pull_rejects_a_corrupt_stored_mark(arxiv_server):
    arxiv_server.add(1)
    with pytest.raises(SourceError, match="not an ISO timestamp"):
        list(pull(_settings(arxiv_server), {hwm_key("cat:cs.HC"): "yesterday"}))


def test_pull_connection_refused_is_a_source_error():
    settings = ArxivSettings.from_dict("sources.arxiv", {
        "queries": ["q"], "base_url": "http://127.0.0.1:9/api/query", "delay_seconds": 0, "num_retries": 0,
    })
    with pytest.raises(SourceError, match="'q'"):
        list(pull(settings, {}))


def test_settings_messages_use_the_full_toml_path_for_a_bare_source_name():
    with pytest.raises(ValueError, match=r"^sources\.arxiv\.page_size: must be between 1 and 2000, got 5000$"):
        ArxivSettings.from_dict("arxiv", {"queries": ["q"], "page_size": 5000})


# --- Kaggle snapshot adapter -----------------------------------------------------
def test_kaggle_snapshot_reads_all_records_like_the_api_path(real_data):
    from sources.arxiv.kaggle import read_kaggle_snapshot

    path = real_data / "arxiv" / "kaggle_arxiv-metadata-oai-snapshot_first200.jsonl"
    papers = list(read_kaggle_snapshot(path))
    assert len(papers) == 200 and len({p.paper_id for p in papers}) == 200
    first = papers[0]
    assert (first.paper_id, first.version, first.primary_category) == ("0704.0001", 2, "hep-ph")
    assert [a.name for a in first.authors] == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert first.published == datetime(2007, 4, 2, 19, 18, 42, tzinfo=timezone.utc)
    assert first.updated == datetime(2007, 7, 24, 20, 10, 27, tzinfo=timezone.utc)
    assert first.doi == "10.1103/PhysRevD.76.013009" and first.journal_ref == "Phys.Rev.D76:013009,2007"
    affiliations = {a.affiliation for p in papers for a in p.authors if a.affiliation}
    assert {"Oxford", "Serpukhov, IHEP"} <= affiliations
    assert not any(a[0].isdigit() for a in affiliations)  # "1 and 2" footnote refs are not affiliations
    assert sum(1 for p in papers if any(c.startswith("cs.") for c in p.categories)) == 8


def test_kaggle_truncated_line_is_a_parse_error_naming_the_line(real_data):
    from sources.arxiv.kaggle import papers_from_kaggle_lines

    lines = (real_data / "arxiv" / "kaggle_arxiv-metadata-oai-snapshot_first200.jsonl").read_text("utf-8").splitlines()
    with pytest.raises(ParseError, match="line 3 is not valid JSON"):
        list(papers_from_kaggle_lines(lines[:2] + [lines[2][:40]]))
    assert len(list(papers_from_kaggle_lines(lines[:2] + ['{"id": "x"}', "[1]"]))) == 2  # unusable records skipped
