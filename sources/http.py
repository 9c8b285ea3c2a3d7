"""Shared HTTP helper for sources that speak plain JSON/HTML over HTTP.

Why one helper: every upstream (pretalx, Sessionize, speaker pages, pyvideo
archives) needs the same defences -- an explicit timeout on every call,
bounded retries with exponential backoff that honour ``Retry-After`` on
429/5xx, a size cap counted *while* streaming (a runaway body must not fill
memory), and clear `SourceError`/`ParseError` messages naming the URL.  The
same functions accept local file paths and ``file://`` URLs so a config can
point a source at a saved export.

Links are never followed on our own: redirects are followed only while they
stay on the requested host (at most ``MAX_REDIRECTS``); anything else is an
error the caller sees.
"""
from __future__ import annotations

import email.utils
import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote, urljoin, urlsplit

import requests

from sources.errors import ParseError, RateLimited, SourceError

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # 20 MB: far above any speaker list we read
DEFAULT_USER_AGENT = "talent-signals/0.1 (+https://github.com/talent-signals; public data only)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024


class HTTPStatusError(SourceError):
    """A non-retryable HTTP status (e.g. 404); callers may react to ``status``."""

    def __init__(self, message: str, *, url: str, status: int):
        super().__init__(message)
        self.url = url
        self.status = status


class _Retryable(Exception):
    """Internal: one attempt failed in a way a later attempt may fix."""

    def __init__(self, message: str, wait: float | None = None, status: int | None = None,
                 truncated: bool = False):
        super().__init__(message)
        self.wait = wait
        self.status = status
        self.truncated = truncated


@dataclass(frozen=True)
class Fetched:
    """One answer: ``status`` (200, or 304 Not Modified to a conditional request),
    the body (empty for a 304) and the response headers (empty for local files)."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag") or None

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified") or None


def make_session(user_agent: str = DEFAULT_USER_AGENT) -> requests.Session:
    """A requests session that identifies us politely (upstreams ask for a UA).
    Without proxy variables it does not re-read the environment per request
    (`proxies_configured`); the CA bundle still applies (`ca_bundle`)."""
    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "application/json, text/html;q=0.9, */*;q=0.5"
    if not proxies_configured():
        session.trust_env = False
        session.verify = ca_bundle()
    return session


_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def proxies_configured() -> bool:
    """Whether proxy variables are set. Without them, letting `requests` read
    the environment for each request only costs time: it scans every
    variable per request (15% of a conditional request's CPU; a crawl makes
    tens of thousands).  Sessions then skip netrc too: every upstream we
    read is public."""
    return any(name.lower() in _PROXY_VARIABLES for name in os.environ)


def ca_bundle() -> str | bool:
    """The CA bundle `requests` would take from the environment
    (REQUESTS_CA_BUNDLE, then CURL_CA_BUNDLE), set as `verify` so it still
    applies when a session no longer reads the environment."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def is_http_url(value: str) -> bool:
    """True for ``http://`` and ``https://`` URLs (anything else is a local path)."""
    return urlsplit(value.strip()).scheme.lower() in ("http", "https")


def local_path(value: str) -> Path:
    """The filesystem path of a plain path or a ``file://`` URL."""
    value = value.strip()
    if value.lower().startswith("file://"):
        return Path(unquote(urlsplit(value).path))
    return Path(value).expanduser()


