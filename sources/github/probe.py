"""Conditional GETs on lean keep-alive connections: the quiet night's thousands of 304s.

Why: a night with no upstream change still asks every repository configured
by name whether it changed (``If-None-Match``; a 304 is free, but it is one
round trip each: 4,974 of them at 100k people).  Through PyGithub's Requester
each costs ≈ 1.6 ms of our CPU (requests' session machinery: settings
merging, hooks, cookie jars, runtime protocol checks, a CA-bundle ``stat``);
sent on urllib3 alone ≈ 0.75 ms, half of it ``http.client``'s header parsing
(the ``email`` package) and urllib3's response object.  `keepalive` reads
the status, headers and a framed body straight off a persistent socket.

`ConditionalProbe.get` sends one conditional GET to the API host with the
client's own identity (token, User-Agent, API version) and pacing, and
answers only what it can answer exactly as the Requester would: a 304, or a
200 with a UTF-8 body within ``max_bytes`` (rate-limit headers recorded on
the Requester, so `client.budget` stays right).  Anything else -- an error
status, a redirect, a network failure, an answer `keepalive` does not read
-- returns None and the caller sends the request through PyGithub, whose
retry, backoff and error mapping then apply unchanged.

The probe is not used when proxy variables are set (a raw socket does not
read them; requests does), nor for a custom PyGithub connection.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from sources.github.keepalive import KeepAlivePool, ProtocolError, tls_context

logger = logging.getLogger(__name__)

# The rate-limit headers PyGithub reads into ``Requester.rate_limiting``.
_REMAINING, _LIMIT, _RESET = "x-ratelimit-remaining", "x-ratelimit-limit", "x-ratelimit-reset"


class ConditionalProbe:
    """Keep-alive connections for conditional GETs under ``base_url`` (see module docstring)."""

    def __init__(self, base_url: str, headers: dict[str, str], *, timeout: float, max_bytes: int,
                 verify: str | bool, seconds_between_requests: float | None, pool_size: int = 4):
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers)
        self.max_bytes = max_bytes
        parts = urlsplit(self.base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.pool = KeepAlivePool(parts.scheme, parts.hostname or "", parts.port, timeout=timeout,
                                  tls=tls_context(verify) if parts.scheme == "https" else None, size=pool_size)
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
        url = self.url(path, params)
        if not url.startswith(self.origin + "/"):
            return None   # another host (client.check_same_api allows only the API's): PyGithub's path
        self._wait_turn()
        try:   # a body over max_bytes raises keepalive.BodyTooLarge to the caller
            answer = self.pool.get(url[len(self.origin):], {**self.headers, "If-None-Match": etag}, self.max_bytes)
        except (ProtocolError, OSError, UnicodeError) as exc:
            logger.debug("GitHub probe %s: %s; sending it through PyGithub", path[:200], type(exc).__name__)
            return None
        if answer.status == 304:
            return 304, answer.headers, ""
        if answer.status != 200:
            return None
        try:
            return 200, answer.headers, answer.body.decode("utf-8")
        except UnicodeDecodeError:
            return None   # PyGithub's path reports the body

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
        self.pool.close()


def record_rate_limit(requester: Any, headers: dict[str, str]) -> None:
    """What PyGithub does with each response's X-RateLimit-* headers."""
    try:
        if _REMAINING in headers and _LIMIT in headers:
            requester.rate_limiting = (int(float(headers[_REMAINING])), int(float(headers[_LIMIT])))
        if _RESET in headers:
            requester.rate_limiting_resettime = int(float(headers[_RESET]))
    except ValueError:
        logger.debug("GitHub probe: unreadable rate-limit headers ignored")
