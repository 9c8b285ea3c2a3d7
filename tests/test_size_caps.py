"""Oversized responses are cut off at ``max_bytes`` (issue 6) for arXiv and the Hub.

A local http.server (127.0.0.1, no internet) answers each request from a
script: a normal body, a body *declaring* a Content-Length over the cap, a
chunked body without a length that keeps growing until the client hangs up,
or a small gzip body that inflates past the cap.  The real clients (`arxiv`,
`huggingface_hub`) are used, through `sources.arxiv.pull` / `sources.huggingface.pull`.
"""
from __future__ import annotations

import gzip
import json
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest
from conftest import local_http_server

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from flows.config import ConfigError, parse_config  # noqa: E402
from sources.arxiv import pull as arxiv_pull  # noqa: E402
from sources.arxiv.settings import DEFAULT_MAX_BYTES as ARXIV_DEFAULT_MAX_BYTES, ArxivSettings  # noqa: E402
from sources.conferences.settings import ConferenceSettings  # noqa: E402
from sources.errors import ParseError  # noqa: E402
from sources.huggingface import pull as hub_pull  # noqa: E402
from sources.huggingface.settings import HuggingfaceSettings  # noqa: E402
from warehouse.load import load_page  # noqa: E402
from warehouse.migrate import migrate  # noqa: E402

CAP = 16 * 1024  # above one 3-entry Atom page (~3 KB), far below the oversized bodies
ENDLESS = 64 * 1024 * 1024  # what the "growing" body would send if nobody stopped reading
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


@dataclass
class Answer:
    """How to answer one request: ``kind`` is ok | declared | growing | gzip | badgzip."""

    kind: str = "ok"
    body: bytes = b""
    content_type: str = "application/json"


@dataclass
class Script:
    """Answers by (path, ``start`` query parameter); records hits and what a
    growing body managed to send before the client hung up."""

    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    hits: dict[tuple[str, str], int] = field(default_factory=dict)
    growing_sent: list[int] = field(default_factory=list)
    growing_done: threading.Event = field(default_factory=threading.Event)
    base: str = ""

    def answer(self, path: str, start: str) -> Answer | None:
        key = (path, start)
        self.hits[key] = self.hits.get(key, 0) + 1
        return self.answers.get(key)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked transfer needs 1.1
    script: Script

    def do_GET(self):  # noqa: N802 - http.server API
        parts = urlsplit(self.path)
        start = parse_qs(parts.query).get("start", [""])[0]
        answer = self.script.answer(parts.path, start)
        if answer is None:
            return self._send(404, b"not found", "text/plain")
        if answer.kind == "declared":
            return self._declared()
        if answer.kind == "growing":
            return self._growing()
        if answer.kind in ("gzip", "badgzip"):  # badgzip: claims gzip, is not
            body = gzip.compress(answer.body) if answer.kind == "gzip" else answer.body
            return self._send(200, body, answer.content_type, {"Content-Encoding": "gzip"})
        return self._send(200, answer.body, answer.content_type)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _declared(self) -> None:
        """Announce 1 GiB, send a few bytes: the client must refuse on the header alone."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(1 << 30))
        self.end_headers()
        self._write_quietly(b"x" * 1024)
        self.close_connection = True

    def _growing(self) -> None:
        """A chunked body with no length that grows until the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent, chunk = 0, b"y" * 8192
        try:
            while sent < ENDLESS:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client stopped reading and closed: what we want
        finally:
            self.close_connection = True
            self.script.growing_sent.append(sent)
            self.script.growing_done.set()

    def _write_quietly(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    script = Script()
    with local_http_server(type("Handler", (_Handler,), {"script": script})) as base:
        script.base = base
        yield script


# --- arXiv ---------------------------------------------------------------------
ARXIV_PATH = "/arxiv/api/query"


def _atom(start: int, ids: list[str], total: int) -> bytes:
    entries = "".join(
        f"<entry><id>https://arxiv.org/abs/{pid}v1</id><title>Paper {pid}</title>"
        f"<updated>{T0 - timedelta(hours=i):%Y-%m-%dT%H:%M:%SZ}</updated>"
        f"<published>{T0 - timedelta(hours=i):%Y-%m-%dT%H:%M:%SZ}</published>"
        f"<summary>About {pid}.</summary><author><name>Ada Lovelace</name></author>"
        "<category term='cs.LG' scheme='http://arxiv.org/schemas/atom'/>"
        "<arxiv:primary_category term='cs.LG'/></entry>"
        for i, pid in enumerate(ids, start=start)
    )
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">'
        f"<id>https://arxiv.org/api/x</id><title>arXiv Query</title><updated>{T0:%Y-%m-%dT%H:%M:%SZ}</updated>"
        f"<opensearch:itemsPerPage>{len(ids)}</opensearch:itemsPerPage>"
        f"<opensearch:totalResults>{total}</opensearch:totalResults>"
        f"<opensearch:startIndex>{start}</opensearch:startIndex>{entries}</feed>"
    ).encode()


