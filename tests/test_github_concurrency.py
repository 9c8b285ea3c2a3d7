"""Repositories fetched several at a time (``concurrency``).

What a user relies on: the pages, their order and the checkpoint are the
same as with strictly serial requests; a failure at one repository still
yields every repository before it and raises there; ``concurrency`` is
validated like every other setting.
"""
from __future__ import annotations

import time

import pytest

from sources.errors import SourceError
from sources.github import pull
from sources.github.settings import GithubSettings
from sources.records import GithubRepo

TOKEN_ENV = "TS_TEST_GITHUB_TOKEN_CONCURRENCY"


@pytest.fixture(autouse=True)
def clean(monkeypatch, server):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    server.clear_faults()


def settings_for(srv, **extra) -> GithubSettings:
    repos = [r.full_name for r in srv.world.repos][:16]
    table = {"base_url": srv.base_url + "/github", "repos": repos, "token_env": TOKEN_ENV,
             "max_rate_limit_wait_seconds": 1, "timeout_seconds": 5, "max_contributors_per_repo": 100, **extra}
    return GithubSettings.from_dict("github", table)


def test_concurrent_crawl_equals_the_serial_one_page_for_page(server):
    serial = list(pull(settings_for(server, concurrency=1), {}))
    concurrent = list(pull(settings_for(server, concurrency=8), {}))
    assert [p.records for p in concurrent] == [p.records for p in serial]
    assert [p.checkpoint for p in concurrent] == [p.checkpoint for p in serial]
    assert [p.seen for p in concurrent] == [p.seen for p in serial]


def test_requests_through_pygithub_never_swap_answers_between_workers(server, monkeypatch):
    """PyGithub's Requester keeps the request being sent on its connection
    object (request() stores it, getresponse() sends it): two workers at once
    could each get the other's answer, a contributor list read as another
    repository's.  A pause is put exactly between the two calls, so an
    unguarded Requester swaps answers here every time."""
    from github import Requester

    real = Requester.HTTPRequestsConnectionClass.getresponse

    def slow_getresponse(self):
        time.sleep(0.005)   # another worker's request() would land here
        return real(self)

    monkeypatch.setattr(Requester.HTTPRequestsConnectionClass, "getresponse", slow_getresponse)
    repos = [r.full_name for r in server.world.repos][:24]
    serial = list(pull(settings_for(server, concurrency=1, repos=repos), {}))
    concurrent = list(pull(settings_for(server, concurrency=8, repos=repos), {}))
    assert [p.records for p in concurrent] == [p.records for p in serial]


def test_a_failure_yields_every_repository_before_it_and_raises_there(server):
    settings = settings_for(server, concurrency=8)
    failing = settings.repos[5]
    server.inject(f"/github/repos/{failing}", "500", times=50)
    yielded = []
    with pytest.raises(SourceError, match=f"repo {failing}"):
        for page in pull(settings, {}):
            yielded.append(page)
    names = [r.full_name.lower() for p in yielded for r in p.records if isinstance(r, GithubRepo)]
    assert names == [n.lower() for n in settings.repos[:5]]


@pytest.mark.parametrize("value", [0, 17, "4", True])
def test_concurrency_outside_1_to_16_is_a_clear_config_error(server, value):
    with pytest.raises(ValueError, match="sources.github.concurrency: must be an integer 1..16"):
        settings_for(server, concurrency=value)


# --- a quiet night's pages ------------------------------------------------------------------
def quiet_night(settings: GithubSettings) -> tuple[dict, list]:
    """Night 1's state, and the repositories in crawl order."""
    state = {k: v for page in pull(settings, {}) for k, v in page.checkpoint.items()}
    return state, [name.lower() for name in settings.repos]


def test_unchanged_repositories_come_as_merged_pages_with_every_check_and_seen_key(server, monkeypatch):
    from sources import github as source
    monkeypatch.setattr(source, "QUIET_PAGE_REPOS", 5)
    settings = settings_for(server)
    state, names = quiet_night(settings)
    pages = list(pull(settings, state))
    assert [len(p.records) for p in pages] == [0, 0, 0, 0]   # 16 repositories: 5 + 5 + 5 + 1
    assert sum(len(p.seen["github_repo"]) for p in pages) == 16
    assert [k for p in pages for k in p.seen["github_repo"]] == names   # in crawl order, each once
    merged = {k: v for p in pages for k, v in p.checkpoint.items()}
    assert merged == state


def test_a_failure_on_a_quiet_night_still_yields_the_repositories_confirmed_before_it(server, monkeypatch):
    from sources import github as source
    monkeypatch.setattr(source, "QUIET_PAGE_REPOS", 1000)
    settings = settings_for(server, concurrency=1)
    state, names = quiet_night(settings)
    server.inject(f"/github/repos/{settings.repos[6]}", "500", times=50)
    pages = []
    with pytest.raises(SourceError, match=f"repo {settings.repos[6]}"):
        for page in pull(settings, state):
            pages.append(page)
    assert [k for p in pages for k in p.seen.get("github_repo", ())] == names[:6]
