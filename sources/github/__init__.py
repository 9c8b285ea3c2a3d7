"""GitHub source: configured repositories, their contributors, and contributor profiles.

Entry point `pull(settings, state)`.  Request budget per run (what keeps the
anonymous 60/hour budget usable and a token's 5000/hour far away):

* per organisation: ``ceil(repos / 100)`` list pages (``/orgs/{org}/repos``),
  conditional (see `sources.github.orgs`): free when the listing is unchanged;
* per repository found through a fresh org listing page: its fields come
  from the listing item (no ``/repos/{o}/{r}``), its languages from one
  GraphQL query per `LANGUAGES_BATCH` repositories (`sources.github.languages`,
  REST ``/languages`` as fallback), then ``ceil(contributors / 100)``
  (``/contributors``, read from the list payload: never a per-contributor
  ``GET /users/{login}``; GraphQL has no contributor list);
* per other repository (configured ``repos``, or an org repository whose
  listing page answered 304): 1 (``/repos/{o}/{r}``, conditional) + 1
  (``/languages``) + the contributor pages;
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

Unchanged organisation repositories cost no request either, not even a 304
(each takes time: ≈ 25 s for 1,300 repositories at 10k people).  The listing
carries every repository's ``pushed_at``/``updated_at``; at each full check
of an org repository we store the stamp it had and the date
(``etag:checked:<owner/name>`` = ``"<YYYY-MM-DD>|<pushed_at>|<updated_at>"``,
under ``etag:`` so the privacy erasure rules for per-repository keys cover
it).  A repository whose listing stamp still equals that stamp is skipped,
unless its last check is ``recheck_days`` old: a push changes
``pushed_at``, but the contributor list is computed and cached apart from
pushes (a push may land before its contributors show; renamed or deleted
accounts change the list without any push), so every repository is still
re-checked, conditionally, that often.  Such a re-check asks only for the
contributor list when the listing stamp still equals the stored one (the
repository's own fields did not change); a repository whose stamp moved is
read from its listing item when the page was answered 200, from
``/repos/{o}/{r}`` otherwise.  Org repositories read from a listing item
store no repository ETag (a stored one is kept: it stays a valid validator).
Configured ``repos`` have no listing: each is asked (conditionally) every
night.  A 304 there vouches for the repository's fields and pushes; its
contributor list is then asked only when its last check (the date in
``etag:checked:<owner/name>``) is ``recheck_days`` old, for the same reason
as above.  So a quiet night costs one free 304 per configured repository,
not two (at 100k people: 4,893 instead of 9,786).

What the upstream confirms unchanged (a skipped repository, a 304) is named
in `Page.seen` (``github_repo``: the repository row, ``github_contributors``:
its contribution rows), so the warehouse moves those rows' ``last_seen`` and
retention does not purge data only because it did not change.  Contributor
*profiles* are fetched for the contributors of repositories read this night.
"""
from __future__ import annotations

import logging
import math
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Iterable, Iterator

from sources.errors import ParseError
from sources.github.client import (
    GithubClient, api_errors, budget, build_client, ensure_budget, get_json, get_or_skip, get_pages, log_budget,
)
from sources.github.graphql import fetch_profiles
from sources.github.languages import LANGUAGES_BATCH, fetch_languages
from sources.github.orgs import org_page_key, org_repos
from sources.github.parse import contribution_from_json, repo_from_json
from sources.github.settings import GithubSettings
from sources.records import GithubContribution, Page, merge_seen

__all__ = ["GithubSettings", "pull", "repo_etag_key", "contributors_etag_key", "checked_key", "org_page_key"]

logger = logging.getLogger(__name__)


def repo_etag_key(full_name: str) -> str:
    return f"etag:repo:{full_name.lower()}"


def contributors_etag_key(full_name: str) -> str:
    return f"etag:contributors:{full_name.lower()}"


def checked_key(full_name: str) -> str:
    return f"etag:checked:{full_name.lower()}"


