"""GitHub source: settings, parsing of real recorded API responses, and
`pull()` end to end through real PyGithub against a local http.server."""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from datetime import date, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import network_environment

from sources.errors import ParseError, RateLimited, SourceError
from sources.github import checked_key, contributors_etag_key, pull, repo_etag_key
from sources.github.client import build_client
from sources.github.graphql import GraphqlUnavailable, _users_from_answer, build_users_query
from sources.github.parse import contribution_from_json, repo_from_json, user_from_graphql, user_from_rest
from sources.github.settings import GithubSettings
from sources.records import GithubContribution, GithubRepo, GithubUser

SENTINEL = "ghp_SENTINEL0token0must0never0leak0123456"
TOKEN_ENV = "TS_TEST_GITHUB_TOKEN"


# --- real recorded data --------------------------------------------------------------
def _records(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_github3py_contributors_two_pages_give_102_contributions(real_data):
    pages = _records(real_data / "github" / "github3py" / "repos_sigmavirus24_github3.py_contributors_2018.json")
    assert 'rel="next"' in pages[0]["link_header"]
    found = [contribution_from_json("sigmavirus24/github3.py", item) for page in pages for item in page["body"]]
    users = [c for c in found if c is not None]
    assert len(found) == 102
    assert all(c.repo == "sigmavirus24/github3.py" and c.login == c.login.lower() for c in users)
    top = users[0]
    assert top.login == "sigmavirus24" and top.contributions == pages[0]["body"][0]["contributions"]
    skipped = [item for page in pages for item in page["body"] if item.get("type") != "User"]
    assert len(users) == 102 - len(skipped)


def test_pygithub_2012_contributors_without_type_are_users(real_data):
    page = _records(real_data / "github" / "pygithub" / "repos_PyGithub_PyGithub_contributors_2012.json")[0]
    [contribution] = [contribution_from_json("PyGithub/PyGithub", item) for item in page["body"]]
    assert contribution == GithubContribution("pygithub/pygithub", "jacquev6", 355)


def test_user_profiles_parse_with_accents_and_aware_timestamps(real_data):
    profiles = _records(real_data / "github" / "pygithub" / "users_profiles.json")
    users = [user_from_rest(p["body"]) for p in profiles]
    assert len(users) == 25
    assert sum(u.user_type == "Organization" for u in users) == 4
    for user, raw in zip(users, profiles):
        body = raw["body"]
        assert user.login == body["login"].lower()
        assert user.name == ((body.get("name") or "").strip() or None)  # accents kept verbatim
        assert user.created_at is None or user.created_at.tzinfo == timezone.utc
        assert user.email is None or "@" in user.email
        assert "avatar" not in repr(user)
    assert next(u for u in users if u.login == "klmitch").created_at is None  # recorded as "foobar"
    accented = [u.name for u in users if u.name and re.search(r"[^\x00-\x7f]", u.name)]
    raw_accented = [p["body"]["name"] for p in profiles if p["body"].get("name") and re.search(r"[^\x00-\x7f]", p["body"]["name"])]
    assert accented == [n.strip() for n in raw_accented]


def test_sigmavirus24_profile(real_data):
    records = _records(real_data / "github" / "github3py" / "users_sigmavirus24_profile_and_public_events_2017.json")
    body = next(r["body"] for r in records if r["url"].endswith("/users/sigmavirus24"))
    user = user_from_rest(body)
    assert user.login == "sigmavirus24" and user.user_id == body["id"]
    assert user.name == body["name"] and user.followers == body["followers"]
    assert user.public_repos == body["public_repos"]
    assert user.created_at.isoformat().startswith(body["created_at"][:19])
    assert user.html_url == "https://github.com/sigmavirus24"


@pytest.mark.parametrize("relative, count", [
    ("github3py/orgs_github3py_members_2017.json", 6),
    ("pygithub/orgs_BeaverSoftware_members_2012.json", 3),
    ("pygithub/users_jacquev6_followers_2012.json", 13),
    ("pygithub/repos_PyGithub_PyGithub_stargazers_3pages_2012.json", 67),
    ("pygithub/users_list_since0_since135_2013.json", 200),
])
def test_user_lists_parse_every_entry(real_data, relative, count):
    pages = _records(real_data / "github" / relative)
    users = [user_from_rest(item) for page in pages for item in page["body"]]
    assert len(users) == count
    assert len({u.login for u in users}) == count


@pytest.mark.parametrize("relative, count", [
    ("pygithub/search_users_location_Berlin_pages1-2_2014.json", 60),
    ("pygithub/search_users_vincent_sort_followers_2014.json", 30),
])
def test_search_users_items_parse(real_data, relative, count):
    pages = _records(real_data / "github" / relative)
    users = [user_from_rest(item) for page in pages for item in page["body"]["items"]]
    assert len(users) == count
    assert all(u.html_url.startswith("https://github.com/") for u in users)


@pytest.mark.parametrize("relative, count", [
    ("pygithub/users_jacquev6_repos_owner_2020.json", 10),
    ("pygithub/users_jacquev6_repos_2012.json", 11),
    ("github3py/users_dstufft_repos_2017.json", 100),
])
def test_repo_lists_parse(real_data, relative, count):
    pages = _records(real_data / "github" / relative)
    repos = [repo_from_json(item) for page in pages for item in page["body"]]
    assert len(repos) == count
    assert all(r.full_name == r.full_name.lower() and r.pushed_at is None or r.pushed_at.tzinfo for r in repos)


def test_repo_fields_and_languages_from_real_2020_payload(real_data):
    page = _records(real_data / "github" / "pygithub" / "users_jacquev6_repos_owner_2020.json")[0]
    body = page["body"][0]
    repo = repo_from_json(body, {"C++": 10, "Python": 500})
    assert repo.full_name == body["full_name"].lower() and repo.html_url == body["html_url"]
    assert repo.topics == () and body.get("topics") is None  # null topics -> empty tuple
    assert repo.languages == (("Python", 500), ("C++", 10))
    assert (repo.stars, repo.forks) == (body["stargazers_count"], body["forks_count"])
    assert repo.pushed_at.isoformat().startswith(body["pushed_at"][:19])


def test_pygithub_replay_of_contributors_matches_extracted_json(real_data):
    """The raw PyGithub replay file (10-line format) carries the same body."""
    lines = (real_data / "github" / "pygithub" / "raw" / "Repository.testGetContributors.txt").read_text().splitlines()
    body = json.loads(lines[9])
    assert [contribution_from_json("pygithub/pygithub", item).login for item in body] == ["jacquev6"]


def test_search_users_raw_replay_parses(real_data):
    lines = (real_data / "github" / "pygithub" / "raw" / "Search.testPaginateSearchUsers.txt").read_text().splitlines()
    bodies = [json.loads(line) for line in lines if line.startswith('{"total_count"')]
    assert bodies and sum(len(b["items"]) for b in bodies) == sum(len([user_from_rest(i) for i in b["items"]]) for b in bodies)


# --- parse edge cases ----------------------------------------------------------------
def test_bots_and_anonymous_contributors_are_skipped(caplog):
    caplog.set_level(logging.INFO, logger="sources.github")
    assert contribution_from_json("a/b", {"login": "dependabot[bot]", "type": "Bot", "contributions": 9}) is None
    assert contribution_from_json("a/b", {"type": "Anonymous", "email": "x@y.z", "contributions": 3}) is None
    assert "dependabot[bot]" in caplog.text


@pytest.mark.parametrize("bad", [[1, 2], "text", None, {"full_name": None}])
def test_malformed_repo_payload_is_a_parse_error(bad):
    with pytest.raises(ParseError):
        repo_from_json(bad)


def test_graphql_node_fields():
    user = user_from_graphql(_graphql_node("Zoe-X", "Zoë Ångström-Łukasz", email=""))
    assert (user.login, user.name, user.location, user.email) == ("zoe-x", "Zoë Ångström-Łukasz", "Kraków", None)
    assert (user.followers, user.public_repos, user.user_id) == (12, 3, 7)
    assert user.created_at.tzinfo == timezone.utc and user.blog == "https://zoe.example.org"


def test_users_query_quotes_logins_and_aliases():
    query, aliases = build_users_query(["ann", "bob-2"])
    assert aliases == {"u0": "ann", "u1": "bob-2"}
    assert 'u1: user(login: "bob-2")' in query and "followers { totalCount }" in query


def test_graphql_answer_with_a_missing_login_keeps_the_others(caplog):
    caplog.set_level(logging.INFO, logger="sources.github")
    answer = {"data": {"u0": _graphql_node("Ann", "Ann Ó"), "u1": None},
              "errors": [{"type": "NOT_FOUND", "path": ["u1"], "message": "Could not resolve to a User"}]}
    users = _users_from_answer(answer, {"u0": "ann", "u1": "ghost"})
    assert [u.login for u in users] == ["ann"] and "ghost" in caplog.text


def test_graphql_rate_limited_and_rejected_answers():
    with pytest.raises(RateLimited):
        _users_from_answer({"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]}, {"u0": "a"})
    with pytest.raises(GraphqlUnavailable, match="Field 'user' doesn't exist"):
        _users_from_answer({"errors": [{"message": "Field 'user' doesn't exist"}]}, {"u0": "a"})


# --- settings ------------------------------------------------------------------------
def test_settings_defaults_and_repr_hides_token(monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, SENTINEL)
    s = GithubSettings.from_dict("github", {"repos": ["Acme/Widgets"], "token_env": TOKEN_ENV})
    assert (s.base_url, s.max_repos_per_org, s.max_contributors_per_repo) == ("https://api.github.com", 30, 100)
    assert (s.profile_batch_size, s.use_graphql, s.max_rate_limit_wait_seconds) == (100, "auto", 60.0)
    assert s.max_bytes == 20 * 1024 * 1024 and "max_bytes=20971520" in repr(s)
    assert s.token() == SENTINEL and s.graphql_enabled()
    assert SENTINEL not in repr(s) and SENTINEL not in str(s) and "(set)" in repr(s)


def test_graphql_auto_mode(monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    public = GithubSettings.from_dict("github", {"repos": ["a/b"], "token_env": TOKEN_ENV})
    local = GithubSettings.from_dict("github", {"repos": ["a/b"], "token_env": TOKEN_ENV, "base_url": "http://127.0.0.1:9/github"})
    assert not public.graphql_enabled() and local.graphql_enabled()


@pytest.mark.parametrize("table, message", [
    ({"repos": ["no-slash"]}, "sources.github.repos: every entry must be owner/name"),
    ({"repos": "a/b"}, "sources.github.repos: must be a list"),
    ({}, "sources.github.repos: at least one"),
    ({"repos": ["a/b"], "profile_batch_size": 101}, "sources.github.profile_batch_size: must be an integer 1..100"),
    ({"repos": ["a/b"], "use_graphql": "sometimes"}, "sources.github.use_graphql: must be one of"),
    ({"repos": ["a/b"], "base_url": "ftp://x"}, "sources.github.base_url:"),
    ({"repos": ["a/b"], "orgs": ["bad org"]}, "sources.github.orgs:"),
    ({"repos": ["a/b"], "max_rate_limit_wait_seconds": -1}, "sources.github.max_rate_limit_wait_seconds:"),
    ({"repos": ["a/b"], "tokne": "x"}, "sources.github.tokne: unknown key"),
    ({"repos": ["a/b"], "max_bytes": 100}, "sources.github.max_bytes: must be an integer 1024..1073741824, got 100"),
    ({"repos": ["a/b"], "max_bytes": "20MB"}, "sources.github.max_bytes: must be an integer"),
    ({"repos": ["a/b"], "max_bytes": True}, "sources.github.max_bytes: must be an integer"),
])
def test_settings_errors_name_the_key(table, message):
    with pytest.raises(ValueError) as info:
        GithubSettings.from_dict("github", table)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_require_token_names_the_key(monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with pytest.raises(ValueError, match=r"^sources\.github\.require_token: .*TS_TEST_GITHUB_TOKEN"):
        GithubSettings.from_dict("github", {"repos": ["a/b"], "token_env": TOKEN_ENV, "require_token": True})


def test_graphql_url_for_a_prefixed_local_base_url():
    settings = GithubSettings.from_dict("github", {"repos": ["a/b"], "base_url": "http://127.0.0.1:8123/github/"})
    client = build_client(settings)
    try:
        assert client.requester.graphql_url == "http://127.0.0.1:8123/github/graphql"
    finally:
        client.close()


# --- local GitHub server ---------------------------------------------------------------
def _graphql_node(login: str, name: str | None, email: str = "") -> dict:
    return {
        "login": login, "databaseId": 7, "name": name, "company": "@acme", "websiteUrl": "https://zoe.example.org",
        "location": "Kraków", "bio": "", "twitterUsername": None, "email": email,
        "followers": {"totalCount": 12}, "repositories": {"totalCount": 3},
        "createdAt": "2015-03-01T10:00:00Z", "url": f"https://github.com/{login}",
    }


_ALIAS = re.compile(r'(\w+)\s*:\s*user\s*\(\s*login\s*:\s*"([^"]*)"\s*\)')
FAR_RESET = str(int(time.time()) + 7200)


class FakeGithub:
    """State of the fake API: what exists, what was asked, which faults to play."""

    def __init__(self):
        self.requests: list[tuple[str, str]] = []
        self.auth_headers: set[str] = set()
        self.contributors: dict[str, list[dict]] = {}
        self.repos: set[str] = set()
        self.rate_limited: set[str] = set()  # repo paths answering 403 rate limit
        self.remaining = 4999
        self.reset = FAR_RESET
        self.graphql_status = 200
        self.faults: dict[str, tuple[int, bytes, dict]] = {}  # path -> raw (status, body, headers)
        self.org_repos: dict[str, list[dict]] = {}
        self.lock = threading.Lock()

    def add_repo(self, full: str, n_users: int, bots: int = 0) -> None:
        self.repos.add(full)
        people = [{"login": f"Dev{i:03d}", "id": 1000 + i, "type": "User", "contributions": 500 - i,
                   "avatar_url": "https://avatars.example/x.png"} for i in range(n_users)]
        people[1:1] = [{"login": f"robot{i}[bot]", "id": 9000 + i, "type": "Bot", "contributions": 400} for i in range(bots)]
        self.contributors[full] = people
        self.__dict__.setdefault("first_size", {})

    def known_login(self, login: str) -> str | None:
        for people in self.contributors.values():
            for person in people:
                if person["login"].lower() == login.lower() and person["type"] == "User":
                    return person["login"]
        return None

    def count(self, prefix: str) -> int:
        return sum(1 for _, path in self.requests if path.startswith(prefix))


def _name(login: str) -> str:
    return f"Zoë Ångström {login}"


def _make_handler(fake: FakeGithub):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def _send(self, status: int, body, headers: dict | None = None) -> None:
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            with fake.lock:
                fake.remaining = max(0, fake.remaining - (status != 304))
                remaining = fake.remaining
            self.send_header("X-RateLimit-Limit", "5000")
            self.send_header("X-RateLimit-Remaining", str(remaining))
            self.send_header("X-RateLimit-Reset", fake.reset)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def _raw(self, status: int, payload: bytes, headers: dict) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def _record(self) -> tuple[str, dict]:
            parts = urlsplit(self.path)
            with fake.lock:
                fake.requests.append((self.command, parts.path))
                fake.auth_headers.add(self.headers.get("Authorization", ""))
            return parts.path.removeprefix("/gh"), {k: v[0] for k, v in parse_qs(parts.query).items()}

        def do_POST(self):
            path, _ = self._record()
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if path != "/graphql" or fake.graphql_status != 200:
                return self._send(fake.graphql_status if path == "/graphql" else 404, {"message": "Not Found"})
            data, errors = {}, []
            for alias, login in _ALIAS.findall(body["query"]):
                known = fake.known_login(login)  # GitHub matches logins case-insensitively
                data[alias] = _graphql_node(known, _name(known)) if known else None
                if not known:
                    errors.append({"type": "NOT_FOUND", "path": [alias], "message": f"Could not resolve {login}"})
            self._send(200, {"data": data, **({"errors": errors} if errors else {})})

        def do_GET(self):
            path, query = self._record()
            parts = path.strip("/").split("/")
            if path in fake.faults:
                return self._raw(*fake.faults[path])
            if parts[0] == "orgs" and parts[1] in fake.org_repos:
                return self._send(200, fake.org_repos[parts[1]])
            if parts[0] == "users" and len(parts) == 2:
                return self._send(200, {"login": parts[1], "id": 1, "type": "User", "name": _name(parts[1]),
                                        "html_url": f"https://github.com/{parts[1]}", "created_at": "2014-01-01T00:00:00Z"})
            full = "/".join(parts[1:3]).lower()  # GitHub resolves owner/name case-insensitively
            if parts[0] != "repos" or full not in fake.repos:
                return self._send(404, {"message": "Not Found", "documentation_url": "https://docs.github.com"})
            if full in fake.rate_limited:
                return self._send(403, {"message": "API rate limit exceeded for 127.0.0.1.",
                                        "documentation_url": "https://docs.github.com/rest"},
                                  {"X-RateLimit-Remaining": "0"})
            tail = parts[3] if len(parts) > 3 else ""
            if tail == "":
                etag = f'W/"repo-{full}"'
                if self.headers.get("If-None-Match") == etag:
                    return self._send(304, None, {"ETag": etag})
                return self._send(200, _repo_json(full), {"ETag": etag})
            if tail == "languages":
                return self._send(200, {"Python": 900, "Jupyter Notebook": 4000})
            return self._contributors(full, query)

        def _contributors(self, full: str, query: dict) -> None:
            per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
            people = fake.contributors[full]
            chunk = people[(page - 1) * per_page: page * per_page]
            changed = len(people) != fake.first_size.setdefault(full, len(people))
            headers = {"ETag": f'"contrib-{full}-{page}' + (f'-{len(people)}"' if changed else '"')}
            if self.headers.get("If-None-Match") == headers["ETag"]:
                return self._send(304, None, headers)
            if page * per_page < len(people):
                host, port = self.server.server_address[:2]
                headers["Link"] = (f'<http://{host}:{port}/gh/repositories/1/contributors?per_page={per_page}'
                                   f'&page={page + 1}>; rel="next"').replace("/repositories/1/", f"/repos/{full}/")
            self._send(200, chunk, headers)

    return Handler


def _repo_json(full: str) -> dict:
    return {"full_name": full.title(), "html_url": f"https://github.com/{full}", "description": "Ünïcode  tools ",
            "topics": ["LLM", "mlops"], "stargazers_count": 42, "forks_count": 5,
            "pushed_at": "2025-05-01T12:00:00Z", "homepage": "", "fork": False, "archived": False}


@pytest.fixture
def fake_github():
    fake = FakeGithub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(fake))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/gh"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def _settings(fake: FakeGithub, repos: list[str], **extra) -> GithubSettings:
    table = {"repos": repos, "base_url": fake.base_url, "token_env": TOKEN_ENV,
             "max_rate_limit_wait_seconds": 1, "timeout_seconds": 5, "max_contributors_per_repo": 1000, **extra}
    return GithubSettings.from_dict("github", table)


def test_pull_end_to_end_with_few_requests(fake_github, monkeypatch, caplog):
    monkeypatch.setenv(TOKEN_ENV, SENTINEL)
    caplog.set_level(logging.DEBUG)
    fake_github.add_repo("acme/widgets", 150, bots=2)
    pages = list(pull(_settings(fake_github, ["acme/widgets", "acme/missing"]), {}))

    records = [r for p in pages for r in p.records]
    [repo] = [r for r in records if isinstance(r, GithubRepo)]
    contributions = [r for r in records if isinstance(r, GithubContribution)]
    users = [r for r in records if isinstance(r, GithubUser)]
    assert repo.full_name == "acme/widgets" and repo.description == "Ünïcode  tools"
    assert repo.languages == (("Jupyter Notebook", 4000), ("Python", 900)) and repo.topics == ("llm", "mlops")
    assert len(contributions) == 150 and contributions[0] == GithubContribution("acme/widgets", "dev000", 500)
    assert len(users) == 150 and len({u.login for u in users}) == 150
    assert users[0].name == "Zoë Ångström Dev000" and users[0].email is None
    assert [len(p.records) for p in pages] == [151, 100, 50]  # repo page, then profile batches of 100

    assert fake_github.count("/gh/repos/acme/widgets/contributors") == 2
    assert fake_github.count("/gh/repos/acme/widgets/languages") == 1
    assert fake_github.count("/gh/graphql") == 2
    assert fake_github.count("/gh/users/") == 0  # no hidden per-contributor GETs
    assert len(fake_github.requests) == 7  # + repo, + missing repo (404 skipped), nothing else

    assert fake_github.auth_headers == {f"token {SENTINEL}"}  # the token was used ...
    assert SENTINEL not in caplog.text  # ... but never logged (PyGithub DEBUG included)
    assert all(SENTINEL not in repr(r) for r in records)
    assert all(SENTINEL not in json.dumps(p.checkpoint) for p in pages)
    assert "acme/missing" in caplog.text and "404" in caplog.text


def test_second_run_with_etags_sends_if_none_match_and_yields_nothing_new(fake_github, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    fake_github.add_repo("acme/tiny", 3)
    settings = _settings(fake_github, ["acme/tiny"])
    first = list(pull(settings, {}))
    state = {k: v for p in first for k, v in p.checkpoint.items()}
    assert state[repo_etag_key("acme/tiny")] == 'W/"repo-acme/tiny"'
    assert state[contributors_etag_key("acme/tiny")] == '"contrib-acme/tiny-1"'  # one page: worth storing

    fake_github.requests.clear()
    second = list(pull(settings, state))
    assert [p.records for p in second] == [[]]
    assert second[0].checkpoint == state  # ETags survive the quiet night
    # the repo answered a free 304 and its contributor list was checked within
    # recheck_days: the list is not asked (tests/test_github_incremental.py)
    assert fake_github.requests == [("GET", "/gh/repos/acme/tiny")]


@pytest.mark.parametrize("recheck_days", [0, 1])  # 1: last night's check is one day old
def test_new_contributor_behind_an_unchanged_repo_is_found_at_the_recheck(fake_github, monkeypatch, recheck_days):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    fake_github.add_repo("acme/tiny", 3)
    settings = _settings(fake_github, ["acme/tiny"], recheck_days=recheck_days)
    state = {k: v for p in pull(settings, {}) for k, v in p.checkpoint.items()}
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    state[checked_key("acme/tiny")] = yesterday + "|"
    fake_github.add_repo("acme/tiny", 4)  # same repo payload, one more contributor
    second = list(pull(settings, state))
    logins = {r.login for p in second for r in p.records if isinstance(r, GithubContribution)}
    assert "dev003" in logins


def test_multi_page_contributor_list_stores_no_etag(fake_github, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    fake_github.add_repo("acme/widgets", 150)
    pages = list(pull(_settings(fake_github, ["acme/widgets"]), {}))
    assert contributors_etag_key("acme/widgets") not in pages[0].checkpoint


def test_contributor_cap_stops_paging(fake_github, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    fake_github.add_repo("acme/widgets", 150)
    pages = list(pull(_settings(fake_github, ["acme/widgets"], max_contributors_per_repo=20), {}))
    assert sum(isinstance(r, GithubContribution) for r in pages[0].records) == 20
    assert fake_github.count("/gh/repos/acme/widgets/contributors") == 1
    assert sum(len(p.records) for p in pages[1:]) == 20


def test_graphql_failure_falls_back_to_rest_profiles(fake_github, monkeypatch, caplog):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    fake_github.add_repo("acme/tiny", 3)
    fake_github.graphql_status = 404
    pages = list(pull(_settings(fake_github, ["acme/tiny"]), {}))
    users = [r for p in pages for r in p.records if isinstance(r, GithubUser)]
    assert sorted(u.login for u in users) == ["dev000", "dev001", "dev002"]
    assert fake_github.count("/gh/graphql") == 1 and fake_github.count("/gh/users/") == 3
    assert "falling back to REST" in caplog.text


def test_use_graphql_never_uses_rest_only(fake_github, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, SENTINEL)
    fake_github.add_repo("acme/tiny", 2)
    list(pull(_settings(fake_github, ["acme/tiny"], use_graphql="never"), {}))
    assert fake_github.count("/gh/graphql") == 0 and fake_github.count("/gh/users/") == 2


def test_rate_limit_403_stops_cleanly_after_earlier_pages(fake_github, monkeypatch, caplog):
    monkeypatch.setenv(TOKEN_ENV, SENTINEL)
    fake_github.add_repo("acme/widgets", 5)
    fake_github.add_repo("acme/limited", 5)
    fake_github.rate_limited.add("acme/limited")
    yielded = []
    with pytest.raises(RateLimited) as info:
        for page in pull(_settings(fake_github, ["acme/widgets", "acme/limited"]), {}):
            yielded.append(page)
    assert [type(r) for r in yielded[0].records][:1] == [GithubRepo] and len(yielded) == 1
    assert "acme/limited" in str(info.value) and "max_rate_limit_wait_seconds" in str(info.value)
    assert fake_github.count("/gh/repos/acme/limited") == 1  # the far reset was not waited for nor retried
    assert SENTINEL not in str(info.value) and SENTINEL not in caplog.text


def test_spent_budget_stops_before_the_next_request(fake_github, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    fake_github.add_repo("acme/widgets", 5)
    fake_github.add_repo("acme/other", 5)
    fake_github.remaining = 3  # repo, languages, contributors -> the budget reaches 0 (reset 2 h away)
    yielded = []
    with pytest.raises(RateLimited, match="rate budget spent"):
        for page in pull(_settings(fake_github, ["acme/widgets", "acme/other"]), {}):
            yielded.append(page)
    assert len(yielded) == 1 and fake_github.count("/gh/repos/acme/other") == 0


def test_spent_budget_with_a_near_reset_waits_within_the_cap_and_goes_on(fake_github, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    slept: list[float] = []
    monkeypatch.setattr("sources.github.client.time.sleep", slept.append)
    fake_github.add_repo("acme/widgets", 5)
    fake_github.add_repo("acme/other", 5)
    fake_github.remaining, fake_github.reset = 3, str(int(time.time()) + 2)
    pages = list(pull(_settings(fake_github, ["acme/widgets", "acme/other"], max_rate_limit_wait_seconds=10), {}))
    assert slept and all(0 < s <= 10 for s in slept)  # waited (at most the cap) instead of stopping
    assert [p.records[0].full_name for p in pages[:2]] == ["acme/widgets", "acme/other"]


def test_unreachable_server_is_a_source_error(monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    settings = GithubSettings.from_dict("github", {"repos": ["a/b"], "base_url": "http://127.0.0.1:9/gh",
                                                   "token_env": TOKEN_ENV, "timeout_seconds": 2})
    with pytest.raises(SourceError, match="repo a/b"):
        list(pull(settings, {}))


def test_429_without_retry_after_is_rate_limited(fake_github, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    fake_github.add_repo("acme/busy", 2)
    fake_github.faults["/repos/acme/busy"] = (429, b'{"message": "Too Many Requests"}', {"Content-Type": "application/json"})
    with pytest.raises(RateLimited, match=r"repo acme/busy: rate limited \(HTTP 429\)"):
        list(pull(_settings(fake_github, ["acme/busy"]), {}))


def test_retry_after_beyond_the_cap_is_not_slept(fake_github, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    fake_github.add_repo("acme/busy", 2)
    fake_github.faults["/repos/acme/busy"] = (503, b'{"message": "busy"}', {"Retry-After": "3600"})
    with pytest.raises(RateLimited, match="max_rate_limit_wait_seconds=1"):
        list(pull(_settings(fake_github, ["acme/busy"]), {}))
    assert fake_github.count("/gh/repos/acme/busy") == 1


@pytest.mark.parametrize("body", [b'{"full_name": "acme/x", "trunc', b"<html>oops</html>", b"[1, 2]"])
def test_malformed_repo_body_is_a_parse_error(fake_github, monkeypatch, body):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    fake_github.add_repo("acme/broken", 2)
    fake_github.faults["/repos/acme/broken"] = (200, body, {"Content-Type": "application/json"})
    with pytest.raises(ParseError, match="acme/broken"):
        list(pull(_settings(fake_github, ["acme/broken"]), {}))


def test_hostile_contributor_entries_are_skipped(fake_github, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    fake_github.add_repo("acme/tiny", 2)
    fake_github.contributors["acme/tiny"] += [
        {"login": 'x") { id } evil: viewer { login } #', "type": "User", "contributions": 1},
        {"login": "no-count", "type": "User"},
        "not an object",
    ]
    pages = list(pull(_settings(fake_github, ["acme/tiny"]), {}))
    logins = [r.login for p in pages for r in p.records if isinstance(r, GithubContribution)]
    assert logins == ["dev000", "dev001"]
    assert sorted(r.login for p in pages for r in p.records if isinstance(r, GithubUser)) == ["dev000", "dev001"]


def test_orgs_add_public_non_fork_non_archived_repos_capped(fake_github, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    for name in ("lab/a", "lab/b", "lab/c"):
        fake_github.add_repo(name, 1)
    fake_github.org_repos["lab"] = [
        {"full_name": "lab/fork", "fork": True, "archived": False},
        {"full_name": "lab/a", "fork": False, "archived": False},
        {"full_name": "lab/old", "fork": False, "archived": True},
        {"full_name": "lab/b", "fork": False, "archived": False},
        {"full_name": "lab/c", "fork": False, "archived": False},
    ]
    settings = _settings(fake_github, ["Lab/A"], orgs=["lab", "ghost-org"], max_repos_per_org=2)
    pages = list(pull(settings, {}))
    repos = [r.full_name for p in pages for r in p.records if isinstance(r, GithubRepo)]
    assert repos == ["lab/a", "lab/b"]  # Lab/A configured once; lab/c beyond the cap; forks/archived out
    assert fake_github.count("/gh/orgs/ghost-org/repos") == 1  # a missing org is a logged skip


# --- against the sample world: quiet second nights, changed listings, size cap ------------------
def _world_settings(server, **extra) -> GithubSettings:
    from sampleworld.files import github_targets

    orgs, repos = github_targets(server.world)
    table = {"base_url": server.base_url + "/github", "orgs": orgs, "repos": repos, "token_env": TOKEN_ENV,
             "max_rate_limit_wait_seconds": 1, "timeout_seconds": 5, **extra}
    return GithubSettings.from_dict("github", table)


def _night(server, settings: GithubSettings, state: dict[str, str]) -> tuple[list, dict[str, str], int]:
    """One pull: (records, merged checkpoint, counted GitHub requests)."""
    server.reset_counts()
    records, checkpoint = [], {}
    for page in pull(settings, state):
        records += page.records
        checkpoint.update(page.checkpoint)
    return records, checkpoint, server.counts.get("github", 0)


def _repo_names(checkpoint: dict[str, str]) -> set[str]:
    """Repositories the state knows: configured ones by their ETag, org ones by their last check
    (their fields come from the listing, so they have no repository ETag)."""
    return {k.split(":", 2)[2] for k in checkpoint if k.startswith(("etag:repo:", "etag:checked:"))}


@pytest.fixture
def world_server():
    from sampleworld.generate import generate_world
    from sampleworld.server import serve

    with serve(generate_world()) as server:  # a fresh world: tests may move a repo to night 2
        yield server


@pytest.mark.parametrize("per_page", [100, 1], ids=["one-page-listings", "paged-listings"])
def test_second_night_without_upstream_change_costs_no_counted_request(world_server, monkeypatch, per_page):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    monkeypatch.setattr("sources.github.orgs.PER_PAGE", per_page)
    settings = _world_settings(world_server)
    records, state, counted = _night(world_server, settings, {})
    repos = {r.full_name for r in records if isinstance(r, GithubRepo)}
    assert counted > 0 and len(repos) > 20 and any(isinstance(r, GithubUser) for r in records)
    org_pages = [k for k in state if k.startswith("org:")]
    assert len(org_pages) == (len(settings.orgs) if per_page == 100 else len(repos) - len(settings.repos))

    again, state2, counted2 = _night(world_server, settings, state)
    assert counted2 == 0  # every listing page and configured repo answered 304
    # org repos unchanged in their listing are not asked for at all, configured repos' contributor
    # lists not within recheck_days (tests/test_github_incremental.py)
    assert world_server.counts["github:not_modified"] == len(org_pages) + len(settings.repos)
    assert again == []  # nothing new to load
    assert state2 == state and _repo_names(state2) == repos  # the same repos stay known, state survives


def test_a_changed_org_listing_is_picked_up(monkeypatch):
    from sampleworld.generate import generate_world
    from sampleworld.server import serve

    monkeypatch.delenv(TOKEN_ENV, raising=False)
    world = generate_world()
    new = next(r for r in world.repos if r.owner == "infra-kit" and not (r.fork or r.archived))
    new.night = 2  # the org publishes this repository between the nights
    with serve(world) as server:
        settings = _world_settings(server)
        records, state, _ = _night(server, settings, {})
        assert new.full_name.lower() not in _repo_names(state)
        server.set_night(2)
        records2, state2, counted = _night(server, settings, state)
    assert new.full_name.lower() in _repo_names(state2)
    assert new.full_name.lower() in {r.full_name for r in records2 if isinstance(r, GithubRepo)}
    assert json.loads(state2["org:infra-kit:1"])["etag"] != json.loads(state["org:infra-kit:1"])["etag"]
    assert new.full_name in json.loads(state2["org:infra-kit:1"])["repos"]
    # only the changed listings were paid for: this org's, and those of orgs whose repos were pushed on night 2
    pushed = {r.owner.lower() for r in world.repos if r.owner_is_org and any(c.night == 2 for c in r.contributors)}
    changed = ({"infra-kit"} | pushed) & {o.lower() for o in settings.orgs}
    assert server.counts["github:org_repos"] == len(changed) < len(settings.orgs)
    unchanged = [k for k in state if k.startswith("org:") and k.split(":")[1] not in changed]
    assert all(state2[k] == state[k] for k in unchanged)


def test_unusable_stored_listing_is_fetched_plainly(world_server, monkeypatch, caplog):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    settings = _world_settings(world_server)
    _, state, _ = _night(world_server, settings, {})
    broken = {**state, "org:infra-kit:1": '{"etag": 3, "repos": "x"}', "org:evalworks:1": "not json"}
    _, state2, _ = _night(world_server, settings, broken)
    assert world_server.counts["github:org_repos"] == 2 and state2 == state
    assert "stored state of listing page 1 is unusable" in caplog.text


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_oversized_response_stops_with_max_bytes_error_and_keeps_earlier_pages(world_server, monkeypatch, declared):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    settings = _world_settings(world_server, max_bytes=64 * 1024)
    target = settings.repos[2]
    world_server.inject(f"/github/repos/{target}", "oversized", times=100, bytes=5_000_000, content_length=declared)
    yielded = []
    with pytest.raises(ParseError) as info:
        for page in pull(settings, {}):
            yielded.append(page)
    message = str(info.value)
    assert "max_bytes=65536" in message and target in message and "\n" not in message
    assert ("(not read)" in message) is declared
    loaded = {r.full_name for p in yielded for r in p.records if isinstance(r, GithubRepo)}
    assert {settings.repos[0].lower(), settings.repos[1].lower()} <= loaded and target.lower() not in loaded
    assert world_server.counts.get("github:repo", 0) >= 3


def test_oversized_graphql_batch_is_an_error_not_a_rest_fallback(world_server, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    settings = _world_settings(world_server, max_bytes=64 * 1024, orgs=[])  # configured repos: REST, then profiles
    world_server.inject("/github/graphql", "oversized", times=100, bytes=1_000_000, content_length=False)
    yielded = []
    with pytest.raises(ParseError, match=r"GraphQL.*max_bytes=65536"):
        for page in pull(settings, {}):
            yielded.append(page)
    assert any(isinstance(r, GithubRepo) for p in yielded for r in p.records)  # repositories stay loaded
    assert world_server.counts.get("github:user", 0) == 0


def test_oversized_graphql_languages_batch_is_an_error_not_a_rest_fallback(world_server, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    settings = _world_settings(world_server, max_bytes=64 * 1024, repos=[])  # org repos: languages by GraphQL
    world_server.inject("/github/graphql", "oversized", times=100, bytes=1_000_000, content_length=False)
    with pytest.raises(ParseError, match=r"GraphQL languages.*max_bytes=65536"):
        list(pull(settings, {}))
    assert world_server.counts.get("github:languages", 0) == 0


@pytest.mark.parametrize("proxy", [None, "http://proxy.corp.example:3128"])
def test_environment_is_read_once_unless_a_proxy_is_configured(monkeypatch, proxy):
    """Proxies and a corporate CA bundle keep working; without a proxy the
    session stops re-reading the environment on every request."""
    network_environment(monkeypatch, proxy=proxy, ca_bundle="/etc/ssl/corp-ca.pem")
    settings = GithubSettings.from_dict("github", {"base_url": "http://127.0.0.1:9/github", "repos": ["a/b"]})
    client = build_client(settings)
    connection = client.requester._Requester__connectionClass("127.0.0.1", 9)
    assert connection.session.trust_env is bool(proxy)
    assert client.requester._Requester__verify == "/etc/ssl/corp-ca.pem"
