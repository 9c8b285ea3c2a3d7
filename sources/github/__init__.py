"""GitHub source: configured repositories, their contributors, and contributor profiles.

Entry point `pull(settings, state)`.  Request budget per run (what keeps the
anonymous 60/hour budget usable and a token's 5000/hour far away):

* per organisation: ``ceil(repos / 100)`` list pages (``/orgs/{org}/repos``),
  conditional (see `sources.github.orgs`): free when the listing is unchanged;
* per repository: 1 (``/repos/{o}/{r}``) + 1 (``/languages``) +
  ``ceil(contributors / 100)`` (``/contributors``, read from the list payload:
  never a per-contributor ``GET /users/{login}``);
* per 100 distinct contributors: 1 GraphQL query (REST fallback: 1 per user).

Conditional requests: the ETag of each repository response is stored in the
Page checkpoint (``etag:repo:<owner/name>``) and sent as ``If-None-Match``
next run; a 304 (free: it does not count against the rate limit) means the
repository, and so its pushes and contributors, did not change: nothing new
is yielded for it.  The contributor list's ETag
(``etag:contributors:<owner/name>``) is stored only when everything we read
came from its first page, because an unchanged first page says nothing
about later pages.  Unchanged ETags are re-emitted so they survive the night.
Organisation listing pages are stored the same way (``org:<org>:<page>``, with
the names they listed), so a night with no upstream change costs no counted
request at all.
"""
from __future__ import annotations

import logging
from typing import Iterator

from github.GithubException import UnknownObjectException

from sources.errors import ParseError
from sources.github.client import GithubClient, api_errors, build_client, ensure_budget, get_json, get_pages, log_budget
from sources.github.graphql import fetch_profiles
from sources.github.orgs import org_page_key, org_repos
from sources.github.parse import contribution_from_json, repo_from_json
from sources.github.settings import GithubSettings
from sources.records import GithubContribution, Page

__all__ = ["GithubSettings", "pull", "repo_etag_key", "contributors_etag_key", "org_page_key"]

logger = logging.getLogger(__name__)


def repo_etag_key(full_name: str) -> str:
    return f"etag:repo:{full_name.lower()}"


def contributors_etag_key(full_name: str) -> str:
    return f"etag:contributors:{full_name.lower()}"


def pull(settings: GithubSettings, state: dict[str, str]) -> Iterator[Page]:
    """Yield one Page per repository (the repo + its contributions), then
    Pages of contributor profiles, ``profile_batch_size`` each, every login once.

    Stops with `RateLimited` when the budget is spent and the reset is further
    away than ``max_rate_limit_wait_seconds``; pages already yielded stay loaded.
    """
    client = build_client(settings)
    try:
        repos, listings = resolve_repos(client, state)
        if listings:  # the org listings' ETags and names, kept with the night's state
            yield Page([], checkpoint=listings)
        logins: dict[str, None] = {}
        for number, full_name in enumerate(repos, 1):
            page = pull_repo(client, full_name, state)
            if page is None:
                continue
            for record in page.records:
                if isinstance(record, GithubContribution):
                    logins.setdefault(record.login)
            logger.info("GitHub: repo %d/%d %s: %d records", number, len(repos), full_name, len(page.records))
            log_budget(client)
            yield page
        yield from pull_profiles(client, list(logins))
    finally:
        client.close()


