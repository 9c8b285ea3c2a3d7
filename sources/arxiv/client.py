"""An `arxiv.Client` pointed at a configurable base URL, with an HTTP timeout.

Why not the stock client: arxiv 4.0.2 calls ``requests`` without a timeout (a
hung server hangs the nightly run forever), swallows arXiv's error-feed
message behind "HTTP 400", retries 4xx answers that cannot succeed, and
cannot tell how many pages it fetched, and reads any body whole into memory
(``response.content``) however large.  We keep its paging, delay and retry
logic and replace only its ``requests`` session, whose adapter reads every
body in chunks up to ``max_bytes``.  A body over the cap is a `ParseError`,
which arxiv.Client does not retry (it retries only HTTP status errors, empty
pages and ConnectionError): the same oversized page would come back again.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

import arxiv
import requests
from requests.adapters import HTTPAdapter

from sources.arxiv.parse import check_feed
from sources.arxiv.settings import DEFAULT_MAX_BYTES, ArxivSettings
from sources.errors import ParseError, SourceError

logger = logging.getLogger(__name__)

MAX_RETRY_AFTER_SECONDS = 30.0  # longest Retry-After we honour before the client's own retry
_RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_CHUNK = 64 * 1024


class RetryableTimeout(requests.exceptions.ConnectionError):
    """A read timeout, re-raised as the ConnectionError arxiv.Client retries."""


class RetryableTruncated(requests.exceptions.ConnectionError):
    """A body cut off before its Content-Length, re-raised as the ConnectionError arxiv.Client retries."""


class CappedAdapter(HTTPAdapter):
    """Streams every response (redirect hops included) and reads its body in
    chunks, refusing a declared Content-Length over ``max_bytes`` before
    reading and stopping as soon as a body without one grows past it.

    Why in the adapter: `requests` reads the body of a redirect hop itself,
    whole; the adapter sees every hop before that.  Bytes are counted after
    content decoding, so a small gzip body cannot inflate past the cap.
    """

    def __init__(self, max_bytes: int):
        super().__init__()
        self.max_bytes = max_bytes

    def send(self, request, stream=False, **kwargs):  # noqa: D401 - requests signature
        response = super().send(request, stream=True, **kwargs)
        try:
            response._content = read_capped(response, self.max_bytes)
        finally:
            response.close()  # after a full read: back to the pool; else the socket is dropped
        response._content_consumed = True
        return response


def read_capped(response: requests.Response, max_bytes: int) -> bytes:
    """The (decoded) body of a streamed response; `ParseError` naming
    ``max_bytes`` once it is, or declares to be, larger."""
    declared = (response.headers.get("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise ParseError(f"{response.url}: declared body of {declared} bytes exceeds max_bytes={max_bytes}")
    chunks, total = [], 0
    for chunk in response.iter_content(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise ParseError(f"{response.url}: body exceeds max_bytes={max_bytes} (stopped reading)")
        chunks.append(chunk)
    return b"".join(chunks)


class ArxivSession(requests.Session):
    """requests session that puts ``timeout=`` on every call, counts requests,
    caps and checks bodies strictly and fails fast on answers a retry cannot fix."""

    def __init__(self, timeout_seconds: float, before_request: Callable[[], None] | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES):
        super().__init__()
        self.timeout_seconds = timeout_seconds
        self.request_count = 0  # HTTP requests made: "pages fetched" for benchmarks
        self.before_request = before_request  # e.g. a rate limit shared across processes
        self.max_bytes = max_bytes
        for prefix in ("http://", "https://"):
            self.mount(prefix, CappedAdapter(max_bytes))

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
    client._session = ArxivSession(settings.timeout_seconds, before_request, settings.max_bytes)
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
