"""Hugging Face Hub wire format for the sample world (what ``huggingface_hub`` reads).

Why derived, not stored: the Hub accounts are a deterministic function of the
world (its GitHub users and arXiv authors), so the shipped world files and
their ground truth stay unchanged while the Hub source can still be run end to
end.  ``hub_accounts(world)`` picks ML people who publish on GitHub and/or
arXiv; about half use their GitHub login as Hub username (their cards link
their own repo: a strong hint), the others a different handle (their cards
link a repo: a ``hub_github`` hint) and, for arXiv authors, an ``arxiv:`` tag.
``truth_rows(world)`` gives (true_person_id, "huggingface", username) rows.

Paths served (under ``/hf``): ``/api/models``, ``/api/datasets``,
``/api/spaces`` (``author``, ``search``, ``pipeline_tag``, ``limit``,
``sort``, ``expand``; ``Link: rel="next"`` pagination with ``cursor``),
``/api/{type}s/{owner}/{name}``, ``/api/users/{u}/overview``,
``/api/organizations/{o}/overview``.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sampleworld.model import World

ORG = "sample-ai-lab"
PERSONAS = ("ml_engineer", "mlops_engineer", "researcher")
MAX_ACCOUNTS = 8
PAGE_CAP = 1000
_TASKS = ("text-classification", "text-generation", "feature-extraction", "token-classification")
_LIBRARIES = ("transformers", "sentence-transformers", "peft", "gguf")


@dataclass
class HubAccount:
    username: str
    person_id: str
    fullname: str
    details: str
    repos: list[dict] = field(default_factory=list)


def _n(text: str, mod: int) -> int:
    return zlib.crc32(text.encode()) % mod


def hub_accounts(world: World) -> list[HubAccount]:
    """Up to ``MAX_ACCOUNTS`` Hub users for ML people of the world, deterministic."""
    people = {p.person_id: p for p in world.people}
    papers_of: dict[str, list[str]] = {}
    for paper in sorted(world.papers, key=lambda p: p.paper_id):
        for author in paper.authors:
            papers_of.setdefault(author.person_id, []).append(paper.paper_id)
    repos_of: dict[str, list[str]] = {}
    for repo in sorted(world.repos, key=lambda r: r.full_name.lower()):
        for c in repo.contributors:
            repos_of.setdefault(c.person_id, []).append(repo.full_name)
    accounts = []
    for user in sorted(world.users, key=lambda u: u.login.lower()):
        person = people.get(user.person_id)
        if person is None or person.persona not in PERSONAS or user.night != 1 or not repos_of.get(user.person_id):
            continue
        accounts.append(_account(user, person, repos_of[user.person_id], papers_of.get(user.person_id, []),
                                 same_login=len(accounts) % 2 == 0))
        if len(accounts) >= MAX_ACCOUNTS:
            break
    return accounts


def _account(user, person, repos: list[str], papers: list[str], same_login: bool) -> HubAccount:
    username = user.login if same_login else f"{person.given[:1]}{person.family}-ml".lower().replace(" ", "")
    account = HubAccount(username, person.person_id, user.name or person.full_name,
                         f"{person.title} at {person.affiliation}. Models for {person.persona.replace('_', ' ')} work.")
    own = [r for r in repos if r.split("/")[0].lower() == user.login.lower()]
    if same_login:  # links their own repo, else their own profile
        repo_url = f"https://github.com/{own[0] if own else user.login}"
    else:  # links a repo they work on (theirs or an organisation's)
        repo_url = f"https://github.com/{(own or repos)[0]}"
    for index in range(1 + _n(username, 2)):
        task = _TASKS[_n(username + str(index), len(_TASKS))]
        tags = [task, _LIBRARIES[index % len(_LIBRARIES)], "en", "region:us"]
        tags += [f"arxiv:{pid}" for pid in papers[:1]]
        account.repos.append(_model(f"{username}/{task.split('-')[0]}-model-{index + 1}", username, task,
                                    _LIBRARIES[index % len(_LIBRARIES)], tags, {"repo": repo_url, "license": "apache-2.0"}))
    account.repos.append(_dataset(f"{username}/eval-set", username, {"source_code": repo_url}))
    account.repos.append(_space(f"{username}/demo", username, {"sdk": "gradio"}))
    return account


def _model(repo_id: str, author: str, task: str, library: str, tags: list[str], card: dict) -> dict:
    n = _n(repo_id, 50_000)
    return {"_type": "model", "id": repo_id, "author": author, "pipeline_tag": task, "library_name": library,
            "downloads": n, "likes": n % 97, "tags": tags, "cardData": card,
            "createdAt": "2025-03-04T10:00:00.000Z", "lastModified": f"2026-{1 + n % 9:02d}-15T08:30:00.000Z"}


def _dataset(repo_id: str, author: str, card: dict) -> dict:
    n = _n(repo_id, 5_000)
    return {"_type": "dataset", "id": repo_id, "author": author, "downloads": n, "likes": n % 31,
            "tags": ["task_categories:text-classification", "language:en"], "cardData": card,
            "createdAt": "2025-05-01T12:00:00.000Z", "lastModified": "2026-02-01T12:00:00.000Z"}


def _space(repo_id: str, author: str, card: dict) -> dict:
    return {"_type": "space", "id": repo_id, "author": author, "sdk": "gradio", "likes": _n(repo_id, 40),
            "tags": ["gradio", "region:us"], "cardData": card,
            "createdAt": "2025-06-01T09:00:00.000Z", "lastModified": "2026-03-01T09:00:00.000Z"}


def org_repos() -> list[dict]:
    """The organisation's repos: not a person, so no identity."""
    return [_model(f"{ORG}/base-encoder", ORG, "feature-extraction", "transformers",
                   ["feature-extraction", "transformers"], {"license": "mit"})]


