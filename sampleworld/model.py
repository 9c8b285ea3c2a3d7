"""The sample world as plain, JSON-serialisable dataclasses.

Every record carries ``night`` (1 or 2): the server serves only records with
``night <= current night``, so an incremental second run sees exactly the
night-2 additions listed in ``World.night2``.  ``person_id`` fields are the
ground truth and are never rendered on the wire.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REFERENCE_DATE = "2026-11-01"  # "today" of the world: keeps every output deterministic


@dataclass(slots=True)
class Person:
    person_id: str
    persona: str  # ml_engineer, mlops_engineer, ai_product_manager, ai_ux_designer, researcher, web_developer, physicist
    given: str
    family: str
    middle: str | None
    nickname: str | None
    affiliation: str
    title: str
    location: str
    strength: int  # 0..3: how strong the evidence generated for the persona's role is
    email: str | None = None
    homepage: str | None = None
    github_login: str | None = None
    twitter: str | None = None
    flags: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # source -> name as written there
    night: int = 1

    @property
    def full_name(self) -> str:
        return f"{self.given} {self.family}"


@dataclass(slots=True)
class Author:
    name: str
    person_id: str
    affiliation: str | None = None


@dataclass(slots=True)
class Paper:
    paper_id: str
    version: int
    title: str
    abstract: str
    authors: list[Author]
    categories: list[str]
    primary_category: str
    published: str  # ISO 8601 UTC, "2025-03-04T17:59:37Z"
    updated: str
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    night: int = 1


@dataclass(slots=True)
class Contribution:
    login: str
    person_id: str
    contributions: int
    night: int = 1


@dataclass(slots=True)
class Repo:
    repo_id: int
    owner: str
    name: str
    owner_is_org: bool
    kind: str
    description: str | None
    topics: list[str]
    languages: dict[str, int]
    stars: int
    forks: int
    created_at: str
    pushed_at: str
    homepage: str | None = None
    archived: bool = False
    fork: bool = False
    contributors: list[Contribution] = field(default_factory=list)
    night: int = 1

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(slots=True)
class GithubUser:
    login: str
    user_id: int
    person_id: str
    name: str | None
    company: str | None
    blog: str | None
    location: str | None
    email: str | None
    bio: str | None
    twitter_username: str | None
    followers: int
    public_repos: int
    created_at: str
    night: int = 1


@dataclass(slots=True)
class SpeakerLink:
    title: str
    url: str
    link_type: str  # Sessionize linkType: Twitter, LinkedIn, Blog, Company_Website, Other


@dataclass(slots=True)
class Speaker:
    key: str  # pretalx code / Sessionize uuid / html anchor id / pyvideo name slug
    person_id: str
    name: str
    first_name: str
    last_name: str
    tagline: str | None
    affiliation: str | None
    bio: str | None
    links: list[SpeakerLink] = field(default_factory=list)
    night: int = 1


@dataclass(slots=True)
class Talk:
    key: str
    title: str
    abstract: str
    track: str
    starts_at: str  # ISO with offset, "2026-06-10T10:30:00+02:00"
    duration_min: int
    speaker_keys: list[str]
    night: int = 1


@dataclass(slots=True)
class Conference:
    source: str  # configured source name, e.g. "mlops_summit_2026"
    format: str  # pretalx | sessionize | html | pyvideo
    slug: str  # pretalx event / Sessionize id / html conf dir / pyvideo archive name
    title: str
    start_date: str
    speakers: list[Speaker] = field(default_factory=list)
    talks: list[Talk] = field(default_factory=list)


@dataclass(slots=True)
class InternalPerson:
    email: str
    name: str
    team: str
    skills: list[str]
    github_login: str | None
    person_id: str
    night: int = 1


@dataclass(slots=True)
class World:
    seed: int
    n_people: int
    reference_date: str
    hostile: bool
    people: list[Person]
    papers: list[Paper]
    repos: list[Repo]
    users: list[GithubUser]
    conferences: list[Conference]
    internal: list[InternalPerson]
    night2: list[dict[str, str]] = field(default_factory=list)  # documented night-2 additions

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1, sort_keys=True)

    def conference(self, source: str) -> Conference:
        for conf in self.conferences:
            if conf.source == source:
                return conf
        raise KeyError(source)


def world_from_dict(d: dict[str, Any]) -> World:
    """Inverse of ``World.to_dict`` (for ``world.json`` written by ``python -m sampleworld write``)."""
    def conf(c: dict) -> Conference:
        return Conference(**{**c, "speakers": [Speaker(**{**s, "links": [SpeakerLink(**l) for l in s["links"]]})
                                              for s in c["speakers"]],
                             "talks": [Talk(**t) for t in c["talks"]]})
    return World(
        seed=d["seed"], n_people=d["n_people"], reference_date=d["reference_date"], hostile=d["hostile"],
        people=[Person(**p) for p in d["people"]],
        papers=[Paper(**{**p, "authors": [Author(**a) for a in p["authors"]]}) for p in d["papers"]],
        repos=[Repo(**{**r, "contributors": [Contribution(**c) for c in r["contributors"]]}) for r in d["repos"]],
        users=[GithubUser(**u) for u in d["users"]],
        conferences=[conf(c) for c in d["conferences"]],
        internal=[InternalPerson(**i) for i in d["internal"]],
        night2=list(d.get("night2", [])),
    )


def load_world(path: str | Path) -> World:
    return world_from_dict(json.loads(Path(path).read_text("utf-8")))
