"""Sample world: deterministic generation, ground truth, hard identity cases,
and the local server as the real clients (arxiv, PyGithub, requests) see it."""
from __future__ import annotations

import filecmp
import json
import re
import tomllib
from pathlib import Path

import arxiv
import pytest
import requests
from github import Github
from lxml import etree

from sampleworld import wire_arxiv
from sampleworld.files import ARXIV_QUERIES, DATA_DIR, config_toml, write_world
from sampleworld.generate import generate_world, hard_case_people
from sampleworld.model import load_world
from sampleworld.server import FAULT_KINDS, serve
from sampleworld.truth import truth_flags, truth_identities, truth_leads

ATOM = "{http://www.w3.org/2005/Atom}"
T = 5  # seconds: explicit timeout on every request


@pytest.fixture(scope="module")
def world():
    return generate_world()


@pytest.fixture()
def server(world):
    with serve(world) as srv:
        yield srv


def _person(world, person_id):
    return next(p for p in world.people if p.person_id == person_id)


def _speakers_named(world, name):
    return [(c.source, s) for c in world.conferences for s in c.speakers if s.name == name]


# --- generation and truth ---------------------------------------------------------------
def test_same_seed_same_world_and_other_seed_differs():
    assert generate_world(60, 3).to_json() == generate_world(60, 3).to_json()
    assert generate_world(60, 3).to_json() != generate_world(60, 4).to_json()


def test_shipped_data_regenerates_identically(tmp_path, world):
    written = write_world(tmp_path, world)
    assert {p.name for p in written} == {p.name for p in DATA_DIR.iterdir() if p.is_file()}
    for path in written:
        assert filecmp.cmp(path, DATA_DIR / path.name, shallow=False), path.name
    assert load_world(DATA_DIR / "world.json").to_json() == world.to_json()


def test_truth_covers_every_identity_once_and_people_use_one_to_four_sources(world):
    rows = truth_identities(world)
    keys = [(source, key) for _, source, key in rows]
    assert len(keys) == len(set(keys))
    expected = {(f"arxiv", f"{p.paper_id}#{i}") for p in world.papers for i in range(1, len(p.authors) + 1)}
    expected |= {("github", u.login.lower()) for u in world.users}
    expected |= {(c.source, s.key) for c in world.conferences for s in c.speakers}
    expected |= {("internal", i.email.lower()) for i in world.internal}
    assert set(keys) == expected
    sources_of: dict[str, set[str]] = {}
    for person_id, source, _ in rows:
        sources_of.setdefault(person_id, set()).add(source)
    assert set(sources_of) == {p.person_id for p in world.people}
    assert all(1 <= len(s) <= 4 for s in sources_of.values())


def test_truth_leads_cover_all_roles_and_flag_research_only(world):
    leads = truth_leads(world)
    roles = {role for role, _, _ in leads}
    assert roles == {"ml_engineer", "mlops_engineer", "ai_product_manager", "ai_ux_designer"}
    assert all(rel in (1, 2, 3) for _, _, rel in leads)
    for role in roles:
        assert any(r == role and rel == 3 for r, _, rel in leads)
    flagged = {pid for _, pid, flag in truth_flags(world) if flag == "research_only"}
    assert flagged and all(_person(world, pid).persona == "researcher" for pid in flagged)
    assert not any(u.person_id in flagged for u in world.users if u.night == 1)
    nonleads = {p.person_id for p in world.people if p.persona in ("web_developer", "physicist")}
    assert not nonleads & {pid for _, pid, _ in leads}


