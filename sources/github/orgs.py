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
from typing import Any

from github.GithubException import UnknownObjectException

from sources.errors import ParseError
from sources.github.client import PER_PAGE, GithubClient, JsonResponse, api_errors, check_same_api, ensure_budget, get_json, next_link

logger = logging.getLogger(__name__)

LISTING_PARAMS = {"type": "public", "sort": "pushed", "direction": "desc"}
MAX_LISTING_PAGES = 100  # 10,000 repositories: far above any cap we allow (max_repos_per_org <= 1000)


def org_page_key(org: str, number: int) -> str:
    return f"org:{org.lower()}:{number}"


def org_repos(client: GithubClient, org: str, state: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The org's public, non-fork, non-archived repos (most recently pushed
    first, at most ``max_repos_per_org``) and the checkpoint entries of the
    listing pages read.  A missing org (404) is a logged skip."""
    cap, names, checkpoint = client.settings.max_repos_per_org, [], {}
    url: str | None = f"/orgs/{org}/repos"
    seen: set[str] = set()
    with api_errors(client, f"org {org}"):
        try:
            for number in range(1, MAX_LISTING_PAGES + 1):
                ensure_budget(client, f"org {org}")
                page = _listing_page(client, org, url, number, state.get(org_page_key(org, number)))
                if page["etag"]:  # a page served without an ETag cannot be asked for conditionally
                    checkpoint[org_page_key(org, number)] = _encode(page)
                names += [name for name in page["repos"] if name not in names]
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
            return [], {}
    logger.info("GitHub org %s: %d repositories selected (cap %d)", org, min(len(names), cap), cap)
    return names[:cap], checkpoint


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
    return {"etag": response.etag, "repos": listed_repo_names(org, response.data),
            "next": next_link(client, response.headers.get("link"))}


def listed_repo_names(org: str, data: object) -> list[str]:
    """Full names of the public, non-fork, non-archived entries of one page."""
    if not isinstance(data, list):
        raise ParseError(f"GitHub org {org}: repository list is not a JSON array")
    keep = []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("full_name"), str):
            logger.warning("GitHub org %s: skipped a repository entry without full_name", org)
        elif not (item.get("fork") or item.get("archived") or item.get("private")):
            keep.append(item["full_name"])
    return keep


def _encode(page: dict[str, Any]) -> str:
    return json.dumps(page, separators=(",", ":"), ensure_ascii=False)


def _decode(org: str, number: int, value: str | None) -> dict[str, Any] | None:
    """A stored page, or None when absent or unusable (then the page is simply fetched)."""
    if not value:
        return None
    try:
        page = json.loads(value)
    except ValueError:
        page = None
    valid = (isinstance(page, dict) and isinstance(page.get("etag"), str) and isinstance(page.get("repos"), list)
             and all(isinstance(n, str) for n in page["repos"]) and isinstance(page.get("next"), (str, type(None))))
    if not valid:
        logger.warning("GitHub org %s: stored state of listing page %d is unusable; fetching it plainly", org, number)
        return None
    return page