# --- repositories -------------------------------------------------------------
def resolve_repos(client: GithubClient, state: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Configured repos first, then each org's public non-fork, non-archived
    repos (most recently pushed first, capped); each once, case-insensitively.
    Returns the names and the org listings' checkpoint entries."""
    seen = {name.lower(): name for name in client.settings.repos}
    checkpoint: dict[str, str] = {}
    for org in client.settings.orgs:
        names, org_checkpoint = org_repos(client, org, state)
        checkpoint.update(org_checkpoint)
        for name in names:
            seen.setdefault(name.lower(), name)
    return list(seen.values()), checkpoint


def pull_repo(client: GithubClient, full_name: str, state: dict[str, str]) -> Page | None:
    """One repository's Page, an empty Page carrying the ETags when it is
    unchanged (304), or None when it does not exist (a logged skip)."""
    repo_key, contrib_key = repo_etag_key(full_name), contributors_etag_key(full_name)
    with api_errors(client, f"repo {full_name}"):
        ensure_budget(client, f"repo {full_name}")
        try:
            response = get_json(client, f"/repos/{full_name}", etag=state.get(repo_key))
        except UnknownObjectException:
            logger.warning("GitHub repo %s: not found (404), skipped", full_name)
            return None
        if response.status == 304:
            return _pull_unchanged_repo(client, full_name, state)
        languages = get_json(client, f"/repos/{full_name}/languages").data
        repo = repo_from_json(response.data, languages or {})
        contributions, contrib_etag = fetch_contributions(client, full_name, repo.full_name, state.get(contrib_key))
    checkpoint = {repo_key: response.etag, contrib_key: contrib_etag}
    return Page([repo, *contributions], checkpoint={k: v for k, v in checkpoint.items() if v})


def _pull_unchanged_repo(client: GithubClient, full_name: str, state: dict[str, str]) -> Page:
    """Repo metadata answered 304; its contributor list may still have changed
    (a new contributor does not always change the repo payload), so ask for
    it conditionally too: a 304 there is free as well."""
    repo_key, contrib_key = repo_etag_key(full_name), contributors_etag_key(full_name)
    contributions, contrib_etag = fetch_contributions(client, full_name, full_name.lower(), state.get(contrib_key))
    if not contributions:
        logger.info("GitHub repo %s: not modified since the last run (304), nothing new", full_name)
    checkpoint = {repo_key: state.get(repo_key), contrib_key: contrib_etag}
    return Page(list(contributions), checkpoint={k: v for k, v in checkpoint.items() if v})


def fetch_contributions(client: GithubClient, full_name: str, repo: str,
                        etag: str | None) -> tuple[list[GithubContribution], str | None]:
    """Contributors (largest first) up to ``max_contributors_per_repo``, from
    the list payload only; returns (contributions, ETag worth storing)."""
    cap, found, pages, first_etag = client.settings.max_contributors_per_repo, [], 0, None
    for response in get_pages(client, f"/repos/{full_name}/contributors", etag=etag):
        if response.status == 304:
            logger.info("GitHub repo %s: contributors not modified (304)", full_name)
            return [], etag
        pages += 1
        first_etag = first_etag or response.etag
        found += _contributions_of_page(repo, response.data)
        if len(found) >= cap:
            break
    logger.info("GitHub repo %s: %d contributors from %d page(s)", full_name, min(len(found), cap), pages)
    return found[:cap], first_etag if pages == 1 else None


def _contributions_of_page(repo: str, data: object) -> list[GithubContribution]:
    if data is None:  # an empty repository answers 204 No Content
        return []
    if not isinstance(data, list):
        raise ParseError(f"GitHub repo {repo}: contributor list is not a JSON array")
    found = []
    for item in data:
        try:
            contribution = contribution_from_json(repo, item)
        except ParseError as exc:
            logger.warning("GitHub repo %s: skipped malformed contributor entry: %s", repo, exc)
            continue
        if contribution is not None:
            found.append(contribution)
    return found


# --- profiles -----------------------------------------------------------------
def pull_profiles(client: GithubClient, logins: list[str]) -> Iterator[Page]:
    """Pages of `GithubUser`, one per batch of ``profile_batch_size`` logins."""
    size, use_graphql, fetched = client.settings.profile_batch_size, client.settings.graphql_enabled(), 0
    for start in range(0, len(logins), size):
        batch = logins[start:start + size]
        with api_errors(client, f"profiles {start + 1}-{start + len(batch)} of {len(logins)}"):
            ensure_budget(client, f"profiles {start + 1}-{start + len(batch)}")
            users, use_graphql = fetch_profiles(client, batch, use_graphql)
        fetched += len(users)
        logger.info("GitHub: profiles %d/%d fetched (%s)", fetched, len(logins), "GraphQL" if use_graphql else "REST")
        log_budget(client)
        yield Page(list(users))