def test_hard_cases_exist_in_the_default_world(world):
    cases = hard_case_people(world)
    smith = cases["initials"][0]
    assert any(a.name == "J. Smith" and a.person_id == smith for p in world.papers for a in p.authors)
    assert any(u.name == "Jennifer Smith" and u.person_id == smith for u in world.users)
    accented, plain = _speakers_named(world, "José Álvarez"), _speakers_named(world, "Jose Alvarez")
    assert accented and plain and accented[0][1].person_id == plain[0][1].person_id == cases["accents"][0]
    bob = _speakers_named(world, "Bob Miller")[0][1]
    assert any(u.name == "Robert Miller" and u.person_id == bob.person_id for u in world.users)
    assert _speakers_named(world, "Wang Li")[0][1].person_id == cases["reversed"][0]
    assert any(a.name == "Li Wang" and a.person_id == cases["reversed"][0] for p in world.papers for a in p.authors)
    assert _speakers_named(world, "Maria Katrine Jensen")[0][1].person_id == \
        _speakers_named(world, "Maria Jensen")[0][1].person_id


def test_hard_cases_handles_shared_contacts_and_namesakes(world):
    cases = hard_case_people(world)
    novak = next(u for u in world.users if u.person_id == cases["handle_in_speaker_links"][0])
    assert novak.name is None
    assert any(l.url == f"https://github.com/{novak.login}" for c in world.conferences for s in c.speakers
               if s.person_id == novak.person_id for l in s.links)
    raman = cases["handle_in_paper_comment"][0]
    raman_login = _person(world, raman).github_login
    assert any(f"https://github.com/{raman_login}/" in (p.comment or "") for p in world.papers)
    olu = _person(world, cases["shared_email"][0])
    assert any(u.email == olu.email for u in world.users) and any(i.email == olu.email for i in world.internal)
    sofia = _person(world, cases["shared_homepage"][0])
    assert any(u.blog == sofia.homepage for u in world.users if u.person_id == sofia.person_id)
    assert any(l.url == sofia.homepage for c in world.conferences for s in c.speakers
               if s.person_id == sofia.person_id for l in s.links)
    first, second = cases["namesake"]
    assert first != second and _person(world, first).full_name == _person(world, second).full_name == "Wei Zhang"
    assert _person(world, first).affiliation != _person(world, second).affiliation


def test_hostile_world_carries_injection_strings_and_default_does_not(world):
    hostile = generate_world(hostile=True).to_json()
    assert "DROP TABLE" in hostile and "=HYPERLINK(" in hostile
    assert "DROP TABLE" not in world.to_json() and "=HYPERLINK(" not in world.to_json()


def test_larger_worlds_keep_natural_keys_unique():
    big = generate_world(3000, seed=11)
    assert len({u.login.lower() for u in big.users}) == len(big.users)
    assert len({p.paper_id for p in big.papers}) == len(big.papers)
    assert len({i.email for i in big.internal}) == len(big.internal)
    rows = truth_identities(big)
    assert len({(s, k) for _, s, k in rows}) == len(rows)


def test_generated_config_is_valid_and_every_paper_matches_a_query(world):
    config = tomllib.loads(config_toml(world, "http://127.0.0.1:9"))
    from sources.arxiv.settings import ArxivSettings
    settings = ArxivSettings.from_dict("arxiv", config["sources"]["arxiv"])
    assert settings.base_url == "http://127.0.0.1:9/arxiv/api/query"
    predicates = [wire_arxiv.parse_query(q) for q in ARXIV_QUERIES]
    assert all(any(pred(p) for pred in predicates) for p in world.papers)
    formats = {c["format"] for c in config["sources"]["conferences"]}
    assert formats == {"pretalx", "sessionize", "html", "pyvideo"}


# --- arXiv ------------------------------------------------------------------------------------
def _arxiv_client(server, page_size=5):
    client = arxiv.Client(page_size=page_size, delay_seconds=0, num_retries=0)
    client.query_url_format = server.base_url + "/arxiv/api/query?{}"
    return client


