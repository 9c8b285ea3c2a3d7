"""arXiv source: papers matching configured search queries, newest first.

Entry point `pull(settings, state)`.  Incremental by high-water mark: for each
query the state key ``hwm:<query>`` holds the newest ``published`` timestamp
already loaded; results come sorted by submission date, newest first, so
paging stops at the first entry that is not newer.  A night without new
papers therefore costs one request per query (arXiv allows one every 3 s).
"""
from __future__ import annotations

import itertools
import logging
from datetime import datetime
from typing import Callable, Iterator

import arxiv
import requests

from sources.arxiv.client import RetryableTimeout, RetryableTruncated, build_client, request_count
from sources.arxiv.parse import result_to_paper
from sources.arxiv.settings import ArxivSettings
from sources.errors import ParseError, RateLimited, SourceError
from sources.records import Page

__all__ = ["ArxivSettings", "pull", "hwm_key"]

logger = logging.getLogger(__name__)


def hwm_key(query: str) -> str:
    """State/checkpoint key of a query's high-water mark."""
    return f"hwm:{query}"


def pull(settings: ArxivSettings, state: dict[str, str], *,
         before_request: Callable[[], None] | None = None) -> Iterator[Page]:
    """Yield one Page per fetched result page of every configured query.

    Each Page's checkpoint carries the query's newest ``published`` seen (ISO
    8601, UTC); a query with nothing new still yields one empty Page carrying
    its unchanged mark, so the mark survives a quiet night.
    """
    client = build_client(settings, before_request)
    for query in settings.queries:
        mark = _parse_mark(query, state.get(hwm_key(query)))
        yield from _pull_query(client, query, mark, settings.max_results, settings.incremental_page_size)
    logger.info("arXiv: %d queries done, %d HTTP requests", len(settings.queries), request_count(client))


def _pull_query(client: arxiv.Client, query: str, mark: datetime | None, max_results: int,
                first_page_size: int) -> Iterator[Page]:
    """Pages of one query, newest first, down to ``mark``.  With a mark the
    first page asks for ``first_page_size`` entries (settings: a night's new
    papers are few); later pages for the client's page size."""
    search = arxiv.Search(
        query=query,
        max_results=max_results,
        sort_by=arxiv.SortCriterion.SubmittedDate,
        sort_order=arxiv.SortOrder.Descending,
    )
    full_size = client.page_size
    size = min(first_page_size, full_size) if mark is not None else full_size
    client.page_size = size   # the client reads it at each page it fetches
    try:
        yield from _query_pages(client, client.results(search), query, mark, size, full_size)
    finally:
        client.page_size = full_size


def _query_pages(client: arxiv.Client, results: Iterator[arxiv.Result], query: str, mark: datetime | None,
                 size: int, full_size: int) -> Iterator[Page]:
    newest, loaded, page_number = mark, 0, 0
    while True:
        batch = _next_batch(results, size, query)
        if not batch and page_number > 0:
            return  # the previous page was exactly the last one
        fresh = list(itertools.takewhile(lambda r: mark is None or r.published > mark, batch))
        page_number += 1
        papers = [p for p in (result_to_paper(r, query) for r in fresh) if p is not None]
        newest = max([r.published for r in fresh] + ([newest] if newest else []), default=None)
        loaded += len(papers)
        logger.info("arXiv %r: page %d, %d new entries (%d so far)", query, page_number, len(papers), loaded)
        if papers or page_number == 1:
            yield Page(records=list(papers), checkpoint=_checkpoint(query, newest))
        if len(fresh) < len(batch) or len(batch) < size:
            return  # reached the mark, or the stream ended
        size = client.page_size = full_size


def _next_batch(results: Iterator[arxiv.Result], size: int, query: str) -> list[arxiv.Result]:
    """Take up to ``size`` results without touching the next page (the client
    fetches lazily), translating the client's failures into source errors."""
    try:
        return list(itertools.islice(results, size))
    except arxiv.HTTPError as exc:
        error = RateLimited if exc.status == 429 else SourceError
        raise error(f"arXiv query {query!r}: HTTP {exc.status} after {exc.retry + 1} tries ({exc.url})") from None
    except arxiv.UnexpectedEmptyPageError as exc:
        raise SourceError(f"arXiv query {query!r}: page unexpectedly empty after retries ({exc.url})") from None
    except RetryableTimeout as exc:
        raise SourceError(f"arXiv query {query!r}: timed out ({exc})") from None
    except RetryableTruncated as exc:
        raise ParseError(f"arXiv query {query!r}: {exc}, after retries") from None
    except ParseError as exc:
        raise ParseError(f"arXiv query {query!r}: {exc}") from None
    except SourceError as exc:
        raise SourceError(f"arXiv query {query!r}: {exc}") from None
    except requests.RequestException as exc:
        raise SourceError(f"arXiv query {query!r}: {type(exc).__name__}: {exc}") from None


def _checkpoint(query: str, newest: datetime | None) -> dict[str, str]:
    return {hwm_key(query): newest.isoformat()} if newest is not None else {}


def _parse_mark(query: str, value: str | None) -> datetime | None:
    """Stored mark -> aware datetime; a corrupt mark is an error, not a silent full reload."""
    if not value:
        return None
    try:
        mark = datetime.fromisoformat(value)
    except ValueError:
        raise SourceError(f"arXiv query {query!r}: stored state {hwm_key(query)!r} is not an ISO timestamp: {value!r}") from None
    if mark.tzinfo is None:
        raise SourceError(f"arXiv query {query!r}: stored state {hwm_key(query)!r} has no time zone: {value!r}")
    return mark
