"""GitHub REST v3 and GraphQL wire formats for the sample world.

JSON objects carry the fields the real API returns (so PyGithub's lazy
completion works): every ``url`` points back at this server's ``/github``
prefix, ``html_url`` at github.com as a recruiter would open it.
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

from sampleworld.model import GithubUser, Repo

DOCS = "https://docs.github.com/rest"
_ALIAS_USER = re.compile(r'(\w+)\s*:\s*user\s*\(\s*login\s*:\s*"([^"]*)"\s*\)')
_ALIAS_REPO = re.compile(r'(\w+)\s*:\s*repository\s*\(\s*owner\s*:\s*"([^"]*)"\s*,\s*name\s*:\s*"([^"]*)"\s*\)'
                         r'\s*\{\s*languages\s*\(\s*first\s*:\s*(\d+)')


def _node_id(prefix: str, number: int) -> str:
    import base64
    return base64.b64encode(f"{prefix}{number}".encode()).decode()


def owner_json(api: str, login: str, user_id: int, is_org: bool) -> dict:
    kind = "Organization" if is_org else "User"
    return {
        "login": login, "id": user_id, "node_id": _node_id("04:" + kind, user_id),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4", "gravatar_id": "",
        "url": f"{api}/users/{login}", "html_url": f"https://github.com/{login}",
        "followers_url": f"{api}/users/{login}/followers", "repos_url": f"{api}/users/{login}/repos",
        "organizations_url": f"{api}/users/{login}/orgs", "type": kind, "user_view_type": "public",
        "site_admin": False,
    }


def repo_json(api: str, repo: Repo, owner_id: int, pushed_at: str | None = None) -> dict:
    """``pushed_at``: the night's push time when it differs from the repo's first one."""
    full = repo.full_name
    pushed = pushed_at or repo.pushed_at
    return {
        "id": repo.repo_id, "node_id": _node_id("010:Repository", repo.repo_id), "name": repo.name,
        "full_name": full, "private": False, "owner": owner_json(api, repo.owner, owner_id, repo.owner_is_org),
        "html_url": f"https://github.com/{full}", "description": repo.description, "fork": repo.fork,
        "url": f"{api}/repos/{full}", "contributors_url": f"{api}/repos/{full}/contributors",
        "languages_url": f"{api}/repos/{full}/languages", "created_at": repo.created_at,
        "updated_at": pushed, "pushed_at": pushed, "git_url": f"git://github.com/{full}.git",
        "clone_url": f"https://github.com/{full}.git", "homepage": repo.homepage, "size": sum(repo.languages.values()) // 1024,
        "stargazers_count": repo.stars, "watchers_count": repo.stars,
        "language": max(repo.languages, key=repo.languages.get) if repo.languages else None,
        "has_issues": True, "has_wiki": False, "archived": repo.archived, "disabled": False,
        "open_issues_count": repo.stars % 97, "license": {"key": "apache-2.0", "name": "Apache License 2.0",
                                                        "spdx_id": "Apache-2.0", "url": f"{api}/licenses/apache-2.0"},
        "topics": list(repo.topics), "visibility": "public", "forks": repo.forks, "forks_count": repo.forks,
        "open_issues": repo.stars % 97, "watchers": repo.stars, "default_branch": "main",
        "subscribers_count": repo.stars // 20, "network_count": repo.forks,
    }


def contributor_json(api: str, login: str, user_id: int, contributions: int) -> dict:
    data = owner_json(api, login, user_id, False)
    data["contributions"] = contributions
    return data


def user_json(api: str, user: GithubUser, public_repos: int | None = None) -> dict:
    data = owner_json(api, user.login, user.user_id, False)
    data.update({
        "name": user.name, "company": user.company, "blog": user.blog or "", "location": user.location,
        "email": user.email, "hireable": None, "bio": user.bio, "twitter_username": user.twitter_username,
        "public_repos": user.public_repos if public_repos is None else public_repos, "public_gists": 0,
        "followers": user.followers, "following": user.followers // 7,
        "created_at": user.created_at, "updated_at": user.created_at,
    })
    return data


def org_json(api: str, login: str, org_id: int, repo_count: int) -> dict:
    """``GET /orgs/{org}``: unlike an owner object (``url`` under ``/users``), the
    organisation itself lives under ``/orgs``, which is where PyGithub's
    ``Organization.get_repos()`` appends ``/repos``."""
    data = owner_json(api, login, org_id, True)
    org_api = f"{api}/orgs/{login}"
    data.update({"url": org_api, "repos_url": f"{org_api}/repos", "events_url": f"{org_api}/events",
                 "hooks_url": f"{org_api}/hooks", "issues_url": f"{org_api}/issues",
                 "members_url": f"{org_api}/members{{/member}}",
                 "public_members_url": f"{org_api}/public_members{{/member}}", "description": None,
                 "public_gists": 0, "html_url": f"https://github.com/{login}"})
    data.update({"name": login.replace("-", " ").title(), "company": None, "blog": "", "location": None,
                 "email": None, "bio": None, "public_repos": repo_count, "followers": 0, "following": 0,
                 "created_at": "2019-01-01T12:00:00Z", "updated_at": "2019-01-01T12:00:00Z"})
    return data


def link_header(url_base: str, params: dict, page: int, last: int) -> str | None:
    """``Link`` exactly as GitHub formats it: prev, next, last, first."""
    def url(n: int) -> str:
        return f"{url_base}?{urlencode({**params, 'page': n})}"
    parts = []
    if page > 1:
        parts.append(f'<{url(page - 1)}>; rel="prev"')
    if page < last:
        parts += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        parts.append(f'<{url(1)}>; rel="first"')
    return ", ".join(parts) or None


def not_found() -> dict:
    return {"message": "Not Found", "documentation_url": DOCS, "status": "404"}


def graphql_answer(query: str, user_lookup, repo_lookup) -> dict:
    """Answer aliased ``user(login:)`` and ``repository(owner:, name:) { languages(first: N ...) }``
    fields in one query, as GitHub does; unknown ones give ``null`` plus a NOT_FOUND error."""
    users, repos = graphql_users(query, user_lookup), graphql_repo_languages(query, repo_lookup)
    answer: dict = {"data": {**users["data"], **repos["data"]}}
    errors = users.get("errors", []) + repos.get("errors", [])
    if errors:
        answer["errors"] = errors
    return answer


def graphql_repo_languages(query: str, lookup) -> dict:
    """``alias: repository(owner: "o", name: "n") { languages(first: N, orderBy: SIZE DESC) {...} }``:
    the repo's languages, largest first, at most N edges, with ``totalCount``.
    ``lookup("o/n") -> Repo | None``."""
    data, errors = {}, []
    for alias, owner, name, first in _ALIAS_REPO.findall(query or ""):
        repo = lookup(f"{owner}/{name}")
        if repo is None:
            data[alias] = None
            errors.append({"type": "NOT_FOUND", "path": [alias], "locations": [{"line": 1, "column": 1}],
                           "message": f"Could not resolve to a Repository with the name '{owner}/{name}'."})
            continue
        ordered = sorted(repo.languages.items(), key=lambda kv: (-kv[1], kv[0]))
        edges = [{"size": size, "node": {"name": lang}} for lang, size in ordered[:min(100, int(first))]]
        data[alias] = {"languages": {"totalCount": len(ordered), "edges": edges}}
    answer: dict = {"data": data}
    if errors:
        answer["errors"] = errors
    return answer


def has_repo_query(query: str) -> bool:
    return bool(_ALIAS_REPO.search(query or ""))


def graphql_users(query: str, lookup) -> dict:
    """Answer aliased ``alias: user(login: "x") {...}`` batches.

    ``lookup(login) -> GithubUser | None``.  Unknown logins give ``null`` and
    a NOT_FOUND entry in ``errors``, as GitHub does.
    """
    data, errors = {}, []
    pairs = _ALIAS_USER.findall(query or "")
    for alias, login in pairs:
        user = lookup(login)
        data[alias] = _graphql_user(user) if user else None
        if user is None:
            errors.append({"type": "NOT_FOUND", "path": [alias], "locations": [{"line": 1, "column": 1}],
                           "message": f"Could not resolve to a User with the login of '{login}'."})
    answer: dict = {"data": data}
    if errors:
        answer["errors"] = errors
    return answer


def _graphql_user(u: GithubUser) -> dict:
    return {
        "login": u.login, "databaseId": u.user_id, "name": u.name, "company": u.company,
        "websiteUrl": u.blog, "location": u.location, "bio": u.bio or "", "twitterUsername": u.twitter_username,
        "email": u.email or "", "followers": {"totalCount": u.followers},
        "repositories": {"totalCount": u.public_repos}, "createdAt": u.created_at,
        "url": f"https://github.com/{u.login}",
    }


def has_user_query(query: str) -> bool:
    return bool(_ALIAS_USER.search(query or ""))
