"""PyGithub client construction, rate-limit budget and error mapping.

Why this module exists:

* PyGithub's default retry waits until the rate-limit reset with no cap (up
  to an hour, silently) and urllib3 sleeps any ``Retry-After`` (up to 6 h).
  `CappedRetry` caps both at ``max_rate_limit_wait_seconds``; beyond that the
  source stops with `RateLimited` and keeps what it already yielded.
* PyGithub objects issue hidden requests (a lazy contributor completes itself
  with ``GET /users/{login}``) and cannot send a *stored* ``If-None-Match``.
  So lists and single resources are fetched through the client's own
  ``Requester`` (`get_json`, `get_pages`): same connection pool, auth, retry
  and ``rate_limiting`` accounting as ``get_repo()``, exactly one request per
  call, and conditional requests (a 304 does not count against the budget).
* PyGithub reads every body whole (``requests`` without ``stream``), so a
  hostile or broken upstream could hand us gigabytes.  `cap_responses` hooks
  each of the client's ``requests`` sessions: a declared ``Content-Length``
  above ``max_bytes`` is refused before reading, a body without one is cut
  as soon as it passes the cap (`ResponseTooLarge`).  This covers REST
  (`get_json`/`get_pages`) and the GraphQL batches, which share the Requester.
* The token is only ever handed to ``Auth.Token``; every message we build goes
  through `redact`, and `api_errors` translates PyGithub/requests failures
  into `SourceError`/`ParseError`/`RateLimited` naming the repo or login.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from contextlib import contextmanager
from functools import partial
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator
from urllib.parse import urlsplit

import requests
from github import Auth, Consts, Github, GithubException, GithubRetry
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
    RateLimitExceededExceedsMaxWait,
    UnknownObjectException,
)
from requests.utils import parse_header_links

from sources.errors import ParseError, RateLimited, SourceError
from sources.github.keepalive import BodyTooLarge, join_within, refuse_declared
from sources.github.probe import ConditionalProbe, record_rate_limit
from sources.github.settings import GithubSettings
from sources.http import ca_bundle, proxies_configured

logger = logging.getLogger(__name__)

USER_AGENT = "talent-signals (PyGithub)"
PER_PAGE = 100  # REST maximum page size: fewest requests per list
TRUNCATED_RETRIES = 2  # fresh requests after a body cut off mid-transfer
READ_CHUNK = 64 * 1024


class ResponseTooLarge(ParseError):
    """A GitHub response passed ``max_bytes``: never a fallback (e.g. GraphQL to REST), always an error."""


class CappedRetry(GithubRetry):
    """`GithubRetry` whose ``Retry-After`` sleeps are capped too.

    GithubRetry already refuses to wait for a primary/secondary rate-limit
    reset longer than ``max_rate_limit_wait`` (it raises
    ``RateLimitExceededExceedsMaxWait``); a 429/503 with a long
    ``Retry-After`` would still be slept by urllib3 without this override.
    """

    def sleep_for_retry(self, response: Any) -> bool:
        retry_after = self.get_retry_after(response)
        if retry_after and self.max_rate_limit_wait is not None and retry_after > self.max_rate_limit_wait:
            raise RateLimitExceededExceedsMaxWait(
                getattr(response, "status", 429), {"message": "Retry-After exceeds the allowed wait"},
                {}, wait=retry_after,
            )
        return super().sleep_for_retry(response)


@dataclass
class GithubClient:
    """The PyGithub handle plus what the error mapping needs (never logged)."""

    gh: Github
    settings: GithubSettings
    token: str | None
    probe: ConditionalProbe | None = None   # conditional GETs off PyGithub's session (probe.py)
    # PyGithub's Requester is not thread-safe: its persistent connection object
    # keeps the verb, URL and headers of the request being sent as attributes
    # (request() sets them, getresponse() sends them), so two threads at once
    # can each receive the other's answer; its pacing is not either.  So its
    # requests take turns; the probe's pool (conditional GETs) is thread-safe.
    serial: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requester(self):
        return self.gh.requester

    def close(self) -> None:
        if self.probe is not None:
            self.probe.close()
        self.gh.close()


def build_client(settings: GithubSettings) -> GithubClient:
    """One PyGithub client for the run: base_url, optional token, timeout, capped retry."""
    token = settings.token()
    if settings.require_token and not token:
        raise SourceError(f"GitHub: require_token is set but environment variable {settings.token_env} is empty")
    cap = settings.max_rate_limit_wait_seconds
    retry = CappedRetry(
        total=3, backoff_factor=0.5, max_rate_limit_wait=cap, secondary_rate_wait=min(60.0, cap),
    )
    gh = Github(
        base_url=settings.base_url,
        auth=Auth.Token(token) if token else None,
        timeout=max(1, int(round(settings.timeout_seconds))),
        retry=retry,
        per_page=PER_PAGE,
        user_agent=USER_AGENT,
        verify=ca_bundle(),
        pool_size=max(requests.adapters.DEFAULT_POOLSIZE, settings.concurrency),   # one connection per worker
        **_pacing(settings.base_url),
    )
    cap_responses(gh.requester, settings.max_bytes)
    logger.info("GitHub: client for %s (%s)", settings.base_url, "with token" if token else "anonymous")
    probe = None if proxies_configured() else build_probe(gh, settings)
    return GithubClient(gh, settings, token, probe)


def build_probe(gh: Github, settings: GithubSettings) -> ConditionalProbe | None:
    """The lean pool for conditional GETs, with the client's own identity and
    pacing; None (PyGithub sends everything, and reports the problem on its
    first request) when its TLS settings cannot be built, e.g. a CA bundle
    path that does not exist."""
    options = gh.requester.kwargs
    headers = {"User-Agent": USER_AGENT}
    if options.get("api_version"):
        headers[Consts.headerApiVersion] = options["api_version"]
    if gh.requester.auth is not None:
        gh.requester.auth.authentication(headers)
    try:
        return ConditionalProbe(settings.base_url, headers, timeout=settings.timeout_seconds,
                                max_bytes=settings.max_bytes, verify=options.get("verify", True),
                                seconds_between_requests=options.get("seconds_between_requests"),
                                pool_size=settings.concurrency)
    except (OSError, ValueError) as exc:   # ssl.SSLError is an OSError
        logger.warning("GitHub: conditional requests go through PyGithub (no lean pool: %s)", str(exc)[:200])
        return None


def _pacing(base_url: str) -> dict[str, float | None]:
    """PyGithub spaces requests 0.25 s apart and POSTs (our GraphQL reads) 1 s
    apart: GitHub's advice against secondary rate limits.  Kept for every real
    host; a loopback test server / sample world gets no artificial pauses."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host in ("127.0.0.1", "localhost", "::1"):
        return {"seconds_between_requests": None, "seconds_between_writes": None}
    return {}


