"""Languages of many repositories per GraphQL query, with a REST fallback.

Why: REST answers one repository's languages per request
(``GET /repos/{o}/{r}/languages``): 12,421 requests for a 100k-people world,
most of their time spent in PyGithub/requests on our side.  One GraphQL
query with up to `LANGUAGES_BATCH` aliased
``rN: repository(owner: "...", name: "...") { languages(first: 100, ...) }``
fields answers them all.  Cost and limits: GitHub counts
``first: 100`` x `LANGUAGES_BATCH` repositories = 5,000 possible nodes
(its limit is 500,000 per query) and 1 point of the separate GraphQL budget.
The edges give the same bytes per language as REST; a repository with more
than 100 languages (``totalCount`` above the edges) is asked from REST.

Names are inlined as JSON-quoted string literals (as `graphql` does for
logins), and only after checking them against GitHub's owner/name syntax,
so no hostile string reaches the query text.

Fallbacks, as for profiles: in ``auto`` mode a query GraphQL cannot answer
(no token on github.com, endpoint missing, rejected query) switches this and
every later batch to REST (``/languages`` per repository); with
``use_graphql = "always"`` it is an error.  A single alias that errors or
comes back null (a repository renamed or deleted since it was listed) is
asked from REST; a 404 there is a logged skip.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Sequence

from sources.errors import ParseError, SourceError
from sources.github.client import GithubClient, ensure_budget, get_or_skip
from sources.github.graphql import GraphqlUnavailable, answer_data, first_message, post_graphql
from sources.github.parse import is_valid_repo_name, languages_from_graphql

logger = logging.getLogger(__name__)

LANGUAGES_BATCH = 50  # repositories per GraphQL query
LANGUAGE_FIELDS = ("languages(first: 100, orderBy: {field: SIZE, direction: DESC}) "
                   "{ totalCount edges { size node { name } } }")


def build_languages_query(full_names: Sequence[str]) -> tuple[str, dict[str, str]]:
    """One query with aliased ``rN: repository(owner:, name:)`` fields; returns
    (query, alias -> full name).  Refuses any name outside GitHub's syntax."""
    aliases = {f"r{i}": name for i, name in enumerate(full_names)}
    fields = []
    for alias, full_name in aliases.items():
        if not is_valid_repo_name(full_name):
            raise ValueError(f"not a GitHub repository name: {full_name[:120]!r}")
        owner, name = full_name.split("/")
        fields.append(f"{alias}: repository(owner: {json.dumps(owner)}, name: {json.dumps(name)}) "
                      f"{{ {LANGUAGE_FIELDS} }}")
    return f"query {{ {' '.join(fields)} }}", aliases


def fetch_languages(client: GithubClient, full_names: Sequence[str],
                    use_graphql: bool) -> tuple[dict[str, dict[str, int]], bool]:
    """``{full name: {language: bytes}}`` for ``full_names`` (a name absent from
    the result was not found: a logged skip); returns it and whether GraphQL is
    still usable for the next batch."""
    names = [name for name in full_names if _checked_name(name)]
    found: dict[str, dict[str, int]] = {}
    rest = names
    if use_graphql and names:
        try:
            found, rest = languages_by_graphql(client, names)
        except GraphqlUnavailable as exc:
            if client.settings.use_graphql == "always":
                raise SourceError(f"GitHub GraphQL languages: {exc}") from None
            logger.warning("GitHub: GraphQL unavailable for languages (%s); falling back to REST, "
                           "one request per repository", exc)
            use_graphql = False
    for name in rest:
        languages = languages_by_rest(client, name)
        if languages is not None:
            found[name] = languages
    return found, use_graphql


def languages_by_graphql(client: GithubClient,
                         full_names: Sequence[str]) -> tuple[dict[str, dict[str, int]], list[str]]:
    """One POST for the batch; returns (languages found, names to ask REST for)."""
    what = f"GraphQL languages batch of {len(full_names)}"
    query, aliases = build_languages_query(full_names)
    ensure_budget(client, what)
    data, errors = answer_data(post_graphql(client, query, what), "languages")
    found, rest = {}, []
    for alias, full_name in aliases.items():
        languages = _languages_or_none(data.get(alias), full_name)
        if languages is None:
            rest.append(full_name)
        else:
            found[full_name] = languages
    if errors or rest:
        logger.info("GitHub GraphQL: languages of %d of %d repositories asked from REST (%s)",
                    len(rest), len(aliases), first_message(errors))
    return found, rest


def _languages_or_none(node: Any, full_name: str) -> dict[str, int] | None:
    if node is None:
        logger.info("GitHub repo %s: not resolved by GraphQL; asking REST for its languages", full_name)
        return None
    try:
        return languages_from_graphql(node, full_name)
    except ParseError as exc:
        logger.warning("GitHub repo %s: malformed GraphQL languages (%s); asking REST", full_name, exc)
        return None


def languages_by_rest(client: GithubClient, full_name: str) -> dict[str, int] | None:
    """``GET /repos/{o}/{r}/languages``; None for a 404 (a logged skip).
    A body that is not a JSON object is a `ParseError`, as on the repository path."""
    response = get_or_skip(client, f"repo {full_name} languages", f"/repos/{full_name}/languages")
    if response is None:
        return None
    if response.data is not None and not isinstance(response.data, dict):
        raise ParseError(f"GitHub repo {full_name}: languages is not a JSON object")
    return response.data or {}


def _checked_name(full_name: str) -> bool:
    if is_valid_repo_name(full_name):
        return True
    logger.warning("GitHub: skipping repository with an invalid name %r",
                   full_name[:120] if isinstance(full_name, str) else full_name)
    return False
