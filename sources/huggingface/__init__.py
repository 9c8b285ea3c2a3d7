"""Hugging Face Hub source: models, datasets and Spaces people publish, and their profiles.

Entry point `pull(settings, state)` (settings: `HuggingfaceSettings`).  For
every configured author, search term and task it lists the repos of each
configured type through `huggingface_hub.HfApi` (``author=``, ``search=``,
``pipeline_tag=``; one request per 1,000 repos), newest metadata included via
``expand`` so no per-repo request is needed.  Then one profile look-up per
distinct owner (``/api/users/{u}/overview``, falling back to the
organisation overview), capped by ``max_profiles``.

Yields `HubRepo` pages, then `HubUser` pages.  Identity hints: ``arxiv:``
tags of a card give the arXiv ids it links, GitHub URLs anywhere in the card
metadata are kept; the warehouse turns them into `identity_links`.  The Hub
offers no "changed since" filter on these lists, so each night re-reads the
capped lists (no state kept).
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

from sources.errors import ParseError, SourceError
from sources.huggingface.settings import HuggingfaceSettings
from sources.links import github_login_from_url, urls_in_text
from sources.records import HubRepo, HubUser, Page

__all__ = ["HuggingfaceSettings", "pull"]

logger = logging.getLogger(__name__)

PAGE_SIZE = 500
_EXPAND = {
    "model": ["author", "cardData", "createdAt", "downloads", "lastModified", "library_name",
              "likes", "pipeline_tag", "tags"],
    "dataset": ["author", "cardData", "createdAt", "downloads", "lastModified", "likes", "tags"],
    "space": ["author", "cardData", "createdAt", "lastModified", "likes", "sdk", "tags"],
}
_URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}


def pull(settings: HuggingfaceSettings, state: dict[str, str]) -> Iterator[Page]:
    """Yield Pages of `HubRepo` (per query and type), then of `HubUser`."""
    from sources.huggingface.client import make_api  # imports huggingface_hub only when configured

    api = make_api(settings)
    seen: dict[tuple[str, str], HubRepo] = {}
    for query, repo_type, kwargs in _queries(settings):
        repos = [r for r in list_repos(api, settings, repo_type, query, kwargs)
                 if (r.repo_type, r.repo_id) not in seen]
        seen.update({(r.repo_type, r.repo_id): r for r in repos})
        logger.info("huggingface: %s %ss for %s", len(repos), repo_type, query)
        for start in range(0, len(repos), PAGE_SIZE):
            yield Page(records=list(repos[start:start + PAGE_SIZE]))
    owners = sorted({r.author for r in seen.values() if r.author})
    users = list(profiles(api, owners[: settings.max_profiles]))
    if len(owners) > settings.max_profiles:
        logger.warning("huggingface: %d owners, profiles read for the first %d (max_profiles)",
                       len(owners), settings.max_profiles)
    for start in range(0, len(users), PAGE_SIZE):
        yield Page(records=users[start:start + PAGE_SIZE])


def _queries(settings: HuggingfaceSettings) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for repo_type in settings.repo_types:
        for author in settings.authors:
            yield f"author:{author}", repo_type, {"author": author}
        for term in settings.searches:
            yield f"search:{term}", repo_type, {"search": term}
    if "model" in settings.repo_types:
        for task in settings.tasks:
            yield f"task:{task}", "model", {"pipeline_tag": task}


def list_repos(api, settings: HuggingfaceSettings, repo_type: str, query: str,
               kwargs: dict[str, Any]) -> list[HubRepo]:
    """One capped Hub listing -> records; HTTP and format problems -> SourceError/ParseError."""
    lister = {"model": api.list_models, "dataset": api.list_datasets, "space": api.list_spaces}[repo_type]
    sort = "likes" if repo_type == "space" else "downloads"
    where = f"huggingface: {repo_type}s for {query}"
    with _errors(where):
        infos = lister(**kwargs, sort=sort, limit=settings.max_per_query, expand=_EXPAND[repo_type])
        return [repo for repo in (repo_from(info, repo_type, settings.endpoint, query) for info in infos) if repo]


def repo_from(info: Any, repo_type: str, endpoint: str, query: str | None = None) -> HubRepo | None:
    """A `huggingface_hub` ModelInfo/DatasetInfo/SpaceInfo -> `HubRepo` (None without an id)."""
    repo_id = _text(getattr(info, "id", None))
    if not repo_id:
        logger.warning("huggingface: skipped a %s without an id", repo_type)
        return None
    tags = tuple(t for t in (getattr(info, "tags", None) or []) if isinstance(t, str))
    author = _text(getattr(info, "author", None)) or (repo_id.split("/")[0] if "/" in repo_id else None)
    card = _card_dict(getattr(info, "card_data", None))
    return HubRepo(
        repo_type=repo_type, repo_id=repo_id, author=author.lower() if author else None,
        url=f"{endpoint}/{_URL_PREFIX[repo_type]}{repo_id}",
        pipeline_tag=_text(getattr(info, "pipeline_tag", None)),
        library=_text(getattr(info, "library_name", None) or getattr(info, "sdk", None)),
        downloads=_count(getattr(info, "downloads", None)), likes=_count(getattr(info, "likes", None)),
        created_at=_utc(getattr(info, "created_at", None)), last_modified=_utc(getattr(info, "last_modified", None)),
        tags=tags, arxiv_ids=arxiv_ids(tags, card), github_urls=github_urls(card), query=query,
    )


def arxiv_ids(tags: Iterable[str], card: dict) -> tuple[str, ...]:
    """``arxiv:2401.01234`` tags (the Hub adds them for arXiv links in a card), de-duplicated."""
    found = [t.split(":", 1)[1].strip() for t in tags if t.lower().startswith("arxiv:")]
    found += [str(v).strip() for v in _as_list(card.get("arxiv"))]
    return tuple(dict.fromkeys(x for x in found if x))


def github_urls(card: dict) -> tuple[str, ...]:
    """GitHub URLs anywhere in the card metadata (``repo:``, ``source:``, links lists)."""
    found: list[str] = []
    for text in _strings(card):
        found += [url for url in urls_in_text(text) if github_login_from_url(url)]
    return tuple(dict.fromkeys(found))


def profiles(api, owners: list[str]) -> Iterator[HubUser]:
    """Profiles of repo owners: user overview, else organisation overview, else skipped."""
    from huggingface_hub.errors import HfHubHTTPError

    for owner in owners:
        with _errors(f"huggingface: profile {owner}"):
            try:
                yield user_from(api.get_user_overview(owner), api.endpoint)
                continue
            except HfHubHTTPError as exc:
                if _status(exc) != 404:
                    raise
            try:
                yield org_from(api.get_organization_overview(owner), owner, api.endpoint)
            except HfHubHTTPError as exc:
                if _status(exc) != 404:
                    raise
                logger.info("huggingface: no public profile for %r, skipped", owner)


def user_from(user: Any, endpoint: str) -> HubUser:
    username = _text(getattr(user, "username", None))
    if not username:
        raise ParseError("huggingface: a user overview without a username")
    orgs = tuple(o for o in (_text(getattr(org, "name", None)) for org in (getattr(user, "orgs", None) or [])) if o)
    return HubUser(
        username=username.lower(), url=f"{endpoint}/{username}", name=_text(getattr(user, "fullname", None)),
        details=_text(getattr(user, "details", None)), is_org=False,
        num_models=_count(getattr(user, "num_models", None)), num_datasets=_count(getattr(user, "num_datasets", None)),
        num_spaces=_count(getattr(user, "num_spaces", None)), num_followers=_count(getattr(user, "num_followers", None)),
        num_papers=_count(getattr(user, "num_papers", None)), orgs=orgs,
    )


def org_from(org: Any, owner: str, endpoint: str) -> HubUser:
    name = _text(getattr(org, "name", None)) or owner
    return HubUser(username=name.lower(), url=f"{endpoint}/{name}", name=_text(getattr(org, "fullname", None)),
                   details=_text(getattr(org, "details", None)), is_org=True,
                   num_models=_count(getattr(org, "num_models", None)),
                   num_datasets=_count(getattr(org, "num_datasets", None)),
                   num_spaces=_count(getattr(org, "num_spaces", None)),
                   num_followers=_count(getattr(org, "num_followers", None)),
                   num_papers=_count(getattr(org, "num_papers", None)))


class _errors:
    """Map what `huggingface_hub`/httpx raise to the source contract (SourceError/ParseError)."""

    def __init__(self, where: str) -> None:
        self.where = where

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None or isinstance(exc, SourceError) or not isinstance(exc, Exception):
            return False
        import httpx2
        from huggingface_hub.errors import HfHubHTTPError

        if isinstance(exc, HfHubHTTPError):
            raise SourceError(f"{self.where}: HTTP {_status(exc)} from the Hub") from None
        if isinstance(exc, (httpx2.HTTPError, OSError)):
            raise SourceError(f"{self.where}: {type(exc).__name__}: {exc}") from None
        if isinstance(exc, (ValueError, KeyError, TypeError, AttributeError)):
            raise ParseError(f"{self.where}: not the Hub's JSON format ({type(exc).__name__}: {str(exc)[:200]})") from None
        return False


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _card_dict(card: Any) -> dict:
    if card is None:
        return {}
    if isinstance(card, dict):
        return card
    to_dict = getattr(card, "to_dict", None)
    value = to_dict() if callable(to_dict) else {}
    return value if isinstance(value, dict) else {}


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string inside nested card metadata (bounded depth: cards are user-written)."""
    if depth > 6:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item, depth + 1)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