def test_arxiv_package_paginates_and_gets_expected_entries(server, world):
    search = arxiv.Search(query="cat:cs.HC", max_results=100, sort_by=arxiv.SortCriterion.SubmittedDate)
    results = list(_arxiv_client(server).results(search))
    expected = sorted((p for p in world.papers if "cs.HC" in p.categories and p.night == 1),
                      key=lambda p: (p.published, p.paper_id), reverse=True)
    assert [r.get_short_id() for r in results] == [f"{p.paper_id}v{p.version}" for p in expected]
    assert [a.name for a in results[0].authors] == [a.name for a in expected[0].authors]
    assert server.counts["arxiv"] == -(-len(expected) // 5)


def test_arxiv_query_syntax_subset(server, world):
    def ids(query):
        body = requests.get(server.base_url + "/arxiv/api/query", params={"search_query": query, "max_results": 500},
                            timeout=T)
        return {e.findtext(f"{ATOM}id") for e in etree.fromstring(body.content).findall(f"{ATOM}entry")}
    lg, hc = ids("cat:cs.LG"), ids("cat:cs.HC")
    assert ids("cat:cs.LG OR cat:cs.HC") == lg | hc
    assert ids("cat:cs.LG AND (abs:serving OR abs:evaluation)") <= lg
    assert ids('cat:cs.HC AND abs:"human-AI interaction"') == hc
    assert ids('abs:"interaction human-AI"') == set()
    assert ids('abs:"man-AI interaction"') == set() and ids('abs:"human-A"') == set()  # whole words only
    assert ids('abs:"HUMAN-ai   Interaction"') == hc  # case and spacing do not matter, as on arXiv
    bad = requests.get(server.base_url + "/arxiv/api/query", params={"search_query": "cat:cs.LG AND ("}, timeout=T)
    assert bad.status_code == 400 and b"<title>Error</title>" in bad.content


def test_arxiv_feed_has_the_real_feed_structure(server, world, real_data):
    real = etree.parse(str(real_data / "arxiv" / "arxiv-api-rs_search_all_RAG_max3_2026.xml")).getroot()
    paper = next(p for p in world.papers if p.comment and p.journal_ref)
    ours = etree.fromstring(requests.get(server.base_url + "/arxiv/api/query",
                                         params={"id_list": paper.paper_id}, timeout=T).content)
    assert [c.tag for c in ours if c.tag != f"{ATOM}entry"] == [c.tag for c in real if c.tag != f"{ATOM}entry"]
    real_entry_tags = {c.tag for c in real.find(f"{ATOM}entry")}
    assert real_entry_tags <= {c.tag for c in ours.find(f"{ATOM}entry")}
    assert ours.nsmap == real.nsmap


# --- GitHub -----------------------------------------------------------------------------------
def test_pygithub_repo_paginated_contributors_and_user(server, world):
    repo = max(world.repos, key=lambda r: len(r.contributors))
    g = Github(base_url=server.base_url + "/github", per_page=2, retry=None, seconds_between_requests=0)
    remote = g.get_repo(repo.full_name)
    assert remote.topics == repo.topics and remote.language == max(repo.languages, key=repo.languages.get)
    logins = [c.login for c in remote.get_contributors()]
    visible = sorted((c for c in repo.contributors if c.night == 1), key=lambda c: (-c.contributions, c.login.lower()))
    assert logins == [c.login for c in visible] and len(logins) > 2
    assert server.counts["github:contributors"] == -(-len(logins) // 2)
    user = next(u for u in world.users if u.login == logins[0])
    remote_user = g.get_user(user.login)
    assert (remote_user.name, remote_user.company, remote_user.email) == (user.name, user.company, user.email)


def test_github_link_header_is_formatted_like_github(server, world):
    repo = max(world.repos, key=lambda r: len(r.contributors))
    url = f"{server.base_url}/github/repos/{repo.full_name}/contributors"
    response = requests.get(url, params={"per_page": 1, "page": 2}, timeout=T)
    links = re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])
    assert [rel for _, rel in links] == ["prev", "next", "last", "first"]
    assert links[1][0] == f"{url}?per_page=1&page=3"
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "ETag"} <= set(response.headers)