def fetch_response(
    url_or_path: str,
    *,
    timeout: float,
    max_bytes: int = DEFAULT_MAX_BYTES,
    session: requests.Session | None = None,
    retries: int = 3,
    backoff: float = 1.0,
    max_wait: float = 60.0,
    headers: dict[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Fetched:
    """The answer (status, body, headers) of an http(s) URL, a ``file://`` URL or a local path.

    ``headers`` may make the request conditional (``If-None-Match``,
    ``If-Modified-Since``): a 304 then comes back as ``Fetched(304, b"")``
    with the server's headers, never as an error.

    ``timeout`` applies to connecting and to every read, and bounds the whole
    download at ``10 * timeout``.  Retries (``retries`` extra attempts) happen
    on 429/500/502/503/504, timeouts and connection errors, waiting
    ``backoff * 2**attempt`` seconds or the server's ``Retry-After`` when
    given.  A ``Retry-After`` longer than ``max_wait`` is not slept through:
    `RateLimited` is raised at once.  Other 4xx raise `HTTPStatusError`.
    A body over ``max_bytes`` raises `ParseError`.
    """
    if not isinstance(url_or_path, str) or not url_or_path.strip():
        raise SourceError(f"no URL or path given (got {url_or_path!r})")
    if not is_http_url(url_or_path):
        return Fetched(200, _read_file(url_or_path, max_bytes))
    own_session = session is None
    session = session or make_session()
    try:
        return _fetch_with_retries(session, url_or_path.strip(), timeout, max_bytes,
                                   retries, backoff, max_wait, headers or {}, sleep)
    finally:
        if own_session:
            session.close()


def fetch_bytes(url_or_path: str, **kwargs: Any) -> bytes:
    """The body of an http(s) URL, a ``file://`` URL or a local path (see `fetch_response`)."""
    return fetch_response(url_or_path, **kwargs).body


def fetch_json(url_or_path: str, **kwargs: Any) -> Any:
    """`fetch_bytes` then decode JSON; invalid or truncated JSON raises `ParseError`."""
    return parse_json(fetch_bytes(url_or_path, **kwargs), url_or_path)


def parse_json(body: bytes, where: str) -> Any:
    """Decode a JSON body, naming ``where`` (URL/path) in the `ParseError`."""
    try:
        return json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ParseError(f"{where}: body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"{where}: invalid or truncated JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None


def _read_file(value: str, max_bytes: int) -> bytes:
    path = local_path(value)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ParseError(f"{path}: file of {size} bytes exceeds max_bytes={max_bytes}")
        return path.read_bytes()
    except ParseError:
        raise
    except FileNotFoundError:
        raise SourceError(f"{path}: file not found") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _fetch_with_retries(session, url, timeout, max_bytes, retries, backoff, max_wait, headers, sleep) -> Fetched:
    attempt = 0
    while True:
        try:
            return _fetch_once(session, url, timeout, max_bytes, headers)
        except _Retryable as failure:
            if attempt >= retries:
                raise _give_up(url, failure, attempt + 1) from None
            wait = failure.wait if failure.wait is not None else backoff * (2 ** attempt)
            if wait > max_wait:
                raise RateLimited(
                    f"{url}: server asks to wait {wait:g} s (HTTP {failure.status}), "
                    f"more than max_wait={max_wait:g} s"
                ) from None
            logger.warning("GET %s failed (%s); retry %d/%d in %.1f s", url, failure, attempt + 1, retries, wait)
            sleep(max(wait, 0.0))
            attempt += 1


def _give_up(url: str, failure: _Retryable, attempts: int) -> SourceError:
    message = f"{url}: {failure} (gave up after {attempts} attempt{'s' if attempts > 1 else ''})"
    if failure.truncated:
        return ParseError(message)
    if failure.status == 429:
        return RateLimited(message)
    return SourceError(message)


def _fetch_once(session, url: str, timeout: float, max_bytes: int, headers: dict) -> Fetched:
    deadline = time.monotonic() + 10 * timeout
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        response = _get(session, current, timeout, headers)
        with response:
            if response.is_redirect:
                current = _redirect_target(url, current, response)
                continue
            _check_status(current, response)
            body = _read_body(current, response, max_bytes, deadline, timeout)
            return Fetched(response.status_code, body, {k.lower(): v for k, v in response.headers.items()})
    raise SourceError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _get(session, url: str, timeout: float, headers: dict) -> requests.Response:
    try:
        return session.get(url, timeout=timeout, stream=True, allow_redirects=False, headers=headers)
    except requests.exceptions.Timeout:
        raise _Retryable(f"no answer within {timeout:g} s") from None
    except requests.exceptions.ConnectionError as exc:
        raise _Retryable(f"connection failed ({_short(exc)})") from None
    except requests.exceptions.RequestException as exc:
        raise SourceError(f"{url}: request failed ({_short(exc)})") from None


def _redirect_target(original: str, current: str, response: requests.Response) -> str:
    """Follow a redirect only on the host the caller asked for."""
    target = urljoin(current, response.headers.get("Location", ""))
    if (urlsplit(target).hostname, urlsplit(target).port) != (urlsplit(original).hostname, urlsplit(original).port):
        raise SourceError(f"{original}: refusing redirect to another host ({target})")
    return target


def _check_status(url: str, response: requests.Response) -> None:
    status = response.status_code
    if status in RETRY_STATUSES:
        raise _Retryable(f"HTTP {status}", retry_after(response.headers.get("Retry-After")), status)
    if status >= 400:
        raise HTTPStatusError(f"{url}: HTTP {status} {response.reason or ''}".rstrip(), url=url, status=status)


def _read_body(url: str, response: requests.Response, max_bytes: int, deadline: float, timeout: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ParseError(f"{url}: body of {declared} bytes exceeds max_bytes={max_bytes}")
    chunks, total = [], 0
    try:
        for chunk in response.iter_content(_CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise ParseError(f"{url}: body exceeds max_bytes={max_bytes} (stopped reading)")
            if time.monotonic() > deadline:
                raise _Retryable(f"download slower than {10 * timeout:g} s in total")
            chunks.append(chunk)
    except requests.exceptions.ChunkedEncodingError as exc:
        raise _Retryable(f"body truncated ({_short(exc)})", truncated=True) from None
    except requests.exceptions.ConnectionError as exc:
        raise _Retryable(f"connection lost while reading ({_short(exc)})") from None
    return b"".join(chunks)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or HTTP date)."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "..."