@dataclass
class RepoPlan:
    """Which repositories to request tonight, which are skipped as unchanged, and the
    listings' checkpoint entries (plus the skipped repos' stored entries, re-emitted)."""

    fetch: list[str]
    skipped: list[str]
    stamps: dict[str, str | None]  # listing stamp of each org repository to fetch (configured ones: absent)
    checkpoint: dict[str, str]
    items: dict[str, dict] = field(default_factory=dict)  # repository fields of freshly listed repos to fetch
    recheck: set[str] = field(default_factory=set)  # unchanged stamp, check too old: contributors only
    today: date = field(default_factory=lambda: today_utc())  # the night's date (UTC), for the checks' dates


def pull(settings: GithubSettings, state: dict[str, str]) -> Iterator[Page]:
    """Yield the org listings' state and the unchanged repositories (one Page),
    one Page per requested repository (the repo + its contributions), then
    Pages of contributor profiles, ``profile_batch_size`` each, every login once.

    Stops with `RateLimited` when the budget is spent and the reset is further
    away than ``max_rate_limit_wait_seconds``; pages already yielded stay loaded.
    """
    client = build_client(settings)
    try:
        today = today_utc()
        plan = plan_repos(client, state, today)
        if plan.checkpoint or plan.skipped:
            yield Page([], checkpoint=plan.checkpoint, seen=_seen(plan.skipped, plan.skipped))
        logins: dict[str, None] = {}
        quiet = QuietPages(QUIET_PAGE_REPOS)
        try:
            for number, full_name, page in pull_repos(client, plan, state):
                if full_name in plan.stamps and plan.stamps[full_name]:
                    page.checkpoint[checked_key(full_name)] = f"{today.isoformat()}|{plan.stamps[full_name]}"
                for record in page.records:
                    if isinstance(record, GithubContribution):
                        logins.setdefault(record.login)
                _log_repo(client, number, len(plan.fetch), full_name, page)
                if page.records:
                    yield from quiet.take()
                    yield page
                elif quiet.add(page):
                    yield from quiet.take()
        except Exception:   # what was confirmed before the failure is loaded, as page by page
            yield from quiet.take()
            raise
        yield from quiet.take()
        yield from pull_profiles(client, list(logins))
    finally:
        client.close()


QUIET_PAGE_REPOS = 1000   # unchanged repositories merged into one Page


