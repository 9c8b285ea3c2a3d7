"""Hugging Face Hub source end to end: the real `huggingface_hub` client against
the sample world's local server (never huggingface.co), the warehouse surface
it produces, identity hints, and bad nights."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import duckdb
import pytest

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from enrich.identity import resolve  # noqa: E402
from flows.config import ConfigError, parse_config  # noqa: E402
from sampleworld import wire_hub as HF  # noqa: E402
from sampleworld.server import serve  # noqa: E402
from sampleworld.truth import default_world  # noqa: E402
from sources.errors import ParseError, RateLimited  # noqa: E402
from sources.huggingface import pull  # noqa: E402
from sources.huggingface.settings import HuggingfaceSettings  # noqa: E402
from sources.records import HubRepo, HubUser  # noqa: E402
from warehouse.load import load_page  # noqa: E402
from warehouse.migrate import migrate  # noqa: E402

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def world():
    return default_world()


@pytest.fixture()
def server(world):
    with serve(world) as srv:
        yield srv


def hub_settings(server, **table) -> HuggingfaceSettings:
    return HuggingfaceSettings.from_dict("huggingface", {"endpoint": server.base_url + "/hf",
                                                         "timeout_seconds": 5, **table})


def records(settings) -> list:
    return [r for page in pull(settings, {}) for r in page.records]


def test_authors_models_datasets_spaces_and_profiles(world, server):
    accounts = HF.hub_accounts(world)
    assert len(accounts) >= 4
    names = [a.username for a in accounts] + [HF.ORG]
    got = records(hub_settings(server, authors=names))
    repos = [r for r in got if isinstance(r, HubRepo)]
    users = {u.username: u for u in got if isinstance(u, HubUser)}
    expected = {r["id"] for r in HF.all_repos(world)}
    assert {r.repo_id for r in repos} == expected
    assert {r.repo_type for r in repos} == {"model", "dataset", "space"}
    model = next(r for r in repos if r.repo_type == "model" and r.author == accounts[0].username.lower())
    assert model.pipeline_tag in HF._TASKS and model.library and model.downloads is not None
    assert model.last_modified and model.last_modified.tzinfo is not None
    assert all(r.github_urls for r in repos if r.author != HF.ORG and r.repo_type != "space")
    assert any(r.arxiv_ids for r in repos), "arXiv authors' models carry arxiv: tags"
    assert users[HF.ORG].is_org and not users[accounts[0].username.lower()].is_org
    assert users[accounts[0].username.lower()].name == accounts[0].fullname
    counts = server.counts
    assert counts["hf:models"] == counts["hf:datasets"] == counts["hf:spaces"] == len(names)
    assert counts["hf:user"] == len(names)  # one overview per owner; the org falls back once
    assert counts["hf:organization"] == 1


def test_search_and_task_queries_and_pagination(world, server):
    got = records(hub_settings(server, searches=["eval-set"], tasks=["feature-extraction"],
                               repo_types=["model", "dataset"], max_per_query=3))
    repos = [r for r in got if isinstance(r, HubRepo)]
    datasets = [r for r in repos if r.repo_type == "dataset"]
    assert datasets and all(r.repo_id.endswith("/eval-set") for r in datasets) and len(datasets) <= 3
    models = [r for r in repos if r.repo_type == "model"]
    assert models and all(r.pipeline_tag == "feature-extraction" for r in models)


def test_warehouse_evidence_and_identity_hints(world, server):
    accounts = HF.hub_accounts(world)
    con = duckdb.connect(":memory:")
    migrate(con)
    for page in pull(hub_settings(server, authors=[a.username for a in accounts] + [HF.ORG]), {}):
        load_page(con, page.records, now=NOW)
    kinds = dict(con.execute("SELECT kind, count(*) FROM evidence WHERE source = 'huggingface' GROUP BY 1").fetchall())
    assert {"model", "dataset", "space", "profile"} <= set(kinds)
    ids = {r[0] for r in con.execute("SELECT identity_id FROM identities WHERE source_kind = 'huggingface'").fetchall()}
    assert ids == {f"huggingface:{a.username.lower()}" for a in accounts}  # the organisation is no person
    links = con.execute("SELECT identity_id, kind, value FROM identity_links WHERE identity_id LIKE 'huggingface:%'").fetchall()
    by_kind = {}
    for identity, kind, value in links:
        by_kind.setdefault(kind, set()).add((identity, value))
    same_login = [a for a in accounts if any(a.username.lower() == u.login.lower() for u in world.users)]
    assert {(f"huggingface:{a.username.lower()}", a.username.lower()) for a in same_login} <= by_kind["github"]
    assert all(identity.split(":")[1] != value for identity, value in by_kind["hub_github"])
    assert by_kind["arxiv_paper"]


def test_hub_user_joins_github_identity_with_truth(world, server):
    """Accounts whose Hub username is their GitHub login and whose cards link their
    own repo join the GitHub identity (ground truth: the same sample-world person)."""
    from sources.records import GithubUser

    accounts = {a.username.lower(): a for a in HF.hub_accounts(world)}
    con = duckdb.connect(":memory:")
    migrate(con)
    for page in pull(hub_settings(server, authors=list(accounts)), {}):
        load_page(con, page.records, now=NOW)
    gh_users = [u for u in world.users if u.login.lower() in accounts]
    assert gh_users
    load_page(con, [GithubUser(u.login.lower(), f"https://github.com/{u.login}", name=u.name) for u in gh_users], now=NOW)
    resolve(con, now=NOW)
    person = dict(con.execute("SELECT identity_id, person_id FROM identities").fetchall())
    truth = {(source, key): pid for pid, source, key in HF.truth_rows(world)}
    for u in gh_users:
        assert truth[("huggingface", u.login.lower())] == u.person_id
        assert person[f"huggingface:{u.login.lower()}"] == person[f"github:{u.login.lower()}"]


def test_malformed_listing_is_a_parse_error(server, world):
    server.inject("/hf/api/models", "malformed")
    with pytest.raises(ParseError, match="models for author"):
        records(hub_settings(server, authors=[HF.hub_accounts(world)[0].username]))


def test_long_rate_limit_wait_stops_at_once(server, world):
    server.inject("/hf/api/models", "429", retry_after=3600)
    with pytest.raises(RateLimited, match="max_wait_seconds"):
        records(hub_settings(server, authors=[HF.hub_accounts(world)[0].username], max_wait_seconds=5))


def test_settings_validation_and_config_kind():
    with pytest.raises(ValueError, match="sources.huggingface.authors: give at least one"):
        HuggingfaceSettings.from_dict("huggingface", {})
    with pytest.raises(ValueError, match="repo_types"):
        HuggingfaceSettings.from_dict("huggingface", {"authors": ["a"], "repo_types": ["paper"]})
    with pytest.raises(ValueError, match="endpoint"):
        HuggingfaceSettings.from_dict("huggingface", {"authors": ["a"], "endpoint": "ftp://x"})
    with pytest.raises(ValueError, match="not a Hub name"):
        HuggingfaceSettings.from_dict("huggingface", {"authors": ["../etc"]})
    config = parse_config({"warehouse": {"path": "w.duckdb"},
                           "sources": {"huggingface": {"authors": ["google"], "endpoint": "http://127.0.0.1:1/hf"}}})
    assert config.source("huggingface").kind == "huggingface"
    with pytest.raises(ConfigError, match="sources.huggingface.max_per_query"):
        parse_config({"warehouse": {"path": "w.duckdb"},
                      "sources": {"huggingface": {"authors": ["google"], "max_per_query": 0}}})