def cap_responses(requester: Any, max_bytes: int) -> None:
    """Make every connection this Requester opens enforce ``max_bytes``.

    PyGithub 2.10 builds its connections from per-instance class attributes
    (``__connectionClass`` for the base host, ``__http(s)ConnectionClass`` for
    absolute URLs elsewhere); wrapping them on *this* instance leaves other
    PyGithub clients in the process alone.  Should a PyGithub upgrade rename
    them, we refuse to run without the cap rather than silently losing it.
    """
    names = ("_Requester__connectionClass", "_Requester__httpConnectionClass", "_Requester__httpsConnectionClass")
    missing = [name for name in names if not hasattr(requester, name)]
    if missing:
        raise SourceError(f"GitHub: cannot enforce max_bytes with this PyGithub version (no {missing[0]})")
    for name in names:
        setattr(requester, name, partial(_capped_connection, getattr(requester, name), max_bytes))


def _capped_connection(connection_class: Any, max_bytes: int, *args: Any, **kwargs: Any) -> Any:
    connection = connection_class(*args, **kwargs)
    connection.session.hooks["response"].append(partial(_read_capped, max_bytes=max_bytes))
    if not proxies_configured():
        connection.session.trust_env = False   # CA bundle: see `ca_bundle`
    return connection


def _read_capped(response: requests.Response, *args: Any, max_bytes: int, **kwargs: Any) -> requests.Response:
    """``requests`` response hook: runs before the body is read (PyGithub does not stream),
    so the body is read here, in chunks, and kept on the response if it fits."""
    try:
        refuse_declared(response.headers.get("Content-Length", ""), max_bytes)
        if kwargs.get("stream"):
            return response
        response._content = join_within(response.iter_content(READ_CHUNK), max_bytes)  # now bounded
    except BodyTooLarge as exc:
        response.close()
        raise ResponseTooLarge(f"GitHub {urlsplit(response.url).path[:200]}: {exc}") from None
    return response


def redact(text: str, token: str | None) -> str:
    """Remove the token from any text we are about to log or raise."""
    return text.replace(token, "***") if token else text


