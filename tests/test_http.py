"""sources.http against a real local http.server on 127.0.0.1 (no internet)."""
from __future__ import annotations

import json
import time
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler

import pytest
from conftest import local_http_server, network_environment

from sources import http
from sources.errors import ParseError, RateLimited, SourceError


class Script:
    """Per-path queue of canned answers; the last one repeats. Counts hits."""

    def __init__(self):
        self.routes: dict[str, list[dict]] = {}
        self.hits: dict[str, int] = {}

    def add(self, path: str, *answers: dict) -> None:
        self.routes[path] = list(answers)

    def next(self, path: str) -> dict | None:
        self.hits[path] = self.hits.get(path, 0) + 1
        answers = self.routes.get(path)
        if not answers:
            return None
        return answers.pop(0) if len(answers) > 1 else answers[0]


@pytest.fixture()
def server():
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            answer = script.next(self.path) or {"status": 404, "body": b"not found"}
            if answer.get("delay"):
                time.sleep(answer["delay"])
            body = answer.get("body", b"")
            self.send_response(answer.get("status", 200))
            for key, value in answer.get("headers", {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(answer.get("length", len(body))))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    with local_http_server(Handler) as base:
        script.base = base
        yield script


def test_429_with_retry_after_then_200(server):
    server.add("/a", {"status": 429, "headers": {"Retry-After": "7"}}, {"body": b'{"ok": true}'})
    waits: list[float] = []
    assert http.fetch_json(server.base + "/a", timeout=5, sleep=waits.append) == {"ok": True}
    assert waits == [7.0]  # the server's Retry-After, not our own backoff
    assert server.hits["/a"] == 2


def test_retry_after_http_date_is_honoured():
    now = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert http.retry_after(header, now=now) == 30.0
    assert http.retry_after("garbage") is None
    assert http.retry_after(None) is None


def test_retry_after_beyond_max_wait_raises_rate_limited(server):
    server.add("/slow", {"status": 429, "headers": {"Retry-After": "3600"}})
    with pytest.raises(RateLimited, match="3600"):
        http.fetch_bytes(server.base + "/slow", timeout=5, max_wait=10, sleep=lambda s: None)
    assert server.hits["/slow"] == 1


def test_503_every_time_gives_source_error_after_retries(server):
    server.add("/down", {"status": 503})
    waits: list[float] = []
    with pytest.raises(SourceError, match=r"/down: HTTP 503 \(gave up after 4 attempts\)"):
        http.fetch_bytes(server.base + "/down", timeout=5, retries=3, backoff=0.5, sleep=waits.append)
    assert waits == [0.5, 1.0, 2.0]  # exponential backoff
    assert server.hits["/down"] == 4


def test_404_is_not_retried_and_carries_status(server):
    with pytest.raises(http.HTTPStatusError) as info:
        http.fetch_bytes(server.base + "/missing", timeout=5, sleep=lambda s: None)
    assert info.value.status == 404
    assert "/missing" in str(info.value)
    assert server.hits["/missing"] == 1


def test_timeout_gives_source_error(server):
    server.add("/hang", {"delay": 1.0, "body": b"late"})
    with pytest.raises(SourceError, match="no answer within 0.2 s"):
        http.fetch_bytes(server.base + "/hang", timeout=0.2, retries=1, sleep=lambda s: None)
    assert server.hits["/hang"] == 2


def test_truncated_json_names_the_url(server):
    server.add("/t.json", {"body": b'{"results": [{"code": "AB'})
    with pytest.raises(ParseError, match=r"/t\.json: invalid or truncated JSON"):
        http.fetch_json(server.base + "/t.json", timeout=5)


def test_body_shorter_than_content_length_is_parse_error(server):
    server.add("/cut", {"body": b'{"a": 1', "length": 5000})
    with pytest.raises(ParseError, match="/cut"):
        http.fetch_json(server.base + "/cut", timeout=2, retries=0)


def test_oversize_body_is_refused(server):
    big = b"[" + b"1," * 50_000 + b"1]"
    server.add("/big", {"body": big})
    with pytest.raises(ParseError, match="exceeds max_bytes"):
        http.fetch_bytes(server.base + "/big", timeout=5, max_bytes=10_000)


def test_oversize_counted_while_streaming_without_content_length(server, monkeypatch):
    server.add("/big2", {"body": b"x" * 300_000})
    real = http._read_body

    def without_length(url, response, *args):
        response.headers.pop("Content-Length", None)
        return real(url, response, *args)

    monkeypatch.setattr(http, "_read_body", without_length)
    with pytest.raises(ParseError, match="stopped reading"):
        http.fetch_bytes(server.base + "/big2", timeout=5, max_bytes=100_000)


def test_redirect_to_other_host_is_refused(server):
    server.add("/r", {"status": 302, "headers": {"Location": "http://example.invalid/x"}})
    with pytest.raises(SourceError, match="refusing redirect"):
        http.fetch_bytes(server.base + "/r", timeout=5)


def test_redirect_on_same_host_is_followed(server):
    server.add("/old", {"status": 301, "headers": {"Location": "/new"}})
    server.add("/new", {"body": b"[1, 2]"})
    assert http.fetch_json(server.base + "/old", timeout=5) == [1, 2]


def test_connection_refused_is_source_error():
    with pytest.raises(SourceError, match="connection failed"):
        http.fetch_bytes("http://127.0.0.1:9/x", timeout=1, retries=1, sleep=lambda s: None)


def test_local_path_and_file_url(tmp_path):
    path = tmp_path / "données.json"
    path.write_text(json.dumps({"name": "Jakub Beránek"}), encoding="utf-8")
    assert http.fetch_json(str(path), timeout=1) == {"name": "Jakub Beránek"}
    assert http.fetch_json(path.as_uri(), timeout=1) == {"name": "Jakub Beránek"}
    with pytest.raises(SourceError, match="file not found"):
        http.fetch_bytes(str(tmp_path / "absent.json"), timeout=1)
    with pytest.raises(ParseError, match="exceeds max_bytes"):
        http.fetch_bytes(str(path), timeout=1, max_bytes=5)


def test_session_sends_user_agent(server):
    seen = {}

    class Capture(http.requests.Session):
        def get(self, url, **kwargs):
            seen.update(self.headers)
            return super().get(url, **kwargs)

    server.add("/ua", {"body": b"{}"})
    session = Capture()
    session.headers.update(http.make_session("test-agent/1").headers)
    http.fetch_json(server.base + "/ua", timeout=5, session=session)
    assert seen["User-Agent"] == "test-agent/1"


@pytest.mark.parametrize("proxy", [None, "http://proxy.corp.example:3128"])
def test_session_reads_the_environment_per_request_only_when_a_proxy_is_configured(monkeypatch, proxy):
    """A corporate proxy and CA bundle keep working; without a proxy the session
    stops scanning the environment on every request (and verifies with the bundle)."""
    network_environment(monkeypatch, proxy=proxy, ca_bundle="/etc/ssl/corp-ca.pem")
    session = http.make_session()
    assert session.trust_env is bool(proxy)
    settings = session.merge_environment_settings("https://pretalx.example/api/", {}, None, None, None)
    assert settings["verify"] == "/etc/ssl/corp-ca.pem"
    assert settings["proxies"].get("https") == proxy
