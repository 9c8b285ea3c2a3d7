"""Settings of the arXiv source, validated from the ``[sources.arxiv]`` TOML table.

Why validate here: a typo in a nightly config should fail at start-up with a
one-line message naming the key, not half-way through a run against arXiv.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sources.settings_common import (
    byte_cap, check_table, http_base_url, integer, non_negative_number, positive_number, table_path,
)

DEFAULT_BASE_URL = "https://export.arxiv.org/api/query"
MAX_PAGE_SIZE = 2000  # arXiv API's documented per-request maximum
ARXIV_MIN_DELAY_SECONDS = 3.0  # arXiv terms of use: one request every 3 s
# Response size cap.  Real feeds measure 2.1-3.6 KB per entry, so a full
# 2,000-entry page is ~5-7 MB; 64 MiB leaves room for the big-collaboration
# papers with thousands of authors and still stops a runaway body early.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_KEYS = (
    "base_url", "queries", "page_size", "max_results",
    "delay_seconds", "timeout_seconds", "num_retries", "max_bytes", "incremental_page_size",
)


@dataclass(frozen=True, slots=True)
class ArxivSettings:
    """What to ask arXiv, how fast and how patiently.

    ``max_results`` caps entries per query per run (the first run's backlog);
    ``delay_seconds`` is the pause between requests, at least 3 s against the
    real arXiv host (its terms of use), anything for local test servers;
    ``max_bytes`` caps one response body (a larger one is a `ParseError`).
    ``incremental_page_size``: the first page of a query that already has a
    high-water mark (a nightly run) asks for at most this many entries -- a
    day of cs.LG is a few hundred papers, and a 2,000-entry page is 5-7 MB
    to download and parse for the few new ones; the rest, if all of it was
    new, comes in pages of ``page_size``.
    """

    queries: tuple[str, ...]
    base_url: str = DEFAULT_BASE_URL
    page_size: int = 200
    max_results: int = 1000
    delay_seconds: float = ARXIV_MIN_DELAY_SECONDS
    timeout_seconds: float = 30.0
    num_retries: int = 3
    max_bytes: int = DEFAULT_MAX_BYTES
    incremental_page_size: int = 500

    @classmethod
    def from_dict(cls, name: str, d: dict[str, Any]) -> "ArxivSettings":
        """Build from a TOML table; raise ValueError ``"sources.<name>.<key>: ..."``.

        ``name`` is the source name (``"arxiv"``, as flows/config.py passes it)
        or the full table path (``"sources.arxiv"``); messages name the key by
        its full TOML path either way.
        """
        name = table_path(name)
        check_table(name, d, _KEYS)
        base_url = http_base_url(name, d.get("base_url", DEFAULT_BASE_URL))
        return cls(
            queries=_queries(name, d.get("queries")),
            base_url=base_url,
            page_size=integer(name, "page_size", d.get("page_size", 200), 1, MAX_PAGE_SIZE),
            max_results=integer(name, "max_results", d.get("max_results", 1000), 1),
            delay_seconds=_delay(name, d.get("delay_seconds", ARXIV_MIN_DELAY_SECONDS), base_url),
            timeout_seconds=positive_number(name, "timeout_seconds", d.get("timeout_seconds", 30.0)),
            num_retries=integer(name, "num_retries", d.get("num_retries", 3), 0, 10),
            max_bytes=byte_cap(name, d.get("max_bytes", DEFAULT_MAX_BYTES)),
            incremental_page_size=integer(name, "incremental_page_size", d.get("incremental_page_size", 500),
                                          1, MAX_PAGE_SIZE),
        )


def is_real_arxiv_host(base_url: str) -> bool:
    """True when the URL points at arXiv itself (where the 3 s rule applies)."""
    host = (urlsplit(base_url).hostname or "").lower()
    return host == "arxiv.org" or host.endswith(".arxiv.org")


def _queries(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        raise ValueError(f"{name}.queries: required (a list of arXiv search_query strings)")
    if not isinstance(value, list) or not value:
        raise ValueError(f"{name}.queries: must be a non-empty list of strings, got {value!r}")
    queries: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"{name}.queries: every query must be a non-empty string, got {item!r}")
        if item.strip() in queries:
            raise ValueError(f"{name}.queries: duplicate query {item.strip()!r}")
        queries.append(item.strip())
    return tuple(queries)


def _delay(name: str, value: Any, base_url: str) -> float:
    seconds = non_negative_number(name, "delay_seconds", value)
    if is_real_arxiv_host(base_url) and seconds < ARXIV_MIN_DELAY_SECONDS:
        raise ValueError(
            f"{name}.delay_seconds: must be at least {ARXIV_MIN_DELAY_SECONDS:g} against "
            f"{urlsplit(base_url).hostname} (arXiv allows one request every 3 s), got {value}"
        )
    return seconds