# --- budget -----------------------------------------------------------------
def budget(client: GithubClient) -> tuple[int, int, int]:
    """``(remaining, limit, reset_epoch)`` from the last response's X-RateLimit-* headers
    (``-1`` when no response carried them yet)."""
    remaining, limit = client.requester.rate_limiting  # not gh.rate_limiting: that one spends a request
    return remaining, limit, int(client.requester.rate_limiting_resettime or 0)


def log_budget(client: GithubClient) -> None:
    remaining, limit, reset = budget(client)
    if limit >= 0:
        logger.info("GitHub: rate budget %d/%d left, resets in %ds", remaining, limit, max(0, reset - int(time.time())))


def ensure_budget(client: GithubClient, what: str) -> None:
    """Before spending a request: if the budget is spent, wait for the reset
    when it is within ``max_rate_limit_wait_seconds``, else stop cleanly."""
    remaining, limit, reset = budget(client)
    if limit < 0 or remaining > 0:
        return
    wait = reset - time.time() + 1
    if wait <= 0:
        return
    cap = client.settings.max_rate_limit_wait_seconds
    reset_at = datetime.fromtimestamp(reset, timezone.utc).isoformat()
    if wait > cap:
        raise RateLimited(
            f"GitHub {what}: rate budget spent (0/{limit}); resets at {reset_at}, in {wait:.0f}s, "
            f"more than max_rate_limit_wait_seconds={cap:g}"
        )
    logger.warning("GitHub %s: rate budget spent, waiting %.0fs for the reset at %s", what, wait, reset_at)
    time.sleep(wait)


# --- requests ---------------------------------------------------------------
@dataclass
class JsonResponse:
    status: int  # 200, or 304 (not modified: data is None)
    headers: dict[str, Any]
    data: Any

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")


def get_json(client: GithubClient, url: str, params: dict[str, Any] | None = None,
             etag: str | None = None) -> JsonResponse:
    """One GET through PyGithub's Requester (its calls take turns), or on the
    probe's pool when it is conditional and the probe can answer it (probe.py);
    ``etag`` makes it conditional.

    Raises PyGithub's ``GithubException`` subclasses for >= 400 (wrap calls in
    `api_errors`) and `ParseError` for a body that is not JSON.
    """
    answer = _probe(client, url, params, etag) if etag and client.probe is not None else None
    if answer is None:
        answer = _request_json(client, url, params, {"If-None-Match": etag} if etag else None)
    status, response_headers, body = answer
    if status == 304:
        return JsonResponse(304, response_headers, None)
    data = _decode(body, url, status)
    if status >= 400:
        raise client.requester.createException(status, response_headers, data if isinstance(data, dict) else {})
    return JsonResponse(status, response_headers, data)


def _probe(client: GithubClient, url: str, params: dict[str, Any] | None,
           etag: str) -> tuple[int, dict[str, Any], str] | None:
    """A conditional GET on the lean pool (probe.py): a 304 or a 200, else None (PyGithub's path)."""
    if urlsplit(url).scheme:
        check_same_api(client, url)
    try:
        answer = client.probe.get(url, params, etag)
    except BodyTooLarge as exc:
        raise ResponseTooLarge(f"GitHub {url.split('?')[0][:200]}: {exc}") from None
    if answer is not None:
        record_rate_limit(client.requester, answer[1])
    return answer


def get_or_skip(client: GithubClient, what: str, path: str, *, etag: str | None = None,
                level: int = logging.WARNING) -> JsonResponse | None:
    """One budgeted GET of ``path`` (``what`` names it in errors: "repo o/r");
    None when it does not exist (404, a logged skip: a renamed repository or a
    deleted account must not stop the crawl)."""
    with api_errors(client, what):
        ensure_budget(client, what)
        try:
            return get_json(client, path, etag=etag)
        except UnknownObjectException:
            logger.log(level, "GitHub %s: not found (404), skipped", what)
            return None


def get_pages(client: GithubClient, path: str, params: dict[str, Any] | None = None,
              etag: str | None = None) -> Iterator[JsonResponse]:
    """Follow ``Link: rel="next"`` pages of a list endpoint, lazily.

    The first response may be a 304 (then it is the only one yielded).  Next
    links must stay under the configured base URL: PyGithub would otherwise
    fail with a bare ``AssertionError``.
    """
    url: str | None = path
    query = {"per_page": PER_PAGE, **(params or {})}
    seen: set[str] = set()
    while url:
        response = get_json(client, url, query, etag)
        yield response
        if response.status == 304:
            return
        seen.add(url)
        url, query, etag = next_link(client, response.headers.get("link")), None, None
        if url in seen:
            raise ParseError(f"GitHub {path}: pagination loop, 'next' repeats {url[:200]}")


