"""User profiles in GraphQL batches, with a REST fallback.

Why GraphQL: REST costs one ``GET /users/{login}`` per person (60/hour
anonymous, 5000/hour with a token); one GraphQL query with up to 100 aliased
``user(login: "...")`` fields fetches 100 profiles for about one point of the
separate GraphQL budget.  GitHub's GraphQL needs a token on api.github.com,
so ``use_graphql = "auto"`` only tries it with a token or against another
host (a local sample world, GitHub Enterprise).

Where PyGithub 2.10 posts: ``Requester.graphql_url`` is the base URL with its
path replaced by ``get_graphql_prefix(path)``: trailing ``/`` and a trailing
``/v3`` are removed and ``/graphql`` appended.  So
``https://api.github.com`` -> ``https://api.github.com/graphql``,
``https://ghe.example.com/api/v3`` -> ``https://ghe.example.com/api/graphql``,
``http://127.0.0.1:PORT/github`` -> ``POST http://127.0.0.1:PORT/github/graphql``.

Logins are inlined as JSON-quoted string literals (the form GitHub's own
examples and the sample world's server use) and only after checking them
against GitHub's login syntax, so no hostile string reaches the query text.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Sequence

from github.GithubException import UnknownObjectException

from sources.errors import ParseError, RateLimited, SourceError
from sources.github.client import GithubClient, ResponseTooLarge, api_errors, get_or_skip
from sources.github.parse import is_valid_login, user_from_graphql, user_from_rest
from sources.records import GithubUser

logger = logging.getLogger(__name__)

USER_FIELDS = (
    "login databaseId name company websiteUrl location bio twitterUsername email "
    "followers { totalCount } repositories { totalCount } createdAt url"
)


class GraphqlUnavailable(Exception):
    """GraphQL cannot answer here (no token, endpoint missing, rejected query)."""


def build_users_query(logins: Sequence[str]) -> tuple[str, dict[str, str]]:
    """One query with aliased ``uN: user(login: "...")`` fields; returns (query, alias -> login)."""
    aliases = {f"u{i}": login for i, login in enumerate(logins)}
    fields = " ".join(f"{alias}: user(login: {json.dumps(login)}) {{ {USER_FIELDS} }}" for alias, login in aliases.items())
    return f"query {{ {fields} }}", aliases


def fetch_profiles(client: GithubClient, logins: Sequence[str], use_graphql: bool) -> tuple[list[GithubUser], bool]:
    """Profiles of ``logins`` (valid, distinct); returns (users, GraphQL still usable).

    In ``auto`` mode a GraphQL failure falls back to REST for this and every
    later batch; with ``use_graphql = "always"`` it is an error.
    """
    logins = [login for login in logins if _checked_login(login)]
    if use_graphql:
        try:
            return users_by_graphql(client, logins), True
        except GraphqlUnavailable as exc:
            if client.settings.use_graphql == "always":
                raise SourceError(f"GitHub GraphQL profiles: {exc}") from None
            logger.warning("GitHub: GraphQL unavailable (%s); falling back to REST, one request per profile", exc)
    return users_by_rest(client, logins), False


def users_by_graphql(client: GithubClient, logins: Sequence[str]) -> list[GithubUser]:
    """One POST to ``requester.graphql_url`` for the whole batch."""
    query, aliases = build_users_query(logins)
    answer = post_graphql(client, query, f"GraphQL profiles batch of {len(logins)}")
    return _users_from_answer(answer, aliases)


def post_graphql(client: GithubClient, query: str, what: str) -> Any:
    """One POST of ``query``; the raw answer.  Failures a REST fallback could
    avoid raise `GraphqlUnavailable`; rate limits and oversized bodies do not."""
    try:
        with api_errors(client, what), client.serial:  # the Requester is not thread-safe
            _, answer = client.requester.requestJsonAndCheck(
                "POST", client.requester.graphql_url, input={"query": query, "variables": {}})
    except (RateLimited, ResponseTooLarge):  # a REST fallback would not make either go away
        raise
    except (SourceError, UnknownObjectException) as exc:
        raise GraphqlUnavailable(str(exc)) from None
    return answer


def answer_data(answer: Any, what: str) -> tuple[dict[str, Any], list]:
    """``(data, errors)`` of a GraphQL answer; a RATE_LIMITED error stops the source,
    an answer without ``data`` means GraphQL cannot serve this query."""
    if not isinstance(answer, dict):
        raise GraphqlUnavailable(f"answer is not a JSON object ({type(answer).__name__})")
    errors = answer.get("errors") if isinstance(answer.get("errors"), list) else []
    if any(isinstance(e, dict) and e.get("type") == "RATE_LIMITED" for e in errors):
        raise RateLimited(f"GitHub GraphQL {what}: rate limited (GraphQL budget spent)")
    data = answer.get("data")
    if not isinstance(data, dict):
        raise GraphqlUnavailable(f"no data in answer: {first_message(errors)}")
    return data, errors


def _users_from_answer(answer: Any, aliases: dict[str, str]) -> list[GithubUser]:
    data, errors = answer_data(answer, "profiles")
    users = []
    for alias, login in aliases.items():
        user = _user_or_none(data.get(alias), login)
        if user is not None:
            users.append(user)
    if errors:
        logger.info("GitHub GraphQL: %d of %d logins not resolved (%s)", len(errors), len(aliases), first_message(errors))
    return users


def _user_or_none(node: Any, login: str) -> GithubUser | None:
    if node is None:
        logger.info("GitHub user %s: not found (deleted, renamed or an organisation), skipped", login)
        return None
    try:
        return user_from_graphql(node)
    except ParseError as exc:
        logger.warning("GitHub user %s: skipped malformed GraphQL node: %s", login, exc)
        return None


def users_by_rest(client: GithubClient, logins: Sequence[str]) -> list[GithubUser]:
    """Fallback: ``GET /users/{login}`` per login; a 404 is a logged skip."""
    users = []
    for login in logins:
        user = user_by_rest(client, login)
        if user is not None:
            users.append(user)
    return users


def user_by_rest(client: GithubClient, login: str) -> GithubUser | None:
    response = get_or_skip(client, f"user {login}", f"/users/{login}", level=logging.INFO)
    if response is None:
        return None
    try:
        return user_from_rest(response.data)
    except ParseError as exc:
        logger.warning("GitHub user %s: skipped malformed profile: %s", login, exc)
        return None


def _checked_login(login: str) -> bool:
    if is_valid_login(login):
        return True
    logger.warning("GitHub: skipping profile of invalid login %r", login[:60] if isinstance(login, str) else login)
    return False


def first_message(errors: list) -> str:
    for error in errors:
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:200]
    return "no error message"