def test_graphql_user_batches(server, world):
    a, b = world.users[0], world.users[1]
    g = Github(base_url=server.base_url + "/github", retry=None, seconds_between_requests=0)
    query = f'query {{ u0: user(login: "{a.login}") {{ login name }} u1: user(login: "{b.login}") {{ login }} }}'
    _, data = g.requester.graphql_query(query, {})
    assert data["data"]["u0"]["databaseId"] == a.user_id and data["data"]["u1"]["login"] == b.login
    missing = requests.post(server.base_url + "/github/graphql", timeout=T,
                            json={"query": f'{{ x: user(login: "{a.login}") {{login}} y: user(login: "no-such-user") {{login}} }}'}).json()
    assert missing["data"]["y"] is None and missing["data"]["x"]["login"] == a.login
    assert missing["errors"][0]["type"] == "NOT_FOUND" and missing["errors"][0]["path"] == ["y"]


def test_conditional_request_304_is_not_counted(server, world):
    url = f"{server.base_url}/github/repos/{world.repos[0].full_name}"
    first = requests.get(url, timeout=T)
    before = server.counts["github"]
    again = requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=T)
    assert again.status_code == 304 and server.counts["github"] == before
    assert again.headers["X-RateLimit-Remaining"] == first.headers["X-RateLimit-Remaining"]
    g = Github(base_url=server.base_url + "/github", retry=None, seconds_between_requests=0)
    repo = g.get_repo(world.repos[0].full_name)
    count = server.counts["github"]
    assert repo.update() is False and server.counts["github"] == count