def _request_json(client: GithubClient, url: str, params: dict[str, Any] | None,
                  headers: dict[str, str] | None) -> tuple[int, dict[str, Any], str]:
    """``requestJson`` with a fresh try when the body arrives cut off.

    urllib3's retry covers statuses and failed connections, not a body that
    ends before its Content-Length (a dropped connection mid-transfer), which
    a second request usually fixes."""
    for attempt in range(TRUNCATED_RETRIES + 1):
        try:
            with client.serial:
                return client.requester.requestJson("GET", url, parameters=params, headers=headers)
        except requests.exceptions.ChunkedEncodingError as exc:
            if attempt == TRUNCATED_RETRIES:
                raise ParseError(f"GitHub {url.split('?')[0][:200]}: body truncated "
                                 f"(gave up after {attempt + 1} attempts)") from None
            logger.warning("GitHub %s: body truncated (%s); retrying", url.split("?")[0][:200], str(exc)[:100])
            time.sleep(0.5 * 2 ** attempt)
    raise AssertionError("unreachable")


def next_link(client: GithubClient, header: str | None) -> str | None:
    if not header:
        return None
    for link in parse_header_links(header):
        if link.get("rel") == "next" and link.get("url"):
            check_same_api(client, link["url"])
            return link["url"]
    return None


def check_same_api(client: GithubClient, url: str) -> None:
    base, target = urlsplit(client.settings.base_url), urlsplit(url)
    same_host = (target.hostname, target.port) == (base.hostname, base.port)
    if not same_host or not target.path.startswith(base.path.rstrip("/") + "/"):
        raise ParseError(f"GitHub: pagination link leaves the configured base_url: {url[:200]}")


def _decode(body: str, url: str, status: int) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        if status >= 400:
            return {"message": body[:200]}
        raise ParseError(f"GitHub {url.split('?')[0][:200]}: response is not JSON ({body[:60]!r})") from None


# --- errors -----------------------------------------------------------------
@contextmanager
def api_errors(client: GithubClient, what: str) -> Iterator[None]:
    """Translate PyGithub/requests failures into the source error contract.

    ``what`` names the repo/login/batch; messages never carry the token.
    ``UnknownObjectException`` (404) passes through untouched: callers decide
    whether a missing repo/user is a skip.
    """
    try:
        yield
    except UnknownObjectException:
        raise
    except SourceError as exc:  # ours (ParseError, RateLimited, ...): make sure it names the subject
        if what in str(exc):
            raise
        detail = str(exc).removeprefix("GitHub").lstrip(": ")
        raise type(exc)(f"GitHub {what}: {detail}") from None
    except Exception as exc:  # noqa: BLE001 - every other failure must become a SourceError
        raise _translate(client, what, exc) from None


def _translate(client: GithubClient, what: str, exc: Exception) -> SourceError:
    cap = client.settings.max_rate_limit_wait_seconds
    if isinstance(exc, RateLimitExceededExceedsMaxWait):
        return RateLimited(redact(f"GitHub {what}: rate limited; the reset is {exc.wait or 0:.0f}s away, "
                                  f"more than max_rate_limit_wait_seconds={cap:g}", client.token))
    if isinstance(exc, RateLimitExceededException) or getattr(exc, "status", None) == 429:
        return RateLimited(redact(f"GitHub {what}: rate limited (HTTP {exc.status}): {_message(exc)}", client.token))
    if isinstance(exc, BadCredentialsException):
        return SourceError(f"GitHub {what}: bad credentials (the token in {client.settings.token_env} was rejected)")
    if isinstance(exc, GithubException):
        return SourceError(redact(f"GitHub {what}: HTTP {exc.status}: {_message(exc)}", client.token))
    if isinstance(exc, requests.RequestException):
        return SourceError(redact(f"GitHub {what}: {type(exc).__name__}: {exc}", client.token))
    if isinstance(exc, (ValueError, TypeError, KeyError)):
        return ParseError(redact(f"GitHub {what}: malformed response: {type(exc).__name__}: {exc}", client.token))
    return SourceError(redact(f"GitHub {what}: {type(exc).__name__}: {exc}", client.token))


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("message") or exc.message or "no message")[:300]
