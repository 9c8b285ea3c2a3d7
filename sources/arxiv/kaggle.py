"""Kaggle/Cornell ``arxiv-metadata-oai-snapshot`` JSON lines -> Papers.

Why: the snapshot is the bulk alternative to the rate-limited API (a first
backfill without thousands of 3-second requests).  It is read here into the
same `Paper` records the API path yields, so the warehouse cannot tell them
apart.  Dates come from ``versions`` (v1 = published, last = updated), which
is what the Atom feed reports too.
"""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Iterable, Iterator

from sources.arxiv.parse import repair_mojibake
from sources.errors import ParseError
from sources.links import github_urls_in_text
from sources.records import Paper, PaperAuthor

logger = logging.getLogger(__name__)

_FOOTNOTE_ONLY = re.compile(r"^[\d\s,;and]+$")  # "1 and 2": affiliation footnote refs, not names


def read_kaggle_snapshot(path: str | Path, query: str | None = None) -> Iterator[Paper]:
    """Stream Papers from a snapshot file (one JSON object per line)."""
    with open(path, encoding="utf-8") as handle:
        yield from papers_from_kaggle_lines(handle, query=query, origin=str(path))


def papers_from_kaggle_lines(lines: Iterable[str | bytes], query: str | None = None,
                             origin: str = "kaggle snapshot") -> Iterator[Paper]:
    """Papers from snapshot lines; a line that is not JSON (e.g. a truncated
    download) raises ParseError naming the line; a record without id, title
    or versions is logged and skipped."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ParseError(f"arXiv {origin}: line {number} is not valid JSON ({exc})") from None
        paper = kaggle_record_to_paper(record, query) if isinstance(record, dict) else None
        if paper is None:
            logger.warning("arXiv %s: line %d skipped (no usable id/title/versions)", origin, number)
            continue
        yield paper


def kaggle_record_to_paper(record: dict[str, Any], query: str | None = None) -> Paper | None:
    """One snapshot record -> Paper, or None when a required field is missing."""
    paper_id, title = _text(record.get("id")), _text(record.get("title"))
    versions = _versions(record.get("versions"))
    if not paper_id or not title or not versions:
        return None
    abstract, comment = _text(record.get("abstract")) or "", _text(record.get("comments"))
    categories = tuple(dict.fromkeys((record.get("categories") or "").split()))
    return Paper(
        paper_id=paper_id,
        version=versions[-1][0],
        title=title,
        abstract=abstract,
        authors=_authors(record.get("authors_parsed")),
        categories=categories,
        primary_category=categories[0] if categories else None,  # OAI lists the primary first
        published=versions[0][1],
        updated=versions[-1][1],
        url=f"https://arxiv.org/abs/{paper_id}",
        pdf_url=f"https://arxiv.org/pdf/{paper_id}v{versions[-1][0]}",
        comment=comment,
        journal_ref=_text(record.get("journal-ref")),
        doi=_text(record.get("doi")),
        code_urls=tuple(dict.fromkeys(github_urls_in_text(abstract) + github_urls_in_text(comment))),
        query=query,
    )


def _authors(parsed: Any) -> tuple[PaperAuthor, ...]:
    """``[[last, first, suffix, (affiliation)], ...]`` -> authors in paper order."""
    authors = []
    for position, parts in enumerate(parsed if isinstance(parsed, list) else [], start=1):
        if not isinstance(parts, list):
            continue
        last, first, suffix, *rest = [(_text(p) or "") for p in parts] + ["", "", ""]
        name = " ".join(p for p in (first, last, suffix) if p)
        if not name:
            continue
        affiliation = rest[0] if rest and rest[0] and not _FOOTNOTE_ONLY.match(rest[0]) else None
        authors.append(PaperAuthor(name=name, position=position, affiliation=affiliation))
    return tuple(authors)


def _versions(value: Any) -> list[tuple[int, datetime]]:
    """``[{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}, ...]``."""
    versions = []
    for item in value if isinstance(value, list) else []:
        try:
            number = int(str(item["version"]).lstrip("v"))
            created = parsedate_to_datetime(item["created"]).astimezone(timezone.utc)
        except (KeyError, TypeError, ValueError):
            continue
        versions.append((number, created))
    return sorted(versions)


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(repair_mojibake(value).split()) or None
