"""Organisation repository listings, fetched conditionally.

Why: on a night when nothing changed upstream, every repository answers 304
(free), but ``/orgs/{org}/repos`` pages were fetched plainly and cost one
counted request each: with a few dozen orgs that was the whole bill of a
quiet night.  GitHub answers a listing page with an ETag too, so each page
read is stored in the checkpoint under ``org:<org>:<page>`` as compact JSON
``{"etag": ..., "repos": [full names kept from that page], "next": URL|null}``
and sent back as ``If-None-Match`` the next night.  A 304 reuses the stored
names and the stored ``next`` link (a 304 has no body and no Link header);
a 200 replaces the entry.  Every page is asked for, so each is validated on
its own: a repo moving between pages changes both pages' ETags.

Each entry also keeps, per listed repo and in the same order, its listing
``pushed_at|updated_at`` (``"at"``: a list parallel to ``"repos"``, null when
the entry had none).  Why: most repositories do not change from one night
to the next, yet asking for each one (``/repos/{r}`` and ``/contributors``,
even as free 304s) cost about 25 s for 1,300 repositories at 10k people.
The listing already says whether a repository was pushed or updated, so
`sources.github.pull` skips a repository whose stamp equals the one seen at
its last full check (see there for the periodic re-check).  On a 304 the
stored stamps are the current ones.  An entry written before stamps were
kept (no ``"at"``) is still usable: its repositories just cannot be skipped.

A page answered 200 also hands over each listed repository's fields
(`parse.REPO_FIELDS`: full name, URLs, description, topics, star and fork
counts, ``pushed_at``, homepage; GitHub's "minimal-repository" list items
carry them all), so `sources.github.pull` needs no ``GET /repos/{o}/{r}``
for it.  They are kept in memory for the night only, never stored: a 304
has no body, so after one the repository is read as before when it must be.

Only pages actually read are re-emitted.  The warehouse upserts state, so an
entry of a page no longer reached (a smaller org, a lower cap) stays behind:
harmless, since it is only ever sent for that same page, and a 304 on it
means the page is byte-for-byte what was stored.  Keys name organisations,
never people (``/orgs/{login}`` of a user is a 404), so the privacy erasure
rules for ``etag:`` keys need no counterpart here.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from github.GithubException import UnknownObjectException

from sources.errors import ParseError
from sources.github.client import PER_PAGE, GithubClient, JsonResponse, api_errors, check_same_api, ensure_budget, get_json, next_link
from sources.github.parse import is_valid_repo_name, repo_fields

logger = logging.getLogger(__name__)

LISTING_PARAMS = {"type": "public", "sort": "pushed", "direction": "desc"}
MAX_LISTING_PAGES = 100  # 10,000 repositories: far above any cap we allow (max_repos_per_org <= 1000)


def org_page_key(org: str, number: int) -> str:
    return f"org:{org.lower()}:{number}"


@dataclass
class OrgListing:
    """One organisation's selected repositories and what the listing told about them."""

    names: list[str]
    checkpoint: dict[str, str]  # entries of the listing pages read
    stamps: dict[str, str | None]  # name -> ``pushed_at|updated_at`` (None when unknown)
    items: dict[str, dict[str, Any]]  # name -> `parse.REPO_FIELDS` of a freshly listed repo (not after a 304)


def org_repos(client: GithubClient, org: str, state: dict[str, str]) -> OrgListing:
    """The org's public, non-fork, non-archived repos (most recently pushed
    first, at most ``max_repos_per_org``), the checkpoint entries of the
    listing pages read, each listed repo's ``pushed_at|updated_at`` stamp
    and, for pages answered 200, its repository fields (so the repository
    itself need not be requested).  A missing org (404) is a logged skip."""
    cap, names, checkpoint, stamps, items = client.settings.max_repos_per_org, [], {}, {}, {}
    url: str | None = f"/orgs/{org}/repos"
    seen: set[str] = set()
    with api_errors(client, f"org {org}"):
        try:
            for number in range(1, MAX_LISTING_PAGES + 1):
                ensure_budget(client, f"org {org}")
                page = _listing_page(client, org, url, number, state.get(org_page_key(org, number)))
                if page["etag"]:  # a page served without an ETag cannot be asked for conditionally
                    checkpoint[org_page_key(org, number)] = _encode(page)
                for name, stamp in zip(page["repos"], page.get("at") or [None] * len(page["repos"])):
                    if name not in stamps:
                        names.append(name)
                        stamps[name] = stamp
                        if page.get("items", {}).get(name):
                            items[name] = page["items"][name]
                seen.add(url)
                url = page["next"]
                if not url or len(names) >= cap:
                    break
                if url in seen:
                    raise ParseError(f"GitHub org {org}: pagination loop, 'next' repeats {url[:200]}")
            else:
                raise ParseError(f"GitHub org {org}: more than {MAX_LISTING_PAGES} listing pages")
        except UnknownObjectException:
            logger.warning("GitHub org %s: not found (404), skipped", org)
            return OrgListing([], {}, {}, {})
    logger.info("GitHub org %s: %d repositories selected (cap %d)", org, min(len(names), cap), cap)
    names = names[:cap]
    return OrgListing(names, checkpoint, {name: stamps[name] for name in names},
                      {name: items[name] for name in names if name in items})