class QuietPages:
    """Consecutive Pages without records (a repository that answered 304),
    merged into one: a quiet night is thousands of them, and each Page is a
    unit of work downstream (sent from a source process, buffered, counted)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pages: list[Page] = []

    def add(self, page: Page) -> bool:
        """Hold ``page``; True when the merged Page is full."""
        self.pages.append(page)
        return len(self.pages) >= self.size

    def take(self) -> Iterator[Page]:
        """The held Pages as one (none when empty), checkpoints and seen keys in order."""
        pages, self.pages = self.pages, []
        if pages:
            checkpoint = {k: v for page in pages for k, v in page.checkpoint.items()}
            yield Page([], checkpoint=checkpoint, seen=merge_seen(page.seen for page in pages))


def _log_repo(client: GithubClient, number: int, total: int, full_name: str, page: Page) -> None:
    """A line per repository read; unchanged ones only at DEBUG, with a progress
    line every `QUIET_PAGE_REPOS` (a quiet night at 100k people checks 4,893)."""
    if page.records:
        logger.info("GitHub: repo %d/%d %s: %d records", number, total, full_name, len(page.records))
        log_budget(client)
        return
    logger.debug("GitHub: repo %d/%d %s: unchanged", number, total, full_name)
    if number % QUIET_PAGE_REPOS == 0 or number == total:
        logger.info("GitHub: %d/%d repositories checked", number, total)
        log_budget(client)


def today_utc() -> date:
    return datetime.now(timezone.utc).date()


# --- repositories -------------------------------------------------------------
def resolve_repos(client: GithubClient, state: dict[str, str]
                  ) -> tuple[list[str], dict[str, str | None], dict[str, str], dict[str, dict]]:
    """Configured repos first, then each org's public non-fork, non-archived
    repos (most recently pushed first, capped); each once, case-insensitively.
    Returns the names, the listing stamp of each repo known only through an
    org, the org listings' checkpoint entries, and the listed repository
    fields of those repos (pages answered 200 only)."""
    seen = {name.lower(): name for name in client.settings.repos}
    stamps: dict[str, str | None] = {}
    checkpoint: dict[str, str] = {}
    items: dict[str, dict] = {}
    for org in client.settings.orgs:
        listing = org_repos(client, org, state)
        checkpoint.update(listing.checkpoint)
        for name in listing.names:
            if name.lower() not in seen:
                seen[name.lower()] = name
                stamps[name] = listing.stamps.get(name)
                if name in listing.items:
                    items[name] = listing.items[name]
    return list(seen.values()), stamps, checkpoint, items


def plan_repos(client: GithubClient, state: dict[str, str], today: date) -> RepoPlan:
    """Split the repositories into those to request and those unchanged since their last check."""
    names, stamps, checkpoint, items = resolve_repos(client, state)
    fetch, skipped, recheck = [], [], set()
    for name in names:
        if name in stamps and is_unchanged(state.get(checked_key(name)), stamps[name], today,
                                           client.settings.recheck_days):
            skipped.append(name)
            keys = (checked_key(name), repo_etag_key(name), contributors_etag_key(name))
            checkpoint.update({key: state[key] for key in keys if state.get(key)})
        else:
            fetch.append(name)
            if name in stamps and same_stamp(state.get(checked_key(name)), stamps[name]):
                recheck.add(name)
    if skipped:
        logger.info("GitHub: %d of %d repositories unchanged in their org listing since their last check "
                    "(within recheck_days=%d): not requested", len(skipped), len(names), client.settings.recheck_days)
    fetched = set(fetch)
    return RepoPlan(fetch, skipped, {n: s for n, s in stamps.items() if n in fetched}, checkpoint,
                    {n: fields for n, fields in items.items() if n in fetched}, recheck, today)


def is_unchanged(stored: str | None, stamp: str | None, today: date, recheck_days: int) -> bool:
    """True when the listing stamp equals the one stored at the last full check
    (``"<date>|<stamp>"``) and that check is less than ``recheck_days`` old.
    Anything unknown or unreadable means "not unchanged": the repo is simply asked for."""
    if not stored or not stamp:
        return False
    return stored.partition("|")[2] == stamp and checked_within(stored, today, recheck_days)


def same_stamp(stored: str | None, stamp: str | None) -> bool:
    """True when the listing stamp equals the one stored at the last full check,
    however old that check: the repository's own fields did not change since
    (a push moves ``pushed_at``, a change of the repository object
    ``updated_at``), so a re-check only needs its contributor list."""
    if not stored or not stamp:
        return False
    checked_on, _, stored_stamp = stored.partition("|")
    return stored_stamp == stamp and _check_date(checked_on, quiet=True) is not None


def _check_date(text: str, quiet: bool = False) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        if not quiet:
            logger.warning("GitHub: unreadable stored check date %r; the repository is checked again", text[:40])
        return None


def _seen(repo_rows: Iterable[str], contributor_rows: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """`Page.seen` for repositories confirmed unchanged (row) and contributor lists confirmed unchanged."""
    seen = {"github_repo": tuple(n.lower() for n in repo_rows),
            "github_contributors": tuple(n.lower() for n in contributor_rows)}
    return {kind: keys for kind, keys in seen.items() if keys}


def pull_repos(client: GithubClient, plan: RepoPlan, state: dict[str, str]) -> Iterator[tuple[int, str, Page]]:
    """``(number, full name, Page)`` of each repository to fetch, in plan order.

    Per chunk of `LANGUAGES_BATCH`: the languages of its listed repositories
    in one GraphQL query, then each repository's contributors (REST).  A
    failure stops the crawl with the pages of earlier repositories yielded."""
    use_graphql = client.settings.graphql_enabled()
    with ThreadPoolExecutor(client.settings.concurrency, thread_name_prefix="github") as workers:
        for start in range(0, len(plan.fetch), LANGUAGES_BATCH):
            chunk = plan.fetch[start:start + LANGUAGES_BATCH]
            listed = [name for name in chunk if name in plan.items]
            languages, use_graphql = fetch_languages(client, listed, use_graphql) if listed else ({}, use_graphql)
            pages = _in_order(client, workers, lambda name: _pull_one(client, plan, name, languages, state), chunk)
            for number, (full_name, page) in enumerate(zip(chunk, pages), start + 1):
                if page is not None:
                    yield number, full_name, page


def _pull_one(client: GithubClient, plan: RepoPlan, full_name: str, languages: dict[str, dict[str, int]],
              state: dict[str, str]) -> Page | None:
    if full_name in plan.items:
        return pull_listed_repo(client, full_name, plan.items[full_name], languages, state)
    if full_name in plan.recheck:
        return _pull_unchanged_repo(client, full_name, state, plan.today)
    return pull_repo(client, full_name, state, plan.today)


def _in_order(client: GithubClient, workers: ThreadPoolExecutor, fetch, names: list[str]) -> Iterator[Page | None]:
    """Each repository's page, in plan order, up to ``concurrency`` fetched at once.

    Why: a quiet night is thousands of conditional requests, each a round
    trip; overlapping them is what makes it short (pacing still holds, see
    `GithubSettings`).  Until a first repository came back, and while the
    rate budget is unknown or near its end (`_width`), one repository is
    fetched at a time: an upstream failing from the start sees one
    repository's retries, not ``concurrency`` times as many, and a spent
    budget still stops the crawl before the next request.  A failure surfaces at its
    repository: the pages before it are yielded, the ones fetched after it
    are dropped and requests not started are cancelled (next night asks again)."""
    pending: deque = deque()
    queue = iter(names)
    answered = False   # until one repository came back whole, one at a time: a failing upstream is not multiplied
    try:
        while True:
            while len(pending) < (_width(client) if answered else 1):
                name = next(queue, None)
                if name is None:
                    break
                pending.append(workers.submit(fetch, name))
            if not pending:
                return
            page = pending.popleft().result()
            answered = True
            yield page
    finally:
        for future in pending:
            future.cancel()


def _width(client: GithubClient) -> int:
    """How many repositories may be in flight: ``concurrency`` while the budget
    is known and more than they could spend at once, else 1."""
    remaining, limit, _ = budget(client)
    per_repo = 3 + math.ceil(client.settings.max_contributors_per_repo / 100)   # repo, languages, contributor pages
    if limit < 0 or remaining <= client.settings.concurrency * per_repo:
        return 1
    return client.settings.concurrency


def pull_listed_repo(client: GithubClient, full_name: str, fields: dict, languages: dict[str, dict[str, int]],
                     state: dict[str, str]) -> Page | None:
    """A repository read from its org listing item (no ``/repos/{o}/{r}``) with
    the languages of its batch, plus its contributors; None when the languages
    lookup found no such repository (a logged skip).  An item that does not
    parse is read from ``/repos/{o}/{r}`` instead (the old path)."""
    if full_name not in languages:
        return None
    try:
        repo = repo_from_json(fields, languages[full_name])
    except ParseError as exc:
        logger.warning("GitHub repo %s: listing entry unusable (%s); reading the repository itself", full_name, exc)
        return pull_repo(client, full_name, state)
    repo_key, contrib_key = repo_etag_key(full_name), contributors_etag_key(full_name)
    with api_errors(client, f"repo {full_name}"):
        ensure_budget(client, f"repo {full_name}")
        contributions, contrib_etag, same = fetch_contributions(client, full_name, repo.full_name,
                                                                state.get(contrib_key))
    checkpoint = {repo_key: state.get(repo_key), contrib_key: contrib_etag}  # a stored repo ETag stays valid
    return Page([repo, *contributions], checkpoint={k: v for k, v in checkpoint.items() if v},
                seen=_seen((), [repo.full_name] if same else ()))


def pull_repo(client: GithubClient, full_name: str, state: dict[str, str],
              today: date | None = None) -> Page | None:
    """One repository's Page, a Page without records (carrying the ETags and
    `Page.seen`) when it is unchanged (304), or None when it does not exist
    (a logged skip)."""
    today = today or today_utc()
    repo_key, contrib_key = repo_etag_key(full_name), contributors_etag_key(full_name)
    response = get_or_skip(client, f"repo {full_name}", f"/repos/{full_name}", etag=state.get(repo_key))
    if response is None:
        return None
    if response.status == 304:
        if checked_within(state.get(checked_key(full_name)), today, client.settings.recheck_days):
            return _confirmed_repo(full_name, state)
        return _pull_unchanged_repo(client, full_name, state, today)
    with api_errors(client, f"repo {full_name}"):
        languages = get_json(client, f"/repos/{full_name}/languages").data
        repo = repo_from_json(response.data, languages or {})
        contributions, contrib_etag, same = fetch_contributions(client, full_name, repo.full_name,
                                                                state.get(contrib_key))
    checkpoint = {repo_key: response.etag, contrib_key: contrib_etag, checked_key(full_name): f"{today}|"}
    return Page([repo, *contributions], checkpoint={k: v for k, v in checkpoint.items() if v},
                seen=_seen((), [repo.full_name] if same else ()))


def _pull_unchanged_repo(client: GithubClient, full_name: str, state: dict[str, str], today: date) -> Page:
    """Repo metadata answered 304 (or its listing stamp did not move), but its
    last contributor check is ``recheck_days`` old: a new contributor does not
    always change the repo payload, so ask for the list conditionally (a 304
    there is free as well)."""
    repo_key, contrib_key = repo_etag_key(full_name), contributors_etag_key(full_name)
    contributions, contrib_etag, same = fetch_contributions(client, full_name, full_name.lower(),
                                                            state.get(contrib_key))
    if same:
        logger.info("GitHub repo %s: not modified since the last run (304), nothing new", full_name)
    checkpoint = {repo_key: state.get(repo_key), contrib_key: contrib_etag,
                  checked_key(full_name): f"{today}|"}
    return Page(list(contributions), checkpoint={k: v for k, v in checkpoint.items() if v},
                seen=_seen([full_name], [full_name] if same else ()))


def _confirmed_repo(full_name: str, state: dict[str, str]) -> Page:
    """A configured repository answered 304 and its contributor list was checked
    less than ``recheck_days`` ago: nothing is asked; its stored entries are
    re-emitted (the check date unchanged, so the re-check still comes due)."""
    logger.info("GitHub repo %s: not modified since the last run (304), contributors checked recently", full_name)
    keys = (repo_etag_key(full_name), contributors_etag_key(full_name), checked_key(full_name))
    return Page([], checkpoint={key: state[key] for key in keys if state.get(key)},
                seen=_seen([full_name], [full_name]))


def checked_within(stored: str | None, today: date, recheck_days: int) -> bool:
    """True when the date of a stored check (``"<date>|..."``) is less than
    ``recheck_days`` old; anything unknown or unreadable means "ask again"."""
    if not stored or recheck_days <= 0:
        return False
    checked = _check_date(stored.partition("|")[0])
    return checked is not None and 0 <= (today - checked).days < recheck_days


def fetch_contributions(client: GithubClient, full_name: str, repo: str,
                        etag: str | None) -> tuple[list[GithubContribution], str | None, bool]:
    """Contributors (largest first) up to ``max_contributors_per_repo``, from
    the list payload only; returns (contributions, ETag worth storing,
    whether the list answered 304 Not Modified)."""
    cap, found, pages, first_etag = client.settings.max_contributors_per_repo, [], 0, None
    for response in get_pages(client, f"/repos/{full_name}/contributors", etag=etag):
        if response.status == 304:
            logger.info("GitHub repo %s: contributors not modified (304)", full_name)
            return [], etag, True
        pages += 1
        first_etag = first_etag or response.etag
        found += _contributions_of_page(repo, response.data)
        if len(found) >= cap:
            break
    logger.info("GitHub repo %s: %d contributors from %d page(s)", full_name, min(len(found), cap), pages)
    return found[:cap], first_etag if pages == 1 else None, False


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