def test_pygithub_organization_get_repos(server, world):
    org = max({r.owner for r in world.repos if r.owner_is_org},
              key=lambda o: sum(r.owner == o for r in world.repos))
    g = Github(base_url=server.base_url + "/github", per_page=2, retry=None, seconds_between_requests=0)
    remote = g.get_organization(org)
    assert remote.url == f"{server.base_url}/github/orgs/{org}" and remote.login == org
    names = [r.full_name for r in remote.get_repos()]
    assert sorted(names) == sorted(r.full_name for r in world.repos if r.owner == org) and len(names) > 2
    assert server.counts["github:org_repos"] == -(-len(names) // 2)


def test_org_listing_answers_304_uncounted(server, world):
    org = next(r.owner for r in world.repos if r.owner_is_org)
    url = f"{server.base_url}/github/orgs/{org}/repos"
    first = requests.get(url, params={"per_page": 100}, timeout=T)
    before = server.counts["github"]
    again = requests.get(url, params={"per_page": 100}, headers={"If-None-Match": first.headers["ETag"]}, timeout=T)
    assert again.status_code == 304 and server.counts["github"] == before
    assert server.counts["github:not_modified"] == 1


def test_github_budget_refills_at_reset_and_on_reset_counts(server, world):
    url = f"{server.base_url}/github/users/{world.users[0].login}"
    for _ in range(3):
        requests.get(url, timeout=T)
    assert requests.get(url, timeout=T).headers["X-RateLimit-Used"] == "4"
    server.rate_reset_epoch = 0  # the window is over: GitHub refills the budget
    fresh = requests.get(url, timeout=T).headers
    assert fresh["X-RateLimit-Used"] == "1" and int(fresh["X-RateLimit-Reset"]) > 0
    server.reset_counts()
    doc = requests.get(f"{server.base_url}/github/rate_limit", timeout=T).json()
    assert doc["rate"]["used"] == 0 and doc["rate"]["remaining"] == doc["rate"]["limit"]


def test_server_sockets_have_tcp_nodelay(server, monkeypatch):
    """Headers and body go out in two writes: with Nagle on, a kept-alive
    connection would stall on the client's delayed ACK for every request."""
    import socket

    from sampleworld.server import _Handler

    seen = []
    original = _Handler.setup

    def setup(handler):
        original(handler)
        seen.append(handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    monkeypatch.setattr(_Handler, "setup", setup)
    with requests.Session() as session:
        for _ in range(2):
            assert session.get(f"{server.base_url}/github/rate_limit", timeout=T).status_code == 200
    assert seen and all(seen)


# --- conferences ------------------------------------------------------------------------------
def _follow(url, params=None):
    items, seen = [], 0
    while url and seen < 50:
        page = requests.get(url, params=params, timeout=T).json()
        items += page["results"]
        url, params, seen = page["next"], None, seen + 1
    return items


def test_pretalx_pages_follow_next_in_both_styles(server, world):
    conf = world.conference("mlops_summit_2026")
    expected = {key for _, source, key in truth_identities(world, night=1) if source == conf.source}
    url = f"{server.base_url}/pretalx/api/events/{conf.slug}/speakers/"
    by_limit = _follow(url, {"limit": 4})
    assert {s["code"] for s in by_limit} == expected and len(by_limit) == len(expected)
    assert {s["code"] for s in _follow(url)} == expected
    talks = _follow(f"{server.base_url}/pretalx/api/events/{conf.slug}/talks/", {"limit": 3})
    assert {t["code"] for t in talks} == {t.key for t in conf.talks if t.night == 1}
    assert all(set(t["speakers"][0]) >= {"code", "name"} and t["state"] == "confirmed" for t in talks)


def test_pretalx_objects_have_the_real_keys(server, world, real_data):
    real_speaker = json.loads((real_data / "conferences" / "juliacon2023_pretalx_speakers.json").read_text())[0]
    real_talk = json.loads((real_data / "conferences" / "juliacon2023_pretalx_talks.json").read_text())[0]
    base = f"{server.base_url}/pretalx/api/events/mlops-summit-2026"
    speaker = requests.get(base + "/speakers/", timeout=T).json()["results"][0]
    talk = requests.get(base + "/talks/", timeout=T).json()["results"][0]
    assert set(real_speaker) <= set(speaker) and set(real_talk) <= set(talk)


def test_sessionize_view_all_has_the_real_keys(server, world, real_data):
    real = json.loads((real_data / "conferences" / "sessionize_dddmelbourne2024_view_all.json").read_text())
    ours = requests.get(f"{server.base_url}/sessionize/api/v2/aipd25x1/view/All", timeout=T).json()
    assert set(ours) == set(real)
    assert set(real["speakers"][0]) <= set(ours["speakers"][0])
    assert set(real["sessions"][0]) <= set(ours["sessions"][0])
    speakers = requests.get(f"{server.base_url}/sessionize/api/v2/aipd25x1/view/Speakers", timeout=T).json()
    assert {s["id"] for s in speakers} == {s["id"] for s in ours["speakers"]}


def test_html_page_and_pyvideo_archive(server, world):
    conf = world.conference("hci_ai_forum_2024")
    page = requests.get(f"{server.base_url}/html/{conf.slug}/speakers.html", timeout=T).text
    root = etree.HTML(page)
    ids = root.xpath('//div[@class="speaker"]/@id')
    assert set(ids) == {s.key for s in conf.speakers}
    assert all(root.xpath(f'//div[@id="{i}"]/h3[@class="name"]/text()') for i in ids)
    archive = requests.get(f"{server.base_url}/pyvideo/pydata-global.json", timeout=T).json()
    assert {"title", "description", "speakers", "recorded", "related_urls", "videos"} <= set(archive[0])


# --- nights -----------------------------------------------------------------------------------
def test_night_two_adds_exactly_the_documented_records(server, world):
    night1, night2 = set(truth_identities(world, night=1)), set(truth_identities(world, night=2))
    added = {(s, k) for _, s, k in night2 - night1}
    documented = world.night2
    papers = {d["key"] for d in documented if d["kind"] == "paper"}
    logins = {d["key"] for d in documented if d["kind"] == "github_user"}
    expected = {("github", login) for login in logins}
    expected |= {("arxiv", f"{p.paper_id}#{i}") for p in world.papers if p.paper_id in papers
                 for i in range(1, len(p.authors) + 1)}
    assert added == expected and len(papers) == 3 and len(logins) == 2
    assert sum(d["kind"] == "talk" for d in documented) == 1
    new_person = [d for d in documented if d["kind"] == "github_user" and d["new_person"] == "true"]
    assert len(new_person) == 1 and _person(world, new_person[0]["person_id"]).night == 2

    def served():
        feed = requests.get(server.base_url + "/arxiv/api/query", timeout=T,
                            params={"id_list": ",".join(sorted(papers))}).content
        users = {login: requests.get(f"{server.base_url}/github/users/{login}", timeout=T).status_code
                 for login in logins}
        talks = len(requests.get(f"{server.base_url}/pyvideo/pydata-global.json", timeout=T).json())
        return len(etree.fromstring(feed).findall(f"{ATOM}entry")), users, talks
    first = served()
    server.set_night(2)
    second = served()
    assert first[0] == 0 and second[0] == 3
    assert set(first[1].values()) == {404} and set(second[1].values()) == {200}
    assert second[2] == first[2] + 1


# --- faults -----------------------------------------------------------------------------------
def test_each_fault_kind_fires_as_configured(server, world):
    repo_url = f"{server.base_url}/github/repos/{world.repos[0].full_name}"
    prefix = f"/github/repos/{world.repos[0].full_name}"
    server.inject(prefix, "429", retry_after=7)
    response = requests.get(repo_url, timeout=T)
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    server.inject(prefix, "403", reset_in=30)
    response = requests.get(repo_url, timeout=T)
    assert response.status_code == 403 and response.headers["X-RateLimit-Remaining"] == "0"
    for kind in ("500", "502", "503"):
        fault = server.inject(prefix, kind, times=2)
        codes = [requests.get(repo_url, timeout=T).status_code for _ in range(3)]
        assert codes == [int(kind), int(kind), 200] and fault.fired == 2
    assert requests.get(repo_url, timeout=T).status_code == 200


def test_hang_truncated_malformed_and_next_loop(server, world):
    base = server.base_url
    server.inject("/pretalx/", "hang", seconds=2)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{base}/pretalx/api/events/mlops-summit-2026/speakers/", timeout=0.3)
    server.inject("/sessionize/", "truncated")
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(f"{base}/sessionize/api/v2/aipd25x1/view/All", timeout=T).json()
    server.inject("/pyvideo/", "malformed")
    with pytest.raises(ValueError):
        requests.get(f"{base}/pyvideo/pydata-global.json", timeout=T).json()
    url = f"{base}/pretalx/api/events/mlops-summit-2026/speakers/?limit=2"
    server.inject("/pretalx/api/events/mlops-summit-2026/speakers/", "next_loop")
    assert requests.get(url, timeout=T).json()["next"] == url
    repo = max(world.repos, key=lambda r: len(r.contributors))
    gh_url = f"{base}/github/repos/{repo.full_name}/contributors?per_page=1"
    server.inject("/github/repos/", "next_loop")
    assert f'<{gh_url}>; rel="next"' in requests.get(gh_url, timeout=T).headers["Link"]
    assert set(FAULT_KINDS) == {"429", "403", "500", "502", "503", "hang", "truncated", "malformed", "next_loop",
                                "oversized"}
    with pytest.raises(ValueError):
        server.inject("/", "explode")


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_oversized_fault_serves_a_valid_body_past_the_given_size(server, world, declared):
    url = f"{server.base_url}/github/repos/{world.repos[0].full_name}"
    normal = requests.get(url, timeout=T)
    server.inject("/github/repos/", "oversized", bytes=200_000, content_length=declared)
    big = requests.get(url, timeout=T)
    assert big.status_code == 200 and len(big.content) == 200_001
    assert big.json() == normal.json()  # padding only: just a size cap tells it apart
    assert ("Content-Length" in big.headers) is declared
    assert big.headers.get("Transfer-Encoding") == (None if declared else "chunked")
    assert requests.get(url, timeout=T).content == normal.content  # fired once


def test_oversized_fault_survives_a_client_that_stops_reading(server, world):
    url = f"{server.base_url}/github/repos/{world.repos[0].full_name}"
    server.inject("/github/repos/", "oversized", bytes=5_000_000, content_length=False)
    with requests.get(url, timeout=T, stream=True) as response:
        next(response.iter_content(1024))
    assert requests.get(url, timeout=T).status_code == 200


def test_counts_per_upstream_and_reset(server, world):
    requests.get(f"{server.base_url}/html/hci-ai-forum-2024/speakers.html", timeout=T)
    requests.get(f"{server.base_url}/github/rate_limit", timeout=T)
    counts = server.counts
    assert counts["html"] == 1 and counts["github:rate_limit"] == 1 and counts.get("github", 0) == 0
    server.reset_counts()
    assert server.counts == {}


def test_hostile_world_is_served_without_server_errors():
    hostile = generate_world(hostile=True)
    with serve(hostile, night=2) as srv:
        urls = ["/arxiv/api/query?search_query=cat:cs.LG&max_results=500",
                f"/github/repos/{hostile.repos[0].full_name}", f"/github/users/{hostile.users[0].login}",
                "/pretalx/api/events/mlops-summit-2026/speakers/?limit=500",
                "/sessionize/api/v2/aipd25x1/view/All", "/html/hci-ai-forum-2024/speakers.html",
                "/pyvideo/pydata-global.json"]
        bodies = [requests.get(srv.base_url + u, timeout=T) for u in urls]
    assert [b.status_code for b in bodies] == [200] * len(urls)
    assert "DROP TABLE" in bodies[3].text and "=HYPERLINK(" in bodies[4].text
    assert "&lt;" not in hostile.people[0].full_name and etree.HTML(bodies[5].text) is not None


# --- names at scale (worlds above SMALL_WORLD_MAX_PEOPLE draw from wide pools) --------------
from sampleworld.__main__ import main as sampleworld_main  # noqa: E402
from sampleworld.names import (  # noqa: E402
    EAST_ASIAN_FAMILY, EAST_ASIAN_GIVEN, FAMILY, GIVEN, SMALL_WORLD_MAX_PEOPLE, ascii_fold, large_pools,
)
from sampleworld.truth import iter_identities, namesake_stats  # noqa: E402

GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:-?[A-Za-z0-9])*$")


@pytest.fixture(scope="module")
def world_20k():
    return generate_world(20_000, seed=5)


def test_worlds_up_to_the_threshold_keep_the_small_name_pools():
    small = generate_world(SMALL_WORLD_MAX_PEOPLE // 10, seed=2)
    hard = {(s["given"], s["family"]) for s in __import__("sampleworld.generate").generate._hard_cases()}
    for person in small.people:
        if (person.given, person.family) not in hard:
            assert person.given in GIVEN + EAST_ASIAN_GIVEN and person.family in FAMILY + EAST_ASIAN_FAMILY


def test_write_command_streams_the_same_files_as_the_shipped_data(tmp_path):
    assert sampleworld_main(["write", str(tmp_path)]) == 0
    for path in DATA_DIR.iterdir():
        if path.is_file():
            assert filecmp.cmp(tmp_path / path.name, path, shallow=False), path.name


def test_large_world_names_are_shared_like_real_names(world_20k):
    stats = namesake_stats(world_20k)
    # the old 58x48 pools gave ~99% shared names at this size; real names: a few percent
    assert 0.001 <= stats["western_shared"] <= 0.05, stats
    assert 0.02 <= stats["east_asian_shared"] <= 0.30, stats
    assert 2 <= stats["largest_block"] <= 20, stats
    assert stats["distinct_names"] > 0.9 * stats["people"], stats
    names = {p.full_name for p in world_20k.people}
    assert len({p.given for p in world_20k.people}) > 1000 and len({p.family for p in world_20k.people}) > 5000
    assert "Wei Zhang" in names and "Jennifer Smith" in names  # the old names stay the head


def test_large_world_namesakes_do_not_share_public_handles(world_20k):
    owners: dict[tuple[str, str], str] = {}
    for person in world_20k.people:
        for kind, value in (("email", person.email), ("homepage", person.homepage), ("x", person.twitter)):
            if value:
                assert owners.setdefault((kind, value), person.person_id) == person.person_id, (kind, value)
    for conf in world_20k.conferences:
        for speaker in conf.speakers:
            for link in speaker.links:
                if link.link_type == "LinkedIn":
                    assert owners.setdefault(("linkedin", link.url), speaker.person_id) == speaker.person_id


def test_large_world_names_render_fold_and_make_valid_logins(world_20k):
    for person in world_20k.people:
        assert ascii_fold(person.full_name).isascii(), person.full_name
        assert " " not in person.given and " " not in person.family
    assert all(GITHUB_LOGIN.match(u.login) and len(u.login) <= 39 for u in world_20k.users)
    assert len({u.login.lower() for u in world_20k.users}) == len(world_20k.users)
    assert len({i.email for i in world_20k.internal}) == len(world_20k.internal)
    by_id = {p.person_id: p for p in world_20k.people}
    initials = [a for paper in world_20k.papers for a in paper.authors
                if a.name == f"{by_id[a.person_id].given[0]}. {by_id[a.person_id].family}"]
    nicknames = [u for u in world_20k.users if by_id[u.person_id].nickname and u.name
                 and u.name.startswith(by_id[u.person_id].nickname + " ")]
    assert initials and nicknames


def test_large_world_truth_covers_every_record(world_20k):
    rows = list(iter_identities(world_20k))
    keys = {(source, key) for _, source, key, _ in rows}
    assert len(keys) == len(rows)
    expected = {("arxiv", f"{p.paper_id}#{i}") for p in world_20k.papers for i in range(1, len(p.authors) + 1)}
    expected |= {("github", u.login.lower()) for u in world_20k.users}
    expected |= {("internal", i.email.lower()) for i in world_20k.internal}
    assert expected <= keys
    speakers = {(c.source, s.key) for c in world_20k.conferences for s in c.speakers}
    assert keys - expected <= speakers and len(keys - expected) >= 0.9 * len(speakers)
    assert {pid for pid, *_ in rows} == {p.person_id for p in world_20k.people}


def test_large_pools_are_deterministic_per_seed():
    import random
    draws = [[large_pools(seed).draw(random.Random(1), east_asian) for east_asian in (False, True) * 50]
             for seed in (3, 3, 4)]
    assert draws[0] == draws[1] and draws[0] != draws[2]


def test_an_earlier_nights_pages_reused_on_night_two_answer_as_a_fresh_server(world):
    """Night 2 reuses night 1's search results and unchanged programmes
    (sampleworld.server._Index): every answer must equal a server that only
    ever saw night 2, a changed programme included (pyvideo gains a talk)."""
    conference = next(c for c in world.conferences if c.format == "pretalx")
    paths = [("/arxiv/api/query", {"search_query": query, "sortBy": "submittedDate", "max_results": "500"})
             for query in ARXIV_QUERIES[:2]]
    paths += [("/pyvideo/pydata-global.json", {}),
              (f"/pretalx/api/events/{conference.slug}/speakers/", {"limit": "5", "offset": "5"})]

    def answers(srv) -> list[bytes]:  # each server's own address in its links made neutral
        return [requests.get(srv.base_url + path, params=params, timeout=T).content.replace(
                    srv.base_url.encode(), b"BASE") for path, params in paths]

    with serve(world) as both_nights, serve(world, night=2) as night_two_only:
        night_one = answers(both_nights)
        both_nights.set_night(2)
        reused = answers(both_nights)
        assert reused == answers(night_two_only)
    assert reused[2] != night_one[2] and reused[3] == night_one[3]  # the archive changed, the programme did not


def test_request_header_names_are_matched_in_any_case(server, world):
    url = f"{server.base_url}/github/repos/{world.repos[0].full_name}"
    etag = requests.get(url, timeout=T).headers["ETag"]
    assert requests.get(url, headers={"if-none-match": etag}, timeout=T).status_code == 304
    assert requests.get(url, headers={"IF-NONE-MATCH": etag}, timeout=T).status_code == 304
