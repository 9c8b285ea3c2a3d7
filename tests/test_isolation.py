"""A source pulled in a process of its own (flows.isolation): the same pages as
in a thread, its failures raised with their type after the pages before
them, its log lines in our log, no orphan process, no token on the pipe."""
from __future__ import annotations

import logging
import pickle
import subprocess
import sys

import pytest

from flows import isolation
from flows.config import ConfigError, parse_config
from flows.isolation import own_process_kinds, pull_in_own_process
from sampleworld.files import github_targets
from sources.errors import RateLimited, SourceError
from sources.github import pull
from sources.github.settings import GithubSettings
from sources.records import GithubRepo

TOKEN_ENV = "TS_TEST_ISOLATION_TOKEN"
SENTINEL = "ghp_SENTINEL0isolation0token0never0crosses"


@pytest.fixture(autouse=True)
def clean(server):
    server.clear_faults()
    server.reset_counts()
    yield
    server.clear_faults()


def settings_for(srv, **extra) -> GithubSettings:
    orgs, repos = github_targets(srv.world)
    table = {"base_url": srv.base_url + "/github", "orgs": orgs, "repos": repos, "token_env": TOKEN_ENV,
             "max_rate_limit_wait_seconds": 1, "timeout_seconds": 5, **extra}
    return GithubSettings.from_dict("github", table)


def repo_names(pages) -> list[str]:
    return [r.full_name.lower() for p in pages for r in p.records if isinstance(r, GithubRepo)]


def test_the_child_yields_the_same_pages_and_checkpoints_as_a_thread(server):
    settings = settings_for(server)
    in_thread = list(pull(settings, {}))
    in_child = list(pull_in_own_process("github", settings, {}, "github"))
    assert [p.records for p in in_child] == [p.records for p in in_thread]
    assert [p.checkpoint for p in in_child] == [p.checkpoint for p in in_thread]
    assert repo_names(in_child)  # not two empty crawls


def test_a_second_night_in_the_child_is_conditional_too(server):
    settings = settings_for(server)
    state = {k: v for page in pull(settings, {}) for k, v in page.checkpoint.items()}
    server.reset_counts()
    pages = list(pull_in_own_process("github", settings, state, "github"))
    assert server.counts.get("github", 0) == 0 and server.counts["github:not_modified"] > 0
    assert all(not p.records for p in pages)


def test_a_rate_limit_in_the_child_is_raised_here_with_its_type_after_the_pages_before_it(server):
    settings = settings_for(server, concurrency=1)
    stopped_at = settings.repos[3]
    server.inject(f"/github/repos/{stopped_at}", "403", times=50, reset_in=3600)
    yielded = []
    with pytest.raises(RateLimited):
        for page in pull_in_own_process("github", settings, {}, "github"):
            yielded.append(page)
    assert repo_names(yielded) == [n.lower() for n in settings.repos[:3]]


def test_the_childs_log_lines_reach_our_loggers(server, caplog):
    missing = "nobody-here/no-such-repo"
    settings = settings_for(server, orgs=[], repos=[missing, *settings_for(server).repos[:2]])
    with caplog.at_level(logging.INFO, logger="sources"):
        pages = list(pull_in_own_process("github", settings, {}, "github"))
    assert len(repo_names(pages)) == 2
    skipped = [r for r in caplog.records if missing in r.getMessage()]
    assert skipped and skipped[0].name.startswith("sources.github") and skipped[0].levelno >= logging.INFO


def test_a_child_that_dies_without_a_word_is_a_source_error_with_its_exit_code():
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"], stdout=subprocess.PIPE)
    with pytest.raises(SourceError, match=r"github: its process ended without finishing \(exit code 3\)"):
        list(isolation._receive(process, "github"))
    isolation._stop(process, finished=False)


def test_a_consumer_that_stops_early_leaves_no_process_behind(server, monkeypatch):
    started = []
    real_popen = subprocess.Popen

    def recording_popen(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(isolation.subprocess, "Popen", recording_popen)
    pages = pull_in_own_process("github", settings_for(server), {}, "github")
    next(pages)
    pages.close()
    assert len(started) == 1 and started[0].poll() is not None


def test_the_token_is_read_by_the_child_from_its_environment_never_sent(server, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, SENTINEL)
    settings = settings_for(server)
    assert settings.token() == SENTINEL
    assert SENTINEL.encode() not in pickle.dumps((settings, {}), protocol=pickle.HIGHEST_PROTOCOL)
    sent = []
    real_write = isolation._write_frame
    monkeypatch.setattr(isolation, "_write_frame", lambda stream, value: sent.append(value) or real_write(stream, value))
    assert repo_names(pull_in_own_process("github", settings_for(server, orgs=[]), {}, "github"))
    assert sent and SENTINEL.encode() not in pickle.dumps(sent)


def test_own_process_defaults_to_github_and_refuses_arxiv_and_unknown_kinds():
    assert own_process_kinds({}) == ("github",)
    assert own_process_kinds({"flow": {"own_process": []}}) == ()
    base = {"warehouse": {"path": "w.duckdb"}, "sources": {"github": {"repos": ["octo/cat"]}}}
    for value, message in ((["arxiv"], "arxiv sources share a request gate"),
                           (["githb"], "unknown source kind 'githb'"),
                           ("github", "expected a list of source kinds")):
        with pytest.raises(ConfigError, match=f"flow.own_process: .*{message}"):
            parse_config({**base, "flow": {"own_process": value}})


def test_a_failure_before_the_first_page_is_raised_here_with_its_type_and_message():
    with pytest.raises(ValueError, match="unknown source kind 'no-such-kind'"):
        list(pull_in_own_process("no-such-kind", None, {}))
