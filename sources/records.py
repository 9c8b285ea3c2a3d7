"""Typed records that every source yields.

Sources know APIs and wire formats and nothing of DuckDB: they turn what an
upstream returns into these plain, immutable records.  The warehouse loaders
(`warehouse/load.py`) are the only code that knows how a record becomes rows.

Conventions shared by all records
- Strings are stripped; missing values are ``None`` (never ``""``).
- Dates are ``datetime.date`` and timestamps timezone-aware UTC ``datetime``.
- Lists are tuples so records are hashable and safe to share across tasks.
- Only public, work-related fields are kept (see README "What we collect").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Union

LINK_KINDS = (
    "github", "linkedin", "x", "mastodon", "homepage", "orcid", "openreview",
    "dblp", "scholar", "huggingface", "email", "other",
)


@dataclass(frozen=True, slots=True)
class Link:
    """A public link a person published about themselves.

    ``kind`` is one of ``LINK_KINDS``; ``value`` is the normalised identifier
    for strong kinds (GitHub login lower-cased, ORCID id, OpenReview ``~id``,
    bare host+path for homepages) and ``None`` when the URL carries none
    (e.g. a GitHub *repository* URL also yields the owner login as value).
    """

    kind: str
    url: str
    value: str | None = None


# --- arXiv -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PaperAuthor:
    name: str
    position: int  # 1-based order on the paper: part of the natural key
    affiliation: str | None = None


@dataclass(frozen=True, slots=True)
class Paper:
    """One arXiv entry (latest version seen). Natural key: ``paper_id``."""

    paper_id: str  # arXiv id without version, e.g. "2401.01234" or "astro-ph/0601001"
    version: int
    title: str
    abstract: str
    authors: tuple[PaperAuthor, ...]
    categories: tuple[str, ...]
    primary_category: str | None
    published: datetime
    updated: datetime
    url: str  # abs page
    pdf_url: str | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    code_urls: tuple[str, ...] = ()  # GitHub URLs found in abstract/comment: identity hints
    query: str | None = None  # the configured query that found it


# --- GitHub ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GithubRepo:
    """A configured repository. Natural key: ``full_name`` (lower-cased)."""

    full_name: str
    html_url: str
    description: str | None = None
    topics: tuple[str, ...] = ()
    languages: tuple[tuple[str, int], ...] = ()  # (language, bytes), largest first
    stars: int | None = None
    forks: int | None = None
    pushed_at: datetime | None = None
    homepage: str | None = None


@dataclass(frozen=True, slots=True)
class GithubContribution:
    """A contributor of a repo. Natural key: ``(repo, login)``."""

    repo: str  # full_name, lower-cased
    login: str  # lower-cased
    contributions: int


@dataclass(frozen=True, slots=True)
class GithubUser:
    """A public profile. Natural key: ``login`` (lower-cased).

    ``email`` is only the address the user chose to make public on the
    profile; nothing is guessed from commits.
    """

    login: str
    html_url: str
    user_id: int | None = None
    name: str | None = None
    company: str | None = None
    blog: str | None = None
    location: str | None = None
    bio: str | None = None
    twitter_username: str | None = None
    email: str | None = None
    followers: int | None = None
    public_repos: int | None = None
    created_at: datetime | None = None
    user_type: str | None = None  # "User" / "Organization" / "Bot"


# --- conferences -----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Talk:
    """A talk/session. Natural key: ``(source, talk_key)``."""

    source: str  # the configured conference source name
    talk_key: str
    title: str
    event: str | None = None
    abstract: str | None = None
    happened_on: date | None = None
    url: str | None = None
    track: str | None = None
    speaker_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Speaker:
    """A speaker. Natural key: ``(source, speaker_key)``."""

    source: str
    speaker_key: str
    name: str
    event: str | None = None
    affiliation: str | None = None
    tagline: str | None = None  # job title or tag line
    bio: str | None = None
    links: tuple[Link, ...] = ()
    talk_keys: tuple[str, ...] = ()


# --- accepted-paper lists (conference format "papers") ----------------------
@dataclass(frozen=True, slots=True)
class VenuePaper:
    """An accepted paper on a venue's list. Natural key: ``(source, paper_key)``.

    ``paper_key`` is the OpenReview forum id when the list has one (it joins
    two renderings of the same venue), else a slug of the title.
    """

    source: str  # the configured conference source name
    paper_key: str
    title: str
    venue: str | None = None  # "COLM 2024"
    year: int | None = None
    track: str | None = None
    status: str | None = None  # Poster / Oral / Spotlight ...
    forum_id: str | None = None
    code_url: str | None = None
    url: str | None = None
    abstract: str | None = None
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VenueAuthor:
    """One author slot of a `VenuePaper`. Natural key: ``(source, paper_key, position)``."""

    source: str
    paper_key: str
    position: int  # 1-based order on the paper
    name: str
    affiliation: str | None = None
    position_title: str | None = None  # "PhD student", "Professor" as the list states it
    links: tuple[Link, ...] = ()  # homepage, OpenReview id, DBLP, Scholar, ORCID, LinkedIn, GitHub, email


# --- Hugging Face Hub --------------------------------------------------------
@dataclass(frozen=True, slots=True)
class HubRepo:
    """A model, dataset or Space on the Hub. Natural key: ``(repo_type, repo_id)``."""

    repo_type: str  # "model" | "dataset" | "space"
    repo_id: str  # "owner/name" as published
    author: str | None  # owner (user or organisation), lower-cased
    url: str
    pipeline_tag: str | None = None
    library: str | None = None  # library_name (models) / sdk (Spaces)
    downloads: int | None = None
    likes: int | None = None
    created_at: datetime | None = None
    last_modified: datetime | None = None
    tags: tuple[str, ...] = ()
    arxiv_ids: tuple[str, ...] = ()  # from "arxiv:XXXX" tags: the papers the card links
    github_urls: tuple[str, ...] = ()  # GitHub URLs in the card metadata: identity hints
    query: str | None = None  # the configured author/search that found it


@dataclass(frozen=True, slots=True)
class HubUser:
    """A public Hub profile. Natural key: ``username`` (lower-cased)."""

    username: str
    url: str
    name: str | None = None
    details: str | None = None  # the profile's free-text bio
    is_org: bool = False
    num_models: int | None = None
    num_datasets: int | None = None
    num_spaces: int | None = None
    num_followers: int | None = None
    num_papers: int | None = None
    orgs: tuple[str, ...] = ()


# --- internal mobility -----------------------------------------------------
@dataclass(frozen=True, slots=True)
class InternalPerson:
    """One of the company's own people. Natural key: ``email`` (lower-cased)."""

    email: str
    name: str
    team: str | None = None
    skills: tuple[str, ...] = ()
    github_login: str | None = None