def _listing_page(client: GithubClient, org: str, url: str, number: int, stored_value: str | None) -> dict[str, Any]:
    """One listing page: the stored one when GitHub answers 304, else the fresh one."""
    stored = _decode(org, number, stored_value)
    params = {"per_page": PER_PAGE, **LISTING_PARAMS} if number == 1 else None
    response = get_json(client, url, params, etag=stored["etag"] if stored else None)
    if response.status == 304 and stored:
        logger.info("GitHub org %s: listing page %d not modified (304)", org, number)
        if stored["next"]:
            check_same_api(client, stored["next"])  # state is input too: never leave base_url
        return stored
    return _fresh_page(client, org, response)


def _fresh_page(client: GithubClient, org: str, response: JsonResponse) -> dict[str, Any]:
    if response.status == 304:  # only possible with a stored entry; defensive against odd servers
        raise ParseError(f"GitHub org {org}: 304 Not Modified for a listing page we sent no ETag for")
    names, stamps, items = listed_repos(org, response.data)
    return {"etag": response.etag, "repos": names, "at": stamps,
            "next": next_link(client, response.headers.get("link")), "items": items}


def listed_repos(org: str, data: object) -> tuple[list[str], list[str | None], dict[str, dict[str, Any]]]:
    """Full names of the public, non-fork, non-archived entries of one page,
    their ``pushed_at|updated_at`` stamps (parallel list) and the repository
    fields of each entry that carries them all (`parse.repo_fields`).
    A name GitHub would not allow is skipped: it will be put in URLs and queries."""
    if not isinstance(data, list):
        raise ParseError(f"GitHub org {org}: repository list is not a JSON array")
    names, stamps, items = [], [], {}
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("full_name"), str):
            logger.warning("GitHub org %s: skipped a repository entry without full_name", org)
        elif not is_valid_repo_name(item["full_name"]):
            logger.warning("GitHub org %s: skipped a repository entry with an invalid full_name %r",
                           org, item["full_name"][:120])
        elif not (item.get("fork") or item.get("archived") or item.get("private")):
            names.append(item["full_name"])
            stamps.append(listing_stamp(item))
            fields = repo_fields(item)
            if fields is not None:
                items[item["full_name"]] = fields
    return names, stamps, items


def listing_stamp(item: dict[str, Any]) -> str | None:
    """``"<pushed_at>|<updated_at>"`` as the listing wrote them; None unless both are
    strings: a repository whose stamp is unknown is never taken as unchanged."""
    pushed, updated = item.get("pushed_at"), item.get("updated_at")
    if not (isinstance(pushed, str) and isinstance(updated, str)) or len(pushed) + len(updated) > 200:
        return None
    return f"{pushed.strip()}|{updated.strip()}"


def _encode(page: dict[str, Any]) -> str:
    """The stored entry: names, stamps, ETag and next link; never the repository fields."""
    return json.dumps({k: v for k, v in page.items() if k != "items"}, separators=(",", ":"), ensure_ascii=False)


def _decode(org: str, number: int, value: str | None) -> dict[str, Any] | None:
    """A stored page, or None when absent or unusable (then the page is simply fetched)."""
    if not value:
        return None
    try:
        page = json.loads(value)
    except ValueError:
        page = None
    valid = (isinstance(page, dict) and isinstance(page.get("etag"), str) and isinstance(page.get("repos"), list)
             and all(isinstance(n, str) for n in page["repos"]) and isinstance(page.get("next"), (str, type(None)))
             and _valid_stamps(page.get("at"), len(page["repos"])))
    if not valid:
        logger.warning("GitHub org %s: stored state of listing page %d is unusable; fetching it plainly", org, number)
        return None
    return page


def _valid_stamps(stamps: Any, count: int) -> bool:
    """Absent (an entry from before stamps were kept), or one string/null per listed repo."""
    if stamps is None:
        return True
    return isinstance(stamps, list) and len(stamps) == count and all(isinstance(a, (str, type(None))) for a in stamps)
