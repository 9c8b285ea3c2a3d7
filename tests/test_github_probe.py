"""Conditional GETs on the lean pool (sources/github/probe.py).

What a user relies on: a quiet night still answers every repository with a
free 304 and yields what PyGithub's path would; a changed resource read by
the probe gives the same data; the probe sends the client's identity (token,
User-Agent) and never logs the token; anything but a 304 or a 200 -- a 503,
a cut-off body -- is sent again through PyGithub, whose retries apply; an
oversized body is refused; with proxy variables set the probe is off (urllib3
alone would ignore them).
"""
from __future__ import annotations

import logging
from contextlib import closing
from http.server import BaseHTTPRequestHandler

import pytest

from conftest import PROXY_VARIABLES, local_http_server
from sources.errors import ParseError
from sources.github import pull
from sources.github import client as client_module
from sources.github.client import build_client, get_json
from sources.github.settings import GithubSettings

TOKEN_ENV = "TS_TEST_GITHUB_TOKEN_PROBE"


@pytest.fixture(autouse=True)
def clean(monkeypatch, server):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    server.clear_faults()


def settings_for(base_url: str, **extra) -> GithubSettings:
    table = {"base_url": base_url, "repos": ["a/b"], "token_env": TOKEN_ENV, "max_rate_limit_wait_seconds": 1,
             "timeout_seconds": 5, **extra}
    return GithubSettings.from_dict("github", table)


def repo_names(world) -> list[str]:
    return [r.full_name for r in world.repos][:12]


def night(settings: GithubSettings, state: dict) -> tuple[list, dict]:
    pages = list(pull(settings, state))
    checkpoint = dict(state)
    for page in pages:
        checkpoint.update(page.checkpoint)
    return pages, checkpoint


@pytest.mark.parametrize("recheck_days, per_repo", [(7, 1), (0, 2)])  # 0: the contributor list is asked too
def test_quiet_night_is_answered_by_the_probe_with_free_304s(server, monkeypatch, recheck_days, per_repo):
    settings = settings_for(server.base_url + "/github", repos=repo_names(server.world), recheck_days=recheck_days)
    _, state = night(settings, {})
    sent_through_pygithub = []
    original = client_module._request_json
    monkeypatch.setattr("sources.github.client._request_json",
                        lambda *a, **k: sent_through_pygithub.append(a[1]) or original(*a, **k))
    server.reset_counts()
    pages, _ = night(settings, state)
    counts = server.counts
    assert counts.get("github:not_modified") == per_repo * len(settings.repos)  # repository (+ contributor list)
    assert counts.get("github", 0) == 0                                   # nothing counted
    assert sent_through_pygithub == []
    assert not [r for p in pages for r in p.records]
    assert {k for p in pages for k in p.seen} == {"github_repo", "github_contributors"}


def test_a_changed_resource_read_by_the_probe_equals_pygithubs_answer(server):
    name = repo_names(server.world)[0]
    with closing(build_client(settings_for(server.base_url + "/github"))) as client:
        plain = get_json(client, f"/repos/{name}")
        probed = get_json(client, f"/repos/{name}", etag='"stale-etag"')
        assert probed.status == 200 and probed.data == plain.data and probed.etag == plain.etag
        assert client.requester.rate_limiting[1] > 0       # the budget headers were recorded


def test_a_503_to_the_probe_is_sent_again_through_pygithub(server):
    name = repo_names(server.world)[0]
    with closing(build_client(settings_for(server.base_url + "/github"))) as client:
        etag = get_json(client, f"/repos/{name}").etag
        server.inject(f"/github/repos/{name}", "503", times=1)
        answer = get_json(client, f"/repos/{name}", etag=etag)
        assert answer.status == 304
        probed = client.probe.get(f"/repos/{name}", None, etag)   # the pool is clean after the error body
        assert probed is not None and probed[0] == 304


def test_a_body_cut_off_for_the_probe_is_read_again(server):
    name = repo_names(server.world)[0]
    with closing(build_client(settings_for(server.base_url + "/github"))) as client:
        plain = get_json(client, f"/repos/{name}")
        server.inject(f"/github/repos/{name}", "truncated", times=1)
        answer = get_json(client, f"/repos/{name}", etag='"stale"')
        assert answer.status == 200 and answer.data == plain.data


def test_an_oversized_body_is_refused(server):
    name = repo_names(server.world)[0]
    with closing(build_client(settings_for(server.base_url + "/github", max_bytes=64 * 1024))) as client:
        server.inject(f"/github/repos/{name}", "oversized", times=1, bytes=200 * 1024)
        with pytest.raises(ParseError, match="max_bytes"):
            get_json(client, f"/repos/{name}", etag='"stale"')


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        type(self).seen.append(dict(self.headers))
        self.send_response(304)
        self.send_header("ETag", '"same"')
        self.send_header("X-RateLimit-Remaining", "4999")
        self.send_header("X-RateLimit-Limit", "5000")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_probe_sends_the_clients_identity_and_never_logs_the_token(monkeypatch, caplog):
    monkeypatch.setenv(TOKEN_ENV, "ghp_probe_secret_123")
    _Recorder.seen = []
    caplog.set_level(logging.DEBUG)
    with local_http_server(_Recorder) as base:
        with closing(build_client(settings_for(base))) as client:
            answer = get_json(client, "/repos/a/b", etag='"same"')
    assert answer.status == 304 and answer.data is None
    headers = {k.lower(): v for k, v in _Recorder.seen[-1].items()}
    assert headers["authorization"].endswith("ghp_probe_secret_123")
    assert headers["if-none-match"] == '"same"' and "PyGithub" in headers["user-agent"]
    assert client.requester.rate_limiting == (4999, 5000)
    assert "ghp_probe_secret_123" not in caplog.text


def test_with_proxy_variables_set_the_probe_is_off(server, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with closing(build_client(settings_for(server.base_url + "/github"))) as client:
        assert client.probe is None
        name = repo_names(server.world)[0]
        etag = get_json(client, f"/repos/{name}").etag
        assert get_json(client, f"/repos/{name}", etag=etag).status == 304


def test_a_pagination_link_elsewhere_is_refused_before_any_request():
    with closing(build_client(settings_for("http://127.0.0.1:9/github"))) as client:
        with pytest.raises(ParseError, match="leaves the configured base_url"):
            get_json(client, "http://evil.example/github/repos/a/b", etag='"x"')


def test_a_ca_bundle_that_cannot_be_read_leaves_the_requests_to_pygithub(monkeypatch, caplog):
    """The lean pool builds its TLS context up front; a bad REQUESTS_CA_BUNDLE
    must not fail the client there (PyGithub's path reports it on its first request)."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca-bundle.pem")
    with caplog.at_level(logging.WARNING, logger="sources.github.client"):
        with closing(build_client(settings_for("https://127.0.0.1:9/github"))) as client:
            assert client.probe is None
    assert "conditional requests go through PyGithub" in caplog.text