def _arxiv_settings(server: Script, **overrides) -> ArxivSettings:
    table = {"queries": ["cat:cs.LG"], "base_url": server.base + ARXIV_PATH, "delay_seconds": 0,
             "page_size": 3, "max_results": 100, "timeout_seconds": 10, "num_retries": 2, "max_bytes": CAP}
    return ArxivSettings.from_dict("sources.arxiv", {**table, **overrides})


def _arxiv_first_page_then(server: Script, second: Answer, total: int = 6) -> None:
    feed = _atom(0, ["2503.00001", "2503.00002", "2503.00003"], total=total)
    assert len(feed) < CAP  # the first page itself is within the cap
    server.answers[(ARXIV_PATH, "0")] = Answer(body=feed, content_type="application/atom+xml")
    server.answers[(ARXIV_PATH, "3")] = second


@pytest.mark.parametrize(("second", "message"), [
    (Answer("declared"), rf"declared body of {1 << 30} bytes exceeds max_bytes={CAP}"),
    (Answer("growing"), rf"body exceeds max_bytes={CAP} \(stopped reading\)"),
    (Answer("gzip", body=b"<feed>" + b" " * (4 * CAP)), rf"body exceeds max_bytes={CAP}"),
], ids=["declared-length", "growing-chunked", "gzip-inflating"])
def test_arxiv_oversized_second_page_is_a_parse_error_after_the_first_page_loaded(server, second, message):
    _arxiv_first_page_then(server, second)
    con = duckdb.connect(":memory:")
    migrate(con)
    pages = []
    with pytest.raises(ParseError, match=message) as info:
        for page in arxiv_pull(_arxiv_settings(server), {}):
            load_page(con, page.records)
            pages.append(page)
    assert "arXiv query 'cat:cs.LG'" in str(info.value) and "\n" not in str(info.value)
    assert [len(p.records) for p in pages] == [3]  # page one was yielded before page two failed
    loaded = con.execute("SELECT count(*) FROM evidence WHERE source = 'arxiv' AND kind = 'paper'").fetchone()
    assert loaded == (3,)  # ... and stays loaded
    assert server.hits[(ARXIV_PATH, "3")] == 1  # the same oversized page is not asked again (num_retries=2)


def test_arxiv_growing_body_is_not_read_to_the_end(server):
    _arxiv_first_page_then(server, Answer("growing"))
    with pytest.raises(ParseError, match="max_bytes"):
        list(arxiv_pull(_arxiv_settings(server), {}))
    assert server.growing_done.wait(30)
    assert server.growing_sent[0] < ENDLESS  # the client hung up instead of draining 64 MiB


def test_arxiv_gzip_page_within_the_cap_loads(server):
    _arxiv_first_page_then(server, Answer("gzip", body=_atom(3, ["2503.00004"], total=4),
                                          content_type="application/atom+xml"), total=4)
    pages = list(arxiv_pull(_arxiv_settings(server), {}))
    assert [len(p.records) for p in pages] == [3, 1]  # a gzip page under the cap decodes and loads


# --- Hugging Face Hub ------------------------------------------------------------
HUB_PATH = "/hf/api/models"