def all_repos(world: World) -> list[dict]:
    return [r for a in hub_accounts(world) for r in a.repos] + org_repos()


def truth_rows(world: World) -> list[tuple[str, str, str]]:
    """(true_person_id, "huggingface", username lower-cased) per Hub account."""
    return [(a.person_id, "huggingface", a.username.lower()) for a in hub_accounts(world)]


def listing(repos: list[dict], repo_type: str, params: dict) -> list[dict]:
    """Filter like the Hub: ``author`` exact (case-insensitive), ``search`` substring of the id,
    ``pipeline_tag``; sorted by the ``sort`` key descending, then id."""
    out = [r for r in repos if r["_type"] == repo_type]
    if params.get("author"):
        out = [r for r in out if r["author"].lower() == params["author"].lower()]
    if params.get("search"):
        out = [r for r in out if params["search"].lower() in r["id"].lower()]
    if params.get("pipeline_tag"):
        out = [r for r in out if r.get("pipeline_tag") == params["pipeline_tag"]]
    key = {"downloads": "downloads", "likes": "likes", "lastModified": "lastModified"}.get(params.get("sort", ""))
    if key:
        out = sorted(out, key=lambda r: (-(r.get(key) or 0) if key != "lastModified" else 0, r["id"]))
    return out


def page(items: list[dict], params: dict, url_base: str, expand: list[str]) -> tuple[list[dict], str | None]:
    """One page (``limit`` capped at 1000) and the ``Link`` header for the next one."""
    limit = min(PAGE_CAP, max(1, int(params.get("limit") or PAGE_CAP)))
    cursor = max(0, int(params.get("cursor") or 0))
    chunk = [render(r, expand) for r in items[cursor:cursor + limit]]
    if cursor + limit >= len(items):
        return chunk, None
    query = {k: v for k, v in params.items() if k != "cursor"} | {"cursor": cursor + limit}
    return chunk, f'<{url_base}?{urlencode(query)}>; rel="next"'


def render(repo: dict, expand: list[str]) -> dict:
    """The JSON the Hub returns: ``id`` plus the expanded properties (all when none asked)."""
    public = {k: v for k, v in repo.items() if not k.startswith("_")}
    if not expand:
        return public
    return {"_id": f"{zlib.crc32(repo['id'].encode()):024x}", "id": repo["id"],
            **{k: public[k] for k in expand if k in public}}


def user_overview(account: HubAccount) -> dict:
    counts = {t: sum(1 for r in account.repos if r["_type"] == t) for t in ("model", "dataset", "space")}
    return {"_id": f"{zlib.crc32(account.username.encode()):024x}", "user": account.username,
            "fullname": account.fullname, "avatarUrl": "/avatars/default.svg", "details": account.details,
            "isPro": False, "numModels": counts["model"], "numDatasets": counts["dataset"],
            "numSpaces": counts["space"], "numFollowers": _n(account.username, 300), "numPapers": 0,
            "orgs": [{"name": ORG, "fullname": "Sample AI Lab", "avatarUrl": "/avatars/org.svg"}], "type": "user"}


def org_overview() -> dict:
    return {"_id": f"{zlib.crc32(ORG.encode()):024x}", "name": ORG, "fullname": "Sample AI Lab",
            "avatarUrl": "/avatars/org.svg", "numModels": 1, "numFollowers": 12, "type": "org"}
