"""An `arxiv.Client` pointed at a configurable base URL, with an HTTP timeout.

Why not the stock client: arxiv 4.0.2 calls ``requests`` without a timeout (a
hung server hangs the nightly run forever), swallows arXiv's error-feed
message behind "HTTP 400", retries 4xx answers that cannot succeed, and
cannot tell how many pages it fetched.  We keep its paging, delay and retry
logic and replace only its ``requests`` session.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

import arxiv
import requests

from sources.arxiv.parse import check_feed
from sources.arxiv.settings import ArxivSettings
from sources.errors import ParseError, SourceError

logger = logging.getLogger(__name__)

MAX_RETRY_AFTER_SECONDS = 30.0  # longest Retry-After we honour before the client's own retry
_RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class RetryableTimeout(requests.exceptions.ConnectionError):
    """A read timeout, re-raised as the ConnectionError arxiv.Client retries."""


class RetryableTruncated(requests.exceptions.ConnectionError):
    """A body cut off before its Content-Length, re-raised as the ConnectionError arxiv.Client retries."""


class ArxivSession(requests.Session):
    """requests session that puts ``timeout=`` on every call, counts requests,
    checks bodies strictly and fails fast on answers a retry cannot fix."""

    def __init__(self, timeout_seconds: float, before_request: Callable[[], None] | None = None):
        super().__init__()
        self.timeout_seconds = timeout_seconds
        self.request_count = 0  # HTTP requests made: "pages fetched" for benchmarks
        self.before_request = before_request  # e.g. a rate limit shared across processes

    def request(self, method, url, *args, **kwargs):  # noqa: D401 - requests signature
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout_seconds
        if self.before_request is not None:
            self.before_request()
        self.request_count += 1
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.exceptions.ReadTimeout as exc:
            raise RetryableTimeout(f"no answer within {self.timeout_seconds:g} s") from exc
        except requests.exceptions.ChunkedEncodingError as exc:
            raise RetryableTruncated("body truncated (connection closed before Content-Length)") from exc
        _check_response(response, url)
        return response


def build_client(settings: ArxivSettings, before_request: Callable[[], None] | None = None) -> arxiv.Client:
    """The arxiv client for ``settings``, its session an `ArxivSession`
    (read ``client._session.request_count`` or use `request_count`).

    ``before_request`` is called before every HTTP request: the orchestrator
    passes a rate limit shared by every task and process (arXiv asks for one
    request every 3 s from a client, not per task); the client's own delay is
    then left to that gate instead of being added on top.
    """
    page_size = min(settings.page_size, settings.max_results)  # never fetch more than kept
    client = arxiv.Client(
        page_size=page_size,
        delay_seconds=0.0 if before_request else settings.delay_seconds,
        num_retries=settings.num_retries,
    )
    client.query_url_format = settings.base_url + "?{}"
    client._session = ArxivSession(settings.timeout_seconds, before_request)
    return client


def request_count(client: arxiv.Client) -> int:
    """Number of HTTP requests the client made so far (retries included)."""
    session = getattr(client, "_session", None)
    return session.request_count if isinstance(session, ArxivSession) else 0


def _check_response(response: requests.Response, url: str) -> None:
    """Raise for bodies no retry will fix; leave retryable statuses to the client."""
    status = response.status_code
    if status == 200:
        check_feed(response.content)
        return
    if status in _RETRYABLE_STATUS:
        _sleep_retry_after(response)
        return
    try:
        check_feed(response.content)  # arXiv explains a 400 in an error feed
    except ParseError as exc:
        if "arXiv API error" in str(exc):
            raise
    raise SourceError(f"arXiv: HTTP {status} for {url} (not retried)")


def _sleep_retry_after(response: requests.Response) -> None:
    """Honour a numeric Retry-After (capped) before arxiv.Client retries."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value.isdigit():
        return
    seconds = min(float(value), MAX_RETRY_AFTER_SECONDS)
    logger.info("arXiv: HTTP %d with Retry-After %s s; waiting %.0f s", response.status_code, value, seconds)
    time.sleep(seconds)