def _hub_settings(server: Script, **overrides) -> HuggingfaceSettings:
    table = {"endpoint": server.base + "/hf", "authors": ["alice"], "repo_types": ["model"],
             "max_profiles": 0, "timeout_seconds": 10, "max_bytes": CAP}
    return HuggingfaceSettings.from_dict("huggingface", {**table, **overrides})


def _models(n: int) -> bytes:
    return json.dumps([{"id": f"alice/model-{i}", "author": "alice", "downloads": i, "likes": 0,
                        "tags": ["arxiv:2401.00001"]} for i in range(n)]).encode()


@pytest.mark.parametrize(("answer", "message"), [
    (Answer("declared"), rf"huggingface: {HUB_PATH}: declared body of {1 << 30} bytes exceeds max_bytes={CAP}"),
    (Answer("growing"), rf"huggingface: {HUB_PATH}: body exceeds max_bytes={CAP} \(stopped reading\)"),
    (Answer("gzip", body=_models(2000)), rf"body exceeds max_bytes={CAP}"),
], ids=["declared-length", "growing-chunked", "gzip-inflating"])
def test_hub_oversized_listing_is_a_parse_error_naming_max_bytes(server, answer, message):
    server.answers[(HUB_PATH, "")] = answer
    with pytest.raises(ParseError, match=message) as info:
        list(hub_pull(_hub_settings(server), {}))
    assert "\n" not in str(info.value)
    assert server.hits[(HUB_PATH, "")] == 1  # not retried by huggingface_hub's backoff


def test_hub_growing_body_is_not_read_to_the_end(server):
    server.answers[(HUB_PATH, "")] = Answer("growing")
    with pytest.raises(ParseError, match="max_bytes"):
        list(hub_pull(_hub_settings(server), {}))
    assert server.growing_done.wait(30)
    assert server.growing_sent[0] < ENDLESS


@pytest.mark.parametrize("kind", ["ok", "gzip"])
def test_hub_listing_within_the_cap_loads_plain_or_gzipped(server, kind):
    body = _models(5)
    assert len(body) < CAP
    server.answers[(HUB_PATH, "")] = Answer(kind, body=body)
    repos = [r for page in hub_pull(_hub_settings(server), {}) for r in page.records]
    assert sorted(r.repo_id for r in repos) == [f"alice/model-{i}" for i in range(5)]
    assert all(r.arxiv_ids == ("2401.00001",) for r in repos)


def test_hub_corrupt_gzip_is_a_parse_error(server):
    server.answers[(HUB_PATH, "")] = Answer("badgzip", body=b"not gzip at all")
    with pytest.raises(ParseError, match="not valid gzip"):
        list(hub_pull(_hub_settings(server), {}))


# --- settings --------------------------------------------------------------------
def test_defaults():
    arxiv = ArxivSettings.from_dict("arxiv", {"queries": ["q"]})
    hub = HuggingfaceSettings.from_dict("huggingface", {"authors": ["a"]})
    assert arxiv.max_bytes == ARXIV_DEFAULT_MAX_BYTES == 64 * 1024 * 1024
    assert hub.max_bytes == 64 * 1024 * 1024


@pytest.mark.parametrize("value", [0, 1023, -5, "64MB", 1.5e6, True])
@pytest.mark.parametrize(("source", "table"), [
    ("arxiv", {"queries": ["q"]}),
    ("huggingface", {"authors": ["a"]}),
])
def test_bad_max_bytes_is_a_one_line_error_naming_the_key(source, table, value):
    with pytest.raises(ConfigError) as info:
        parse_config({"warehouse": {"path": "w.duckdb"}, "sources": {source: {**table, "max_bytes": value}}})
    message = str(info.value)
    assert f"sources.{source}.max_bytes: must be" in message and "\n" not in message


@pytest.mark.parametrize(("value", "message"), [
    (0, "sources.conferences[c].max_bytes: must be at least 1024, got 0"),
    ("1MB", "sources.conferences[c].max_bytes: must be an integer, got '1MB'"),
])
def test_conference_max_bytes_keeps_its_message(value, message):
    with pytest.raises(ValueError) as info:
        ConferenceSettings.from_dict("c", {"name": "c", "format": "pyvideo", "url": "x.json", "max_bytes": value})
    assert str(info.value) == message