Record = Union[Paper, GithubRepo, GithubContribution, GithubUser, Talk, Speaker, InternalPerson,
               VenuePaper, VenueAuthor, HubRepo, HubUser]


@dataclass(slots=True)
class Page:
    """What a source yields: a batch of records, loaded in one transaction.

    ``checkpoint`` is incremental state (e.g. ``{"hwm:<query>": iso-timestamp}``
    or ETags) that the flow persists only once the whole source finished, so
    a source that fails half-way is re-read next night from the old mark.

    ``seen`` names data the upstream confirmed *unchanged* this night (a 304,
    or an entry skipped because its listing shows it unchanged): kind ->
    natural keys, one of ``SEEN_KINDS``.  Such data yields no records, yet it
    still exists upstream, so the loader moves its rows' ``last_seen`` to
    tonight (in the page's transaction); without that, retention would purge
    rows only because nothing about them changed.  Keys name works (GitHub
    ``owner/name`` repositories) or whole sources (a conference programme),
    never people.
    """

    records: list[Record]
    checkpoint: dict[str, str] = field(default_factory=dict)
    seen: dict[str, tuple[str, ...]] = field(default_factory=dict)


# Kinds of `Page.seen`: "github_repo" -> the repository row; "github_contributors" -> that
# repository's contribution rows (separate, because one may be unchanged while the other changed);
# "conference_source" -> every speaker/talk (or venue paper/author) row of that source name.
SEEN_KINDS = ("github_repo", "github_contributors", "conference_source")


def merge_seen(seens: Iterable[dict[str, tuple[str, ...]]]) -> dict[str, tuple[str, ...]]:
    """The `Page.seen` of several pages as one: per kind, in page order, repeats kept once."""
    merged: dict[str, dict[str, None]] = {}
    for seen in seens:
        for kind, keys in seen.items():
            merged.setdefault(kind, {}).update(dict.fromkeys(keys))
    return {kind: tuple(keys) for kind, keys in merged.items() if keys}
