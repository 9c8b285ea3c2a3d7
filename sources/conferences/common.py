"""Helpers shared by the conference adapters: text cleaning, slugs, links, dates.

Why here: every format spells the same facts differently (localized dicts in
pretalx, ``linkType`` in Sessionize, bare handles in EuroPython exports); the
records must come out the same way so the warehouse can join them.
"""
from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections import Counter
from datetime import date, datetime
from typing import Any, Iterable, Iterator

from sources.links import classify_url, github_repo_from_url, urls_in_text
from sources.records import Link

logger = logging.getLogger(__name__)

PAGE_SIZE = 500  # records per yielded Page: one warehouse transaction each
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d", "Đ": "D"})
_BIO_SKIP_KINDS = ("other", "email")


def text(value: Any) -> str | None:
    """Stripped string or None (never ``""``); localized dicts pick English."""
    if isinstance(value, dict):
        value = localized(value)
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    value = str(value).strip()
    return value or None


def localized(value: dict) -> Any:
    """pretalx writes translatable fields as ``{"en": "...", "de": "..."}``."""
    if not value:
        return None
    for lang in ("en", "en-us", "en-gb"):
        if value.get(lang):
            return value[lang]
    return next((v for v in value.values() if v), None)


@functools.lru_cache(maxsize=65536)
def slugify(value: str) -> str:
    """``'Jakub Beránek'`` -> ``'jakub-beranek'``: accent-folded, lower, hyphens.

    The same folding as the sample world's slugs, so keys agree with its
    ground truth.  Cached, with an ASCII fast path: an archive re-read names
    the same speakers again and again (pyvideo at 100k people: 26k talks,
    slugify was half of the parse time).
    """
    if value.isascii():
        folded = value
    else:
        decomposed = unicodedata.normalize("NFKD", value.translate(_FOLD))
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_SLUG.sub("-", folded.lower()).strip("-")


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def parse_day(value: Any) -> date | None:
    """The calendar day of an ISO date/timestamp as written (local to the event)."""
    value = text(value)
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            logger.debug("unparseable date %r", value)
            return None


def link(url: Any, hint: str | None = None) -> Link | None:
    """A typed `Link` for a URL-ish value; None for empty or non-URL input."""
    value = text(url)
    return classify_url(value, hint) if value else None


def handle_link(value: Any, base: str, hint: str) -> Link | None:
    """A bare social handle (``psobot``, ``@psobot``) or a URL -> `Link`."""
    value = text(value)
    if not value:
        return None
    if "://" in value or "." in value.split("/")[0]:
        return link(value, hint)
    return link(f"{base}{value.lstrip('@')}", hint)


def bio_links(bio: str | None) -> list[Link]:
    """Profile links a speaker wrote into their bio ("GitHub: https://github.com/x").

    pretalx has no link fields, so bios are where speakers put them.  A
    GitHub *repository* URL in a bio keeps its URL but no login: "I work on
    https://github.com/IBM/AutoMLPipeline.jl" names an organisation's
    project, not the speaker's account.
    """
    out: list[Link] = []
    for url in urls_in_text(bio):
        found = classify_url(url)
        if found is None or found.kind in _BIO_SKIP_KINDS:
            continue
        if found.kind == "github" and github_repo_from_url(url):
            found = Link("github", found.url, None)
        out.append(found)
    return out


def unique_links(links: Iterable[Link | None]) -> tuple[Link, ...]:
    """Drop Nones and duplicates (same kind and value/url), keep order."""
    seen, out = set(), []
    for item in links:
        if item is None:
            continue
        key = (item.kind, item.value or item.url)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return tuple(out)


def unique(values: Iterable[Any]) -> tuple[str, ...]:
    """Stripped, non-empty strings, de-duplicated, order kept."""
    out: dict[str, None] = {}   # insertion-ordered; a list's `in` made long speaker lists quadratic
    for value in values:
        value = text(value)
        if value:
            out.setdefault(value)
    return tuple(out)


def first_of_each(source: str, records: Iterable[Any], seen: set | None = None) -> list:
    """Drop Nones and repeated natural keys (exports repeat speakers of several
    talks).  One INFO line per call counts the repeats (DEBUG names each): a
    large programme repeats thousands, each an operator's log line."""
    seen = set() if seen is None else seen
    out, repeats = [], Counter()
    for record in records:
        if record is None:
            continue
        key = (type(record).__name__, getattr(record, "speaker_key", None) or getattr(record, "talk_key", None))
        if key in seen:
            repeats[key[0]] += 1
            logger.debug("%s: repeated %s %r skipped", source, *key)
            continue
        seen.add(key)
        out.append(record)
    if repeats:
        logger.info("%s: repeated records skipped (the first of each is kept): %s", source,
                    ", ".join(f"{n} {kind}" for kind, n in sorted(repeats.items())))
    return out


def chunks(items: list, size: int = PAGE_SIZE) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def as_list(value: Any) -> list:
    """A JSON array field, or ``[]`` for anything else (a string must not be iterated)."""
    return value if isinstance(value, list) else []


def skip_nameless(source: str, kind: str, key: Any) -> None:
    """A record nobody can be identified by is logged and left out, not an error."""
    logger.warning("%s: skipped a %s without a name (key %r)", source, kind, key)


def skip_incomplete(source: str, kind: str, name: str | None, key: str | None) -> None:
    if not name:
        skip_nameless(source, kind, key)
    else:
        logger.warning("%s: skipped %s %r without a key", source, kind, name)
