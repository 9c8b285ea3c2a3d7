"""Conditional GETs on a lean connection pool: the quiet night's thousands of 304s.

Why: a night with no upstream change still asks every repository configured
by name whether it changed (``If-None-Match``; a 304 is free, but it is one
round trip each: 4,893 of them at 100k people).  Through PyGithub's Requester
each costs ≈ 1.6 ms of our CPU (requests' session machinery: settings
merging, hooks, cookie jars, runtime protocol checks, a CA-bundle ``stat``),
the night's largest cost after the round trips themselves.  The same request
sent straight on urllib3 (which requests uses underneath) costs ≈ 0.5 ms.

`ConditionalProbe.get` sends one conditional GET with the client's own
identity (token, User-Agent, API version) and pacing, and answers only what
it can answer exactly as the Requester would: a 304, or a 200 with a JSON
body within ``max_bytes`` (rate-limit headers recorded on the Requester, so
`client.budget` stays right).  Anything else -- an error status, a redirect,
a network failure -- returns None and the caller sends the request through
PyGithub, whose retry, backoff and error mapping then apply unchanged.

The probe is not used when proxy variables are set (urllib3 alone does not
read them; requests does), nor for a custom PyGithub connection.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Iterable
from urllib.parse import urlencode, urlsplit

import urllib3

logger = logging.getLogger(__name__)

# The rate-limit headers PyGithub reads into ``Requester.rate_limiting``.
_REMAINING, _LIMIT, _RESET = "x-ratelimit-remaining", "x-ratelimit-limit", "x-ratelimit-reset"
_CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    """A body over ``max_bytes``; the caller names the resource in its own error
    (client.ResponseTooLarge).  Shared by the probe and the Requester's hook."""


def refuse_declared(declared: str, max_bytes: int) -> None:
    """A Content-Length over the cap is refused before any byte is read."""
    declared = declared.strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(f"body of {declared} bytes exceeds max_bytes={max_bytes} (not read)")


def join_within(chunks: Iterable[bytes], max_bytes: int) -> bytes:
    """The body, read chunk by chunk; stops as soon as it passes the cap."""
    parts, total = [], 0
    for chunk in chunks:
        total += len(chunk)
        if total > max_bytes:
            raise BodyTooLarge(f"body exceeds max_bytes={max_bytes} (stopped reading)")
        parts.append(chunk)
    return b"".join(parts)


class ConditionalProbe:
    """One urllib3 pool for conditional GETs under ``base_url`` (see module docstring)."""

    def __init__(self, base_url: str, headers: dict[str, str], *, timeout: float, max_bytes: int,
                 verify: str | bool, seconds_between_requests: float | None, pool_size: int = 4):
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers)
        self.timeout = urllib3.Timeout(connect=timeout, read=timeout)
        self.max_bytes = max_bytes
        self.pool = urllib3.PoolManager(maxsize=pool_size, **_tls(verify))
        # the API host's own pool, taken once: PoolManager.request parses and keys every URL again
        parts = urlsplit(self.base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.host_pool = self.pool.connection_from_url(self.base_url)
        self.pacing = seconds_between_requests
        self._last = 0.0
        self._lock = threading.Lock()

    def url(self, path: str, params: dict[str, Any] | None) -> str:
        url = path if urlsplit(path).scheme else self.base_url + path
        if params:
            url += ("&" if "?" in url else "?") + urlencode(sorted(params.items()))
        return url

    def get(self, path: str, params: dict[str, Any] | None, etag: str) -> tuple[int, dict[str, str], str] | None:
        """``(status, lower-cased headers, body text)`` for a 304 or a 200; None otherwise."""
        self._wait_turn()
        try:
            response = self._send(self.url(path, params), {**self.headers, "If-None-Match": etag})
        except urllib3.exceptions.HTTPError as exc:
            logger.debug("GitHub probe %s: %s; sending it through PyGithub", path[:200], type(exc).__name__)
            return None
        reused = False
        try:
            headers = {k.lower(): v for k, v in response.headers.items()}
            if response.status == 304:
                reused = True
                return 304, headers, ""
            if response.status != 200:
                return None
            body = self._read(response, headers)
            reused = True
            return 200, headers, body
        except urllib3.exceptions.HTTPError:   # cut off mid-body: PyGithub's path retries
            return None
        finally:   # a body left unread (an error, a refused size) must not reach the next request
            response.release_conn() if reused else response.close()

    def _send(self, url: str, headers: dict[str, str]) -> Any:
        """One GET, no retry or redirect (PyGithub's path handles those), body left unread."""
        options = {"headers": headers, "timeout": self.timeout, "retries": False, "redirect": False,
                   "preload_content": False}
        if url.startswith(self.origin + "/"):
            return self.host_pool.urlopen("GET", url[len(self.origin):], **options)
        return self.pool.request("GET", url, **options)

    def _read(self, response: Any, headers: dict[str, str]) -> str:
        refuse_declared(headers.get("content-length", ""), self.max_bytes)
        return join_within(response.stream(_CHUNK), self.max_bytes).decode("utf-8")

    def _wait_turn(self) -> None:
        """The client's pacing (PyGithub's 0.25 s between requests on a real host) holds here too."""
        if not self.pacing:
            return
        with self._lock:
            delay = self._last + self.pacing - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._last = time.monotonic()

    def close(self) -> None:
        self.pool.clear()


def record_rate_limit(requester: Any, headers: dict[str, str]) -> None:
    """What PyGithub does with each response's X-RateLimit-* headers."""
    try:
        if _REMAINING in headers and _LIMIT in headers:
            requester.rate_limiting = (int(float(headers[_REMAINING])), int(float(headers[_LIMIT])))
        if _RESET in headers:
            requester.rate_limiting_resettime = int(float(headers[_RESET]))
    except ValueError:
        logger.debug("GitHub probe: unreadable rate-limit headers ignored")


def _tls(verify: str | bool) -> dict[str, Any]:
    """``verify`` as requests means it: a CA bundle path, True (certifi's), or False."""
    if verify is False:
        return {"cert_reqs": "CERT_NONE"}
    if isinstance(verify, str):
        return {"cert_reqs": "CERT_REQUIRED", "ca_certs": verify}
    try:
        import certifi
        return {"cert_reqs": "CERT_REQUIRED", "ca_certs": certifi.where()}
    except ImportError:   # urllib3 then uses the system store
        return {"cert_reqs": "CERT_REQUIRED"}
