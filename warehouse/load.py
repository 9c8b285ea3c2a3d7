"""Load source records into the raw tables: idempotent upserts, one transaction per page.

Why arrow batches: a page (up to 2,000 arXiv entries or 100 GitHub profiles)
is registered as one Arrow table per raw table and merged with a single
``MERGE INTO`` (keys made unique first, last wins), which keeps loading fast
and makes the page atomic: either all its rows land or none do.  ``first_seen`` is kept on
conflict; ``last_seen`` and the content columns take the new values, so
loading the same input twice leaves identical row counts and content.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

import duckdb
import pyarrow as pa

from sources.links import classify_url
from sources.records import (
    GithubContribution, GithubRepo, GithubUser, HubRepo, HubUser, InternalPerson, Link, Paper,
    Record, Speaker, Talk, VenueAuthor, VenuePaper,
)
from warehouse.connection import quote_ident

logger = logging.getLogger(__name__)

_LINK = pa.struct([("kind", pa.string()), ("url", pa.string()), ("value", pa.string())])
_LANG = pa.struct([("name", pa.string()), ("bytes", pa.int64())])
_STR_LIST = pa.list_(pa.string())


@dataclass(frozen=True)
class TableSpec:
    """How one raw table is written: its columns (with Arrow types) and natural key."""

    name: str
    columns: tuple[tuple[str, pa.DataType], ...]
    key: tuple[str, ...]

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(list(self.columns))


PAPERS = TableSpec("raw_arxiv_papers", (
    ("paper_id", pa.string()), ("version", pa.int32()), ("title", pa.string()),
    ("abstract", pa.string()), ("categories", _STR_LIST), ("primary_category", pa.string()),
    ("published", pa.timestamp("us")), ("updated", pa.timestamp("us")), ("url", pa.string()),
    ("pdf_url", pa.string()), ("comment", pa.string()), ("journal_ref", pa.string()),
    ("doi", pa.string()), ("code_urls", _STR_LIST), ("query", pa.string()),
), ("paper_id",))
AUTHORS = TableSpec("raw_arxiv_authors", (
    ("paper_id", pa.string()), ("position", pa.int32()), ("name", pa.string()),
    ("affiliation", pa.string()),
), ("paper_id", "position"))
REPOS = TableSpec("raw_github_repos", (
    ("full_name", pa.string()), ("html_url", pa.string()), ("description", pa.string()),
    ("topics", _STR_LIST), ("languages", pa.list_(_LANG)), ("stars", pa.int32()),
    ("forks", pa.int32()), ("pushed_at", pa.timestamp("us")), ("homepage", pa.string()),
), ("full_name",))
CONTRIBUTIONS = TableSpec("raw_github_contributions", (
    ("repo", pa.string()), ("login", pa.string()), ("contributions", pa.int32()),
), ("repo", "login"))
USERS = TableSpec("raw_github_users", (
    ("login", pa.string()), ("html_url", pa.string()), ("user_id", pa.int64()),
    ("name", pa.string()), ("company", pa.string()), ("blog", pa.string()),
    ("location", pa.string()), ("bio", pa.string()), ("twitter_username", pa.string()),
    ("email", pa.string()), ("followers", pa.int32()), ("public_repos", pa.int32()),
    ("created_at", pa.timestamp("us")), ("user_type", pa.string()), ("links", pa.list_(_LINK)),
), ("login",))
SPEAKERS = TableSpec("raw_conference_speakers", (
    ("source", pa.string()), ("speaker_key", pa.string()), ("name", pa.string()),
    ("event", pa.string()), ("affiliation", pa.string()), ("tagline", pa.string()),
    ("bio", pa.string()), ("links", pa.list_(_LINK)), ("talk_keys", _STR_LIST),
), ("source", "speaker_key"))
TALKS = TableSpec("raw_conference_talks", (
    ("source", pa.string()), ("talk_key", pa.string()), ("title", pa.string()),
    ("event", pa.string()), ("abstract", pa.string()), ("happened_on", pa.date32()),
    ("url", pa.string()), ("track", pa.string()), ("speaker_keys", _STR_LIST),
), ("source", "talk_key"))
INTERNAL = TableSpec("raw_internal_people", (
    ("email", pa.string()), ("name", pa.string()), ("team", pa.string()),
    ("skills", _STR_LIST), ("github_login", pa.string()),
), ("email",))


VENUE_PAPERS = TableSpec("raw_venue_papers", (
    ("source", pa.string()), ("paper_key", pa.string()), ("title", pa.string()),
    ("venue", pa.string()), ("year", pa.int32()), ("track", pa.string()), ("status", pa.string()),
    ("forum_id", pa.string()), ("code_url", pa.string()), ("url", pa.string()),
    ("abstract", pa.string()), ("keywords", _STR_LIST),
), ("source", "paper_key"))
VENUE_AUTHORS = TableSpec("raw_venue_authors", (
    ("source", pa.string()), ("paper_key", pa.string()), ("position", pa.int32()),
    ("name", pa.string()), ("affiliation", pa.string()), ("position_title", pa.string()),
    ("links", pa.list_(_LINK)),
), ("source", "paper_key", "position"))
HUB_REPOS = TableSpec("raw_hub_repos", (
    ("repo_type", pa.string()), ("repo_id", pa.string()), ("author", pa.string()),
    ("url", pa.string()), ("pipeline_tag", pa.string()), ("library", pa.string()),
    ("downloads", pa.int64()), ("likes", pa.int32()), ("created_at", pa.timestamp("us")),
    ("last_modified", pa.timestamp("us")), ("tags", _STR_LIST), ("arxiv_ids", _STR_LIST),
    ("github_urls", _STR_LIST), ("query", pa.string()),
), ("repo_type", "repo_id"))
HUB_USERS = TableSpec("raw_hub_users", (
    ("username", pa.string()), ("url", pa.string()), ("name", pa.string()),
    ("details", pa.string()), ("is_org", pa.bool_()), ("num_models", pa.int32()),
    ("num_datasets", pa.int32()), ("num_spaces", pa.int32()), ("num_followers", pa.int32()),
    ("num_papers", pa.int32()), ("orgs", _STR_LIST),
), ("username",))


def _utc_naive(value: datetime | None) -> datetime | None:
    """Store timestamps as naive UTC (the warehouse's single convention)."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def _links(links: Iterable[Link]) -> list[dict[str, Any]]:
    return [{"kind": l.kind, "url": l.url, "value": l.value} for l in links]


def _paper_rows(paper: Paper) -> dict[TableSpec, list[dict[str, Any]]]:
    row = {
        "paper_id": paper.paper_id, "version": paper.version, "title": paper.title,
        "abstract": paper.abstract, "categories": list(paper.categories),
        "primary_category": paper.primary_category, "published": _utc_naive(paper.published),
        "updated": _utc_naive(paper.updated), "url": paper.url, "pdf_url": paper.pdf_url,
        "comment": paper.comment, "journal_ref": paper.journal_ref, "doi": paper.doi,
        "code_urls": list(paper.code_urls), "query": paper.query,
    }
    authors = [{"paper_id": paper.paper_id, "position": a.position, "name": a.name,
                "affiliation": a.affiliation} for a in paper.authors]
    return {PAPERS: [row], AUTHORS: authors}


def _repo_rows(repo: GithubRepo) -> dict[TableSpec, list[dict[str, Any]]]:
    return {REPOS: [{
        "full_name": repo.full_name.lower(), "html_url": repo.html_url,
        "description": repo.description, "topics": list(repo.topics),
        "languages": [{"name": n, "bytes": b} for n, b in repo.languages],
        "stars": repo.stars, "forks": repo.forks, "pushed_at": _utc_naive(repo.pushed_at),
        "homepage": repo.homepage,
    }]}


def _contribution_rows(c: GithubContribution) -> dict[TableSpec, list[dict[str, Any]]]:
    return {CONTRIBUTIONS: [{"repo": c.repo.lower(), "login": c.login.lower(),
                             "contributions": c.contributions}]}


def _user_links(user: GithubUser) -> list[Link]:
    """Identifiers a GitHub profile publishes: blog/homepage, X handle, public email."""
    links = [classify_url(user.blog, "blog")] if user.blog else []
    if user.twitter_username:
        handle = user.twitter_username.lstrip("@").lower()
        links.append(Link("x", f"https://x.com/{handle}", handle))
    if user.email:
        links.append(Link("email", f"mailto:{user.email}", user.email.lower()))
    return [l for l in links if l is not None and l.kind != "github"]


def _user_rows(user: GithubUser) -> dict[TableSpec, list[dict[str, Any]]]:
    return {USERS: [{
        "login": user.login.lower(), "html_url": user.html_url, "user_id": user.user_id,
        "name": user.name, "company": user.company, "blog": user.blog,
        "location": user.location, "bio": user.bio, "twitter_username": user.twitter_username,
        "email": user.email, "followers": user.followers, "public_repos": user.public_repos,
        "created_at": _utc_naive(user.created_at), "user_type": user.user_type,
        "links": _links(_user_links(user)),
    }]}


def _speaker_rows(s: Speaker) -> dict[TableSpec, list[dict[str, Any]]]:
    return {SPEAKERS: [{
        "source": s.source, "speaker_key": s.speaker_key, "name": s.name, "event": s.event,
        "affiliation": s.affiliation, "tagline": s.tagline, "bio": s.bio,
        "links": _links(s.links), "talk_keys": list(s.talk_keys),
    }]}


def _talk_rows(t: Talk) -> dict[TableSpec, list[dict[str, Any]]]:
    return {TALKS: [{
        "source": t.source, "talk_key": t.talk_key, "title": t.title, "event": t.event,
        "abstract": t.abstract, "happened_on": t.happened_on, "url": t.url, "track": t.track,
        "speaker_keys": list(t.speaker_keys),
    }]}


def _internal_rows(p: InternalPerson) -> dict[TableSpec, list[dict[str, Any]]]:
    return {INTERNAL: [{
        "email": p.email.lower(), "name": p.name, "team": p.team, "skills": list(p.skills),
        "github_login": p.github_login.lower() if p.github_login else None,
    }]}


def _venue_paper_rows(p: VenuePaper) -> dict[TableSpec, list[dict[str, Any]]]:
    return {VENUE_PAPERS: [{
        "source": p.source, "paper_key": p.paper_key, "title": p.title, "venue": p.venue,
        "year": p.year, "track": p.track, "status": p.status, "forum_id": p.forum_id,
        "code_url": p.code_url, "url": p.url, "abstract": p.abstract, "keywords": list(p.keywords),
    }]}


def _venue_author_rows(a: VenueAuthor) -> dict[TableSpec, list[dict[str, Any]]]:
    return {VENUE_AUTHORS: [{
        "source": a.source, "paper_key": a.paper_key, "position": a.position, "name": a.name,
        "affiliation": a.affiliation, "position_title": a.position_title, "links": _links(a.links),
    }]}


def _hub_repo_rows(r: HubRepo) -> dict[TableSpec, list[dict[str, Any]]]:
    return {HUB_REPOS: [{
        "repo_type": r.repo_type, "repo_id": r.repo_id, "author": r.author.lower() if r.author else None,
        "url": r.url, "pipeline_tag": r.pipeline_tag, "library": r.library, "downloads": r.downloads,
        "likes": r.likes, "created_at": _utc_naive(r.created_at),
        "last_modified": _utc_naive(r.last_modified), "tags": list(r.tags),
        "arxiv_ids": list(r.arxiv_ids), "github_urls": list(r.github_urls), "query": r.query,
    }]}


def _hub_user_rows(u: HubUser) -> dict[TableSpec, list[dict[str, Any]]]:
    return {HUB_USERS: [{
        "username": u.username.lower(), "url": u.url, "name": u.name, "details": u.details,
        "is_org": u.is_org, "num_models": u.num_models, "num_datasets": u.num_datasets,
        "num_spaces": u.num_spaces, "num_followers": u.num_followers, "num_papers": u.num_papers,
        "orgs": list(u.orgs),
    }]}


_ROW_BUILDERS: dict[type, Callable[[Any], dict[TableSpec, list[dict[str, Any]]]]] = {
    Paper: _paper_rows, GithubRepo: _repo_rows, GithubContribution: _contribution_rows,
    GithubUser: _user_rows, Speaker: _speaker_rows, Talk: _talk_rows,
    InternalPerson: _internal_rows, VenuePaper: _venue_paper_rows, VenueAuthor: _venue_author_rows,
    HubRepo: _hub_repo_rows, HubUser: _hub_user_rows,
}


def rows_by_table(records: Iterable[Record]) -> dict[TableSpec, list[dict[str, Any]]]:
    """Group a page's records into rows per raw table.

    A paper met twice (two versions in one page, or two coalesced pages)
    keeps only the author list of its *last* occurrence, exactly as if the
    two had been loaded one after the other: the stale-position pruning
    then sees that version's author count, not the union of both.
    """
    grouped: dict[TableSpec, list[dict[str, Any]]] = defaultdict(list)
    latest_authors: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        builder = _ROW_BUILDERS.get(type(record))
        if builder is None:
            raise TypeError(f"no loader for record type {type(record).__name__}")
        for spec, rows in builder(record).items():
            if spec is AUTHORS:
                latest_authors[record.paper_id] = rows
            else:
                grouped[spec].extend(rows)
    authors = [row for rows in latest_authors.values() for row in rows]
    if authors:
        grouped[AUTHORS] = authors
    return grouped


def last_per_key(spec: TableSpec, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Collapse rows with the same natural key, the last one winning.

    Done in Python because it is cheaper than a window over the batch in SQL
    (a measurable part of a small page's fixed cost), and a ``MERGE`` must
    not match one target row twice.
    """
    if len(rows) < 2:
        return rows
    if len(spec.key) == 1:
        key = spec.key[0]
        latest = {row[key]: row for row in rows}
    else:
        latest = {tuple(row[k] for k in spec.key): row for row in rows}
    return rows if len(latest) == len(rows) else list(latest.values())


def merge_sql(spec: TableSpec, batch: str) -> str:
    """``MERGE INTO`` one raw table from a registered batch with unique keys.

    Matched rows take the new content (only when it differs) and
    ``last_seen``; ``first_seen`` is kept.  New rows get both stamps.  Measured cheaper per statement than
    ``INSERT .. ON CONFLICT DO UPDATE`` on DuckDB 2.0 (benchmarks/bench_load.py),
    which matters because the GitHub crawl loads many small pages.
    """
    cols = [quote_ident(c) for c, _ in spec.columns]
    keys = [quote_ident(k) for k in spec.key]
    content = [c for c in cols if c not in keys]
    match = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    updates = [f"{c} = s.{c}" for c in content] + ['"last_seen" = $now']
    return (
        f"MERGE INTO {quote_ident(spec.name)} AS t USING {quote_ident(batch)} AS s ON ({match}) "
        + (f"WHEN MATCHED AND {_differs(content)} THEN UPDATE SET {', '.join(updates)} " if content else "")
        + 'WHEN MATCHED THEN UPDATE SET "last_seen" = $now '
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(cols)}, \"first_seen\", \"last_seen\") "
        f"VALUES ({', '.join('s.' + c for c in cols)}, $now, $now)"
    )


def _differs(columns: list[str]) -> str:
    """Rewrite a row's content only when it changed: a re-read programme is
    mostly identical rows, and DuckDB rewrites text and list columns slowly
    (5,000 unchanged talks: 4.2 s rewritten, 0.4 s with this guard)."""
    return (f"({', '.join('t.' + c for c in columns)}) IS DISTINCT FROM "
            f"({', '.join('s.' + c for c in columns)})")


def _prune_stale_authors(con: duckdb.DuckDBPyConnection, batch: str) -> None:
    """A new paper version may have fewer authors: drop positions it no longer has."""
    con.execute(
        f'DELETE FROM "raw_arxiv_authors" a WHERE a."paper_id" IN (SELECT "paper_id" FROM {quote_ident(batch)}) '
        f'AND a."position" > (SELECT max(b."position") FROM {quote_ident(batch)} b WHERE b."paper_id" = a."paper_id")'
    )


def _write_table(con: duckdb.DuckDBPyConnection, spec: TableSpec, rows: list[dict[str, Any]],
                 now: datetime) -> None:
    table = pa.Table.from_pylist(last_per_key(spec, rows), schema=spec.schema)
    batch = _batch_name(spec)
    con.register(batch, table)
    if spec is AUTHORS:
        _prune_stale_authors(con, batch)
    con.execute(merge_sql(spec, batch), {"now": now})
    con.unregister(batch)  # on failure: after the rollback (an aborted transaction refuses it)


def _batch_name(spec: TableSpec) -> str:
    return f"_batch_{spec.name}"


def _drop_batches(con: duckdb.DuckDBPyConnection, specs: Iterable[TableSpec]) -> None:
    """Unregister a failed page's batches, keeping the page's own error the one raised."""
    for spec in specs:
        try:
            con.unregister(_batch_name(spec))
        except duckdb.Error:
            logger.debug("batch %s was not registered", _batch_name(spec))


# `Page.seen` kind -> the (raw table, key column) rows it confirms
_SEEN_TARGETS: dict[str, tuple[tuple[str, str], ...]] = {
    "github_repo": (("raw_github_repos", "full_name"),),
    "github_contributors": (("raw_github_contributions", "repo"),),
    # a conference source whose every page answered 304: all its rows (speakers and talks,
    # or a paper list's papers and author slots)
    "conference_source": (("raw_conference_speakers", "source"), ("raw_conference_talks", "source"),
                          ("raw_venue_papers", "source"), ("raw_venue_authors", "source")),
}
_CASE_KEPT = frozenset({"conference_source"})  # source names are stored as configured; GitHub keys lower-cased


def mark_seen(con: duckdb.DuckDBPyConnection, seen: Mapping[str, Iterable[str]], now: datetime) -> dict[str, int]:
    """Move ``last_seen`` to ``now`` for rows the upstream confirmed unchanged; rows per table.

    Why: an unchanged repository or conference programme answers 304 (or a
    repository is not asked for at all), so no record is loaded for it, yet
    it still exists upstream; retention purges on ``last_seen``, and must
    not delete data only because it did not change.  Content and
    ``first_seen`` are untouched; ``last_seen`` never moves backwards.  Runs
    on the caller's transaction (see `load_page`).
    An unknown kind is a programming error (``ValueError``).
    """
    now, counts = _utc_naive(now), {}
    for kind, keys in seen.items():
        if kind not in _SEEN_TARGETS:
            raise ValueError(f"unknown seen kind {kind!r} (one of {', '.join(_SEEN_TARGETS)})")
        keys = sorted({str(key) if kind in _CASE_KEPT else str(key).lower() for key in keys})
        if not keys:
            continue
        for table, column in _SEEN_TARGETS[kind]:
            row = con.execute(
                f'UPDATE {quote_ident(table)} SET "last_seen" = $now WHERE "last_seen" < $now '
                f'AND {quote_ident(column)} IN (SELECT unnest($keys::VARCHAR[]))', {"now": now, "keys": keys},
            ).fetchone()
            counts[table] = counts.get(table, 0) + (row[0] if row else 0)
    return counts


def load_page(con: duckdb.DuckDBPyConnection, records: list[Record],
              now: datetime | None = None, seen: Mapping[str, Iterable[str]] | None = None) -> dict[str, int]:
    """Load one page of records in a single transaction; returns rows per table.

    ``seen`` (`Page.seen`) is applied by `mark_seen` in the same
    transaction, so a page's confirmations land exactly when its records do.
    On any error the whole page is rolled back and the error re-raised, so
    what earlier pages loaded stays and nothing half-written remains.
    """
    now = _utc_naive(now or datetime.now(timezone.utc))
    grouped = rows_by_table(records)
    con.execute("BEGIN TRANSACTION")
    try:
        for spec, rows in grouped.items():
            _write_table(con, spec, rows, now)
        if seen:
            mark_seen(con, seen, now)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        _drop_batches(con, grouped)
        raise
    return {spec.name: len(rows) for spec, rows in grouped.items()}
