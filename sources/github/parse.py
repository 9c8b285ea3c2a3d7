"""GitHub REST/GraphQL payloads (or PyGithub objects) -> typed records.

Only public, work-related fields are kept: no avatars, no private data,
``email`` only when the user published it on the profile.  Every function
takes the JSON the API returned (a PyGithub object is reduced to its already
fetched payload by `raw_payload`, without triggering a lazy completion
request).  A payload that is not the documented shape raises `ParseError`;
callers decide whether that skips one item or fails the page.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import Any, Mapping

from sources.errors import ParseError
from sources.records import GithubContribution, GithubRepo, GithubUser

logger = logging.getLogger(__name__)

# Today's rule is alphanumerics and single inner hyphens; early accounts
# (e.g. "up_the_irons", id 45) kept underscores, so those are accepted too.
_LOGIN = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_]|-(?=[A-Za-z0-9_]))*$")
_REPO_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
GITHUB_WEB = "https://github.com"


def raw_payload(obj: Any) -> Mapping[str, Any]:
    """The JSON a PyGithub object was built from, *without* completing it.

    ``obj.raw_data`` on a lazy/incomplete object (e.g. a contributor from a
    list) issues ``GET /users/{login}``; ``_rawData`` is what the list
    response already carried.
    """
    if isinstance(obj, Mapping):
        return obj
    data = getattr(obj, "_rawData", None)
    if not isinstance(data, Mapping):
        raise ParseError(f"GitHub: expected a JSON object or PyGithub object, got {type(obj).__name__}")
    return data


def is_valid_login(login: Any) -> bool:
    return isinstance(login, str) and len(login) <= 39 and bool(_LOGIN.match(login))


def is_valid_repo_name(full_name: Any) -> bool:
    """``owner/name`` as GitHub allows them (login syntax; name of letters, digits,
    ``_.-``, not ``.``/``..``): what may go into a URL path or a GraphQL literal."""
    if not isinstance(full_name, str) or full_name.count("/") != 1:
        return False
    owner, name = full_name.split("/")
    return is_valid_login(owner) and bool(_REPO_NAME.match(name)) and name not in (".", "..")


def languages_from_graphql(node: Any, full_name: str) -> dict[str, int] | None:
    """A GraphQL ``repository { languages(first:, orderBy: SIZE) { totalCount edges { size node { name } } } }``
    node -> ``{"Python": bytes, ...}`` (what REST ``/languages`` answers), or None
    when the connection holds more languages than the page returned (ask REST)."""
    languages = _object(_object(node, f"GraphQL repository {full_name}").get("languages"),
                        f"GraphQL languages of {full_name}")
    edges = languages.get("edges")
    if not isinstance(edges, list):
        raise ParseError(f"GitHub GraphQL languages of {full_name}: edges is not a list")
    sizes: dict[str, int] = {}
    for edge in edges:
        edge = _object(edge, f"GraphQL language edge of {full_name}")
        name, size = _object(edge.get("node"), f"GraphQL language of {full_name}").get("name"), _int(edge.get("size"))
        if isinstance(name, str) and name and size is not None:
            sizes[name] = size
    total = _int(languages.get("totalCount"))
    return None if total is not None and total > len(edges) else sizes


# What `repo_from_json` reads.  GitHub's org listing items ("minimal-repository")
# carry all of them, so a listed repository needs no ``GET /repos/{o}/{r}``.
REPO_FIELDS = ("full_name", "html_url", "description", "topics", "stargazers_count", "forks_count",
               "pushed_at", "homepage")


def repo_fields(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """The `REPO_FIELDS` of a listing item (kept instead of the whole item: a
    listing of 1,000 repositories is megabytes), or None when one is missing,
    in which case the repository is read from ``/repos/{o}/{r}`` as before."""
    if not all(key in item for key in REPO_FIELDS):
        return None
    return {key: item[key] for key in REPO_FIELDS}


def repo_from_json(data: Any, languages: Mapping[str, Any] | None = None) -> GithubRepo:
    """``GET /repos/{owner}/{name}`` (+ ``/languages``) -> `GithubRepo`."""
    data = _object(raw_payload(data), "repository")
    full_name = _text(data.get("full_name"))
    if not full_name or "/" not in full_name:
        raise ParseError(f"GitHub repository payload without a valid full_name: {full_name!r}")
    topics = data.get("topics") or ()
    if not isinstance(topics, (list, tuple)):
        raise ParseError(f"GitHub repository {full_name}: topics is not a list")
    return GithubRepo(
        full_name=full_name.lower(),
        html_url=_text(data.get("html_url")) or f"{GITHUB_WEB}/{full_name}",
        description=_text(data.get("description")),
        topics=tuple(t.strip().lower() for t in topics if isinstance(t, str) and t.strip()),
        languages=languages_from_json(languages or {}, full_name),
        stars=_int(data.get("stargazers_count")),
        forks=_int(data.get("forks_count")),
        pushed_at=_optional_timestamp(data.get("pushed_at"), f"repository {full_name} pushed_at"),
        homepage=_text(data.get("homepage")),
    )


def languages_from_json(data: Any, full_name: str) -> tuple[tuple[str, int], ...]:
    """``{"Python": 1234, ...}`` -> ``(("Python", 1234), ...)``, largest first."""
    if not isinstance(data, Mapping):
        raise ParseError(f"GitHub repository {full_name}: languages is not a JSON object")
    pairs = [(str(k), int(v)) for k, v in data.items() if isinstance(v, int) and not isinstance(v, bool)]
    return tuple(sorted(pairs, key=lambda kv: (-kv[1], kv[0])))


def contribution_from_json(repo: str, item: Any) -> GithubContribution | None:
    """One ``/contributors`` list entry -> `GithubContribution`; bots,
    organisations and anonymous (email-only) contributors give None."""
    item = _object(raw_payload(item), f"contributor of {repo}")
    login = item.get("login")
    kind = item.get("type", "User")  # 2012-era payloads carry no type: they were users
    if kind != "User" or not is_valid_login(login):
        logger.info("GitHub %s: skipping contributor %r of type %r (not a user account)", repo, login, kind)
        return None
    count = _int(item.get("contributions"))
    if count is None:
        raise ParseError(f"GitHub {repo}: contributor {login!r} has no contributions count")
    return GithubContribution(repo=repo.lower(), login=login.lower(), contributions=count)


def user_from_rest(data: Any) -> GithubUser:
    """``GET /users/{login}`` (or a list/search item) -> `GithubUser`."""
    data = _object(raw_payload(data), "user")
    login = data.get("login")
    if not is_valid_login(login):
        raise ParseError(f"GitHub user payload without a valid login: {login!r}")
    return GithubUser(
        login=login.lower(),
        html_url=_text(data.get("html_url")) or f"{GITHUB_WEB}/{login}",
        user_id=_int(data.get("id")),
        name=_text(data.get("name")),
        company=_text(data.get("company")),
        blog=_text(data.get("blog")),
        location=_text(data.get("location")),
        bio=_text(data.get("bio")),
        twitter_username=_text(data.get("twitter_username")),
        email=_email(data.get("email")),
        followers=_int(data.get("followers")),
        public_repos=_int(data.get("public_repos")),
        created_at=_optional_timestamp(data.get("created_at"), f"user {login} created_at"),
        user_type=_text(data.get("type")),
    )


def user_from_graphql(node: Any) -> GithubUser:
    """A GraphQL ``user(login:)`` node (fields of `graphql.USER_FIELDS`) -> `GithubUser`."""
    node = _object(node, "GraphQL user")
    login = node.get("login")
    if not is_valid_login(login):
        raise ParseError(f"GitHub GraphQL user node without a valid login: {login!r}")
    return GithubUser(
        login=login.lower(),
        html_url=_text(node.get("url")) or f"{GITHUB_WEB}/{login}",
        user_id=_int(node.get("databaseId")),
        name=_text(node.get("name")),
        company=_text(node.get("company")),
        blog=_text(node.get("websiteUrl")),
        location=_text(node.get("location")),
        bio=_text(node.get("bio")),
        twitter_username=_text(node.get("twitterUsername")),
        email=_email(node.get("email")),
        followers=_count(node.get("followers")),
        public_repos=_count(node.get("repositories")),
        created_at=_optional_timestamp(node.get("createdAt"), f"user {login} createdAt"),
        user_type="User",  # user(login:) resolves only User accounts
    )


def parse_timestamp(value: Any, what: str) -> datetime | None:
    """GitHub ISO 8601 (``2012-05-20T12:14:08Z``) -> aware UTC datetime."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ParseError(f"GitHub {what}: not a timestamp: {value!r}")
    try:
        stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ParseError(f"GitHub {what}: not an ISO 8601 timestamp: {value[:40]!r}") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)  # GitHub timestamps are UTC
    return stamp.astimezone(timezone.utc)


def _optional_timestamp(value: Any, what: str) -> datetime | None:
    """A bad timestamp in an optional field drops the field, not the record."""
    try:
        return parse_timestamp(value, what)
    except ParseError as exc:
        logger.warning("%s; field left empty", exc)
        return None


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ParseError(f"GitHub {what}: expected a JSON object, got {type(value).__name__}")
    return value


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _email(value: Any) -> str | None:
    """Only a published profile address; GitHub sends ``null``/``""`` otherwise."""
    value = _text(value)
    return value if value and "@" in value else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _count(value: Any) -> int | None:
    return _int(value.get("totalCount")) if isinstance(value, Mapping) else None
