"""A first crawl of an organisation costs one request per repository, not three.

What a user relies on: org repositories load with the same fields and
languages as when each was read from ``/repos/{o}/{r}`` and ``/languages``,
while GitHub is asked only for the listing, one GraphQL languages query per
batch and each contributor list; when GraphQL cannot answer (or one
repository in a batch cannot be resolved) the languages come from REST; and
no repository name, whatever an upstream lists, can change the query text.
"""
from __future__ import annotations

import json
import math

import pytest

from sampleworld import wire_github
from sampleworld.files import github_targets
from sources.errors import SourceError
from sources.github import languages as languages_module
from sources.github import pull
from sources.github.languages import build_languages_query
from sources.github.orgs import listed_repos
from sources.github.parse import is_valid_repo_name
from sources.github.settings import GithubSettings
from sources.records import GithubContribution, GithubRepo

TOKEN_ENV = "TS_TEST_GITHUB_TOKEN_LANGUAGES"


BATCH = 8  # the small default world has ~20 org repositories: several batches


@pytest.fixture(autouse=True)
def no_token(monkeypatch, server):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    monkeypatch.setattr("sources.github.LANGUAGES_BATCH", BATCH)
    server.clear_faults()


def settings_for(srv, **extra) -> GithubSettings:
    orgs, _ = github_targets(srv.world)
    table = {"base_url": srv.base_url + "/github", "orgs": orgs, "token_env": TOKEN_ENV,
             "max_repos_per_org": 1000, "max_rate_limit_wait_seconds": 1, "timeout_seconds": 5, **extra}
    return GithubSettings.from_dict("github", table)


def crawl(srv, settings: GithubSettings) -> tuple[dict[str, GithubRepo], set[GithubContribution], dict[str, int]]:
    srv.reset_counts()
    records = [r for page in pull(settings, {}) for r in page.records]
    repos = {r.full_name: r for r in records if isinstance(r, GithubRepo)}
    return repos, {r for r in records if isinstance(r, GithubContribution)}, srv.counts


def old_path(srv, names: list[str]) -> tuple[dict[str, GithubRepo], set[GithubContribution], dict[str, int]]:
    """The same repositories configured one by one, REST only: ``/repos/{o}/{r}`` + ``/languages`` each."""
    return crawl(srv, settings_for(srv, orgs=[], repos=names, use_graphql="never"))


def test_first_org_crawl_costs_listing_plus_language_batches_plus_contributors(server):
    repos, contributions, counts = crawl(server, settings_for(server))
    assert len(repos) > BATCH  # more than one languages batch
    assert counts.get("github:repo", 0) == 0 and counts.get("github:languages", 0) == 0
    assert counts["github:graphql_languages"] == math.ceil(len(repos) / BATCH)
    assert counts["github:contributors"] == len(repos)
    assert counts["github"] == (counts["github:org_repos"] + counts["github:graphql_languages"]
                                + counts["github:contributors"] + counts.get("github:graphql", 0))

    old_repos, old_contributions, old_counts = old_path(server, sorted(repos))
    assert old_counts["github:repo"] == old_counts["github:languages"] == len(repos)
    assert old_repos == repos  # every field, languages included, as read from the repository itself
    assert any(len(r.languages) > 1 for r in repos.values()) and all(r.pushed_at for r in repos.values())
    assert old_contributions == contributions


def test_graphql_unavailable_falls_back_to_rest_languages(server):
    expected, _, _ = crawl(server, settings_for(server))
    server.inject("/github/graphql", "malformed", times=1, body=b'{"errors": [{"message": "Field missing"}]}')
    repos, _, counts = crawl(server, settings_for(server))
    assert repos == expected
    assert counts["github:graphql_languages"] == 1  # the first batch failed: REST for it and all later ones
    assert counts["github:languages"] == len(repos) and counts.get("github:repo", 0) == 0


def test_graphql_always_makes_an_unanswerable_languages_query_an_error(server):
    server.inject("/github/graphql", "malformed", times=1, body=b'{"errors": [{"message": "Field missing"}]}')
    with pytest.raises(SourceError, match="GraphQL languages"):
        crawl(server, settings_for(server, use_graphql="always"))


def test_an_unresolved_alias_is_asked_from_rest(server, monkeypatch):
    expected, _, _ = crawl(server, settings_for(server))
    real = languages_module.post_graphql
    dropped: list[str] = []

    def one_alias_null(client, query, what):
        answer = real(client, query, what)
        if "r1" in answer["data"]:  # the second repository of each batch "was renamed since the listing"
            answer["data"]["r1"] = None
            answer.setdefault("errors", []).append({"type": "NOT_FOUND", "path": ["r1"], "message": "gone"})
            dropped.append("r1")
        return answer

    monkeypatch.setattr(languages_module, "post_graphql", one_alias_null)
    repos, _, counts = crawl(server, settings_for(server))
    assert repos == expected
    assert counts["github:languages"] == len(dropped) == math.ceil(len(repos) / BATCH)


HOSTILE = [
    'acme/x") { id } evil: user(login: "root',
    'acme/x"\n} mutation { deleteRepository',
    'acme/x\\" name: "y',
    'acme/{ languages }',
    "acme/../../users/x",
    "acme/..",
    "ac me/x",
    "acme/x y",
    "-acme/x",
    "acme/" + "x" * 101,
    "acme",
    "a/b/c",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_repository_name_cannot_reach_the_query(name):
    assert not is_valid_repo_name(name)
    with pytest.raises(ValueError, match="not a GitHub repository name"):
        build_languages_query(["acme/ok", name])


def test_a_hostile_listing_entry_is_skipped_and_odd_valid_names_are_quoted():
    items = [{"full_name": name, "pushed_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}
             for name in [*HOSTILE, "acme/ok", "acme/My_Repo.js-2", "up_the_irons/.dotfiles"]]
    names, _, _ = listed_repos("acme", items)
    assert names == ["acme/ok", "acme/My_Repo.js-2", "up_the_irons/.dotfiles"]
    query, aliases = build_languages_query(names)
    assert query.count("repository(") == 3 and list(aliases) == ["r0", "r1", "r2"]
    assert 'r1: repository(owner: "acme", name: "My_Repo.js-2")' in query
    # the sample server's parser (GitHub's literal syntax) reads back exactly the names sent
    seen: list[str] = []
    wire_github.graphql_repo_languages(query, lambda full: seen.append(full))
    assert seen == names


def test_listing_items_keep_only_the_repository_fields():
    item = {"full_name": "acme/ok", "html_url": "https://github.com/acme/ok", "description": "d", "topics": ["llm"],
            "stargazers_count": 3, "forks_count": 1, "pushed_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-02T00:00:00Z", "homepage": None, "owner": {"login": "acme", "id": 9}}
    partial = {k: v for k, v in item.items() if k != "topics"} | {"full_name": "acme/partial"}
    _, _, fields = listed_repos("acme", [item, partial])
    assert set(fields) == {"acme/ok"}  # an entry missing a field we store is read from /repos/{o}/{r}
    assert "owner" not in fields["acme/ok"] and json.dumps(fields)  # small and serialisable
