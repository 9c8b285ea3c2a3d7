"""A local HTTP server that speaks the real upstream wire formats for the sample world.

Why: the project's real clients (the ``arxiv`` package, PyGithub, requests)
are exercised end to end without the internet, with request counting (what a
night costs upstream) and fault injection (what a bad night looks like).

URL layout (see docs/ARCHITECTURE.md): ``/arxiv/api/query``, ``/github/...``,
``/pretalx/api/events/{event}/...``, ``/sessionize/api/v2/{id}/view/{All|Speakers|Sessions}``,
``/html/{conf}/speakers.html``, ``/pyvideo/{archive}.json``, ``/hf/api/...`` (Hugging Face
Hub, see `sampleworld.wire_hub`).
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import socket
import struct
import sys
import threading
import time
import zlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlsplit

from sampleworld import wire_arxiv as AX
from sampleworld import wire_conf as CF
from sampleworld import wire_github as GH
from sampleworld import wire_hub as HF
from sampleworld.generate import NIGHT2_DAY
from sampleworld.model import Conference, Paper, Repo, World
from sampleworld.truth import visible_speaker_keys

logger = logging.getLogger(__name__)

FAULT_KINDS = ("429", "403", "500", "502", "503", "hang", "truncated", "malformed", "next_loop", "oversized")
GITHUB_LIMIT = 5000
GITHUB_WINDOW_SECONDS = 3600  # GitHub's REST budget is per hour, refilled at X-RateLimit-Reset
OVERSIZED_BYTES = 1024 * 1024  # default size of an "oversized" fault body
SEND_CHUNK = 64 * 1024
NIGHT2_PUSHED_AT = f"{NIGHT2_DAY.isoformat()}T18:00:00Z"  # the push that brought night 2's contributors
JSON_TYPE = "application/json; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
_ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")


@dataclass
class Fault:
    """Fires for requests whose path (with query) starts with ``path_prefix``, ``times`` times."""

    path_prefix: str
    kind: str
    times: int = 1
    params: dict[str, Any] = field(default_factory=dict)
    fired: int = 0


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    counted: bool = True
    chunked: bool = False  # Transfer-Encoding: chunked, no Content-Length (a streamed body)


def _json(data: Any, status: int = 200, **headers: str) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, JSON_TYPE, dict(headers))


class _Index:
    """The world as visible on one night, indexed for the routes (built lazily, cached per night).

    Records only ever appear (each has the night it is published on), so an
    earlier night's index is reused where nothing was added since: a
    conference without new talks or speakers keeps its view (and the pages
    rendered from it), and a search matches only the new papers against the
    earlier night's matches.  Why: the server shares the benchmark machine's
    two cores with the pipeline it serves, and re-rendering every unchanged
    programme to answer "304" cost more CPU than the pipeline's own
    conference sources."""

    def __init__(self, world: World, night: int, earlier: "_Index | None" = None) -> None:
        self.night = night
        self.earlier = earlier
        self.papers = sorted((p for p in world.papers if p.night <= night),
                             key=lambda p: (p.published, p.paper_id), reverse=True)
        self.paper_by_id = {p.paper_id: p for p in self.papers}
        self.repos: dict[str, Repo] = {r.full_name.lower(): r for r in world.repos if r.night <= night}
        self.users = {u.login.lower(): u for u in world.users if u.night <= night}
        self.org_repos: dict[str, list[Repo]] = {}
        self.user_repos: dict[str, list[Repo]] = {}
        for repo in sorted(self.repos.values(), key=lambda r: r.full_name.lower()):
            target = self.org_repos if repo.owner_is_org else self.user_repos
            target.setdefault(repo.owner.lower(), []).append(repo)
        self.conferences = {(c.format, c.slug): self._conference_view(c) for c in world.conferences}
        self.query_cache: dict[tuple, list[Paper]] = {}

    def _conference_view(self, conf: Conference) -> "_ConfView":
        earlier = self.earlier.conferences.get((conf.format, conf.slug)) if self.earlier else None
        fingerprint = _fingerprint(conf)  # a record edited in place (a test's "edited page") is a change too
        if (earlier is not None and earlier.conf is conf and earlier.fingerprint == fingerprint
                and not _added_between(conf, earlier.night, self.night)):
            return earlier
        return _ConfView(conf, self.night, fingerprint)

    @functools.cached_property
    def new_papers(self) -> list[Paper]:
        """Papers published after the earlier night (all of them without one)."""
        since = self.earlier.night if self.earlier else 0
        return [p for p in self.papers if p.night > since]

    def contributors(self, repo: Repo) -> list:
        visible = [c for c in repo.contributors if c.night <= self.night]
        return sorted(visible, key=lambda c: (-c.contributions, c.login.lower()))

    def pushed_at(self, repo: Repo) -> str:
        """On GitHub a new contributor arrives with a push: a repo that gains contributors
        on night 2 shows that night's push in ``pushed_at``/``updated_at`` (listing and repo)."""
        if self.night >= 2 and any(c.night == 2 for c in repo.contributors):
            return NIGHT2_PUSHED_AT
        return repo.pushed_at

    def user_id(self, login: str) -> int:
        user = self.users.get(login.lower())
        return user.user_id if user else 90_000_000 + zlib.crc32(login.lower().encode()) % 9_000_000


def _added_between(conf: Conference, after: int, upto: int) -> bool:
    return any(after < item.night <= upto for item in (*conf.talks, *conf.speakers))


def _fingerprint(conf: Conference) -> bytes:
    """Everything about the conference, every record included (their reprs name every field)."""
    return hashlib.blake2b(repr(conf).encode("utf-8"), digest_size=16).digest()


class _ConfView:
    """One conference's programme as published on ``night``, with the pages
    rendered from it (kept while the programme is unchanged)."""

    def __init__(self, conf: Conference, night: int, fingerprint: bytes = b"") -> None:
        self.conf = conf
        self.night = night
        self.fingerprint = fingerprint
        self.rendered: dict[str, list[dict]] = {}  # pretalx lists, rendered once
        self.pages: dict[tuple, tuple[Response, str]] = {}  # (upstream, path, params) -> (200 answer, ETag)
        self.talks = [t for t in conf.talks if t.night <= night]
        keys = visible_speaker_keys(conf, night)
        self.speakers = [s for s in conf.speakers if s.night <= night and s.key in keys]
        self.speaker_by_key = {s.key: s for s in self.speakers}
        self.talks_of: dict[str, list[str]] = {}
        for t in self.talks:
            for k in t.speaker_keys:
                self.talks_of.setdefault(k, []).append(t.key)


class _QuietServer(ThreadingHTTPServer):
    """A client that drops its connection (a refused oversized body, a night
    that stopped) is routine for an HTTP server, not a traceback on stderr."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class SampleWorldServer:
    """Threaded server bound to 127.0.0.1; ``port=0`` picks a free port."""

    def __init__(self, world: World, port: int = 0, night: int = 1, host: str = "127.0.0.1") -> None:
        self.world = world
        self._night = night
        self._indexes: dict[int, _Index] = {}
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._faults: list[Fault] = []
        self._stop = threading.Event()
        self._github_used = Counter()
        self.rate_reset_epoch = int(time.time()) + GITHUB_WINDOW_SECONDS
        self.httpd = _QuietServer((host, port), _make_handler(self))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "SampleWorldServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sampleworld", daemon=True)
        self._thread.start()
        logger.info("sample world serving at %s (night %d)", self.base_url, self._night)
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes "hang" faults
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "SampleWorldServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- controls -----------------------------------------------------------------------
    @property
    def night(self) -> int:
        return self._night

    def set_night(self, night: int) -> None:
        if night not in (1, 2):
            raise ValueError(f"night must be 1 or 2, got {night}")
        self._night = night

    @property
    def counts(self) -> dict[str, int]:
        """Requests per upstream (``"github"``) and per path kind (``"github:contributors"``).
        GitHub counts as its rate limit would: 304s and ``/rate_limit`` are not in ``"github"``.
        A conference 304 is a request like any other (in ``"pretalx"``, ``"pretalx:speakers"``...)
        and is also counted apart, as ``"pretalx:not_modified"``."""
        with self._lock:
            return dict(self._counts)

    def reset_counts(self) -> None:
        """Forget the counts and start a fresh GitHub rate window (a full budget)."""
        with self._lock:
            self._counts.clear()
            self._github_used.clear()
            self.rate_reset_epoch = int(time.time()) + GITHUB_WINDOW_SECONDS

    def inject(self, path_prefix: str, kind: str, times: int = 1, **params: Any) -> Fault:
        """Make the next ``times`` requests under ``path_prefix`` fail as ``kind``.

        kinds: ``429`` (``retry_after``), ``403`` rate limit (``reset_in`` s; with ``secondary=True``
        GitHub's secondary limit: its message and ``Retry-After: retry_after``), ``500``/``502``/``503``,
        ``hang`` (``seconds``, then answers normally), ``truncated`` (half the body, full
        Content-Length; with ``reset=True`` the connection is reset before any answer), ``malformed`` (``body`` or a broken document, status 200),
        ``next_loop`` (pagination ``next`` points back at the same page), ``oversized`` (the
        normal answer padded with trailing whitespace to more than ``bytes``, default 1 MiB;
        with ``content_length=False`` sent chunked, without a Content-Length).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r} (one of {', '.join(FAULT_KINDS)})")
        fault = Fault(path_prefix, kind, times, params)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # --- internals ------------------------------------------------------------------------
    def index(self) -> _Index:
        night = self._night
        with self._lock:
            if night not in self._indexes:
                earlier = max((n for n in self._indexes if n < night), default=None)
                self._indexes[night] = _Index(self.world, night, self._indexes.get(earlier))
            return self._indexes[night]

    def take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.fired < fault.times and path.startswith(fault.path_prefix):
                    fault.fired += 1
                    return fault
        return None

    def count(self, upstream: str, kind: str, budget: bool = True) -> None:
        with self._lock:
            self._counts[f"{upstream}:{kind}"] += 1
            if budget:
                self._counts[upstream] += 1

    def github_spend(self, resource: str) -> None:
        with self._lock:
            self._refill_github_budget()
            self._github_used[resource] += 1

    def github_headers(self, resource: str = "core") -> dict[str, str]:
        with self._lock:
            self._refill_github_budget()
            used = self._github_used[resource]
        return {"X-RateLimit-Limit": str(GITHUB_LIMIT), "X-RateLimit-Remaining": str(max(0, GITHUB_LIMIT - used)),
                "X-RateLimit-Reset": str(self.rate_reset_epoch), "X-RateLimit-Used": str(used),
                "X-RateLimit-Resource": resource}

    def _refill_github_budget(self) -> None:
        """As GitHub does: once ``rate_reset_epoch`` has passed, the budget is full
        again and a new window starts (caller holds the lock)."""
        now = int(time.time())
        if now >= self.rate_reset_epoch:
            self._github_used.clear()
            self.rate_reset_epoch = now + GITHUB_WINDOW_SECONDS

    def wait(self, seconds: float) -> None:
        self._stop.wait(seconds)


@contextmanager
def serve(world: World, port: int = 0, night: int = 1) -> Iterator[SampleWorldServer]:
    """``with serve(world) as server: ... server.base_url ...``"""
    server = SampleWorldServer(world, port=port, night=night)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- routing ------------------------------------------------------------------------------
def _make_handler(server: SampleWorldServer):
    class Handler(_Handler):
        sw = server
    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: headers and body go out in separate writes; with Nagle on, a
    # kept-alive connection stalls ~40 ms per request on the client's delayed ACK.
    disable_nagle_algorithm = True
    sw: SampleWorldServer
    server_version = "sampleworld/1.0"

    def log_message(self, fmt: str, *args) -> None:
        logger.debug("%s " + fmt, self.address_string(), *args)

    def parse_request(self) -> bool:
        """http.server's request parsing, with the header block read into a
        small case-insensitive dict instead of an ``email`` message: that
        parser was a third of the server's CPU on a night of 304s, CPU the
        benchmarks' pipeline needs (the server shares its two cores).
        Anything but an HTTP/1.0 or 1.1 request line goes the standard way."""
        words = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n").split()
        if len(words) != 3 or words[2] not in ("HTTP/1.0", "HTTP/1.1"):
            return super().parse_request()
        self.requestline = " ".join(words)
        self.command, self.path, self.request_version = words
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")
        headers = _read_header_block(self.rfile)
        if headers is None:
            self.send_error(431, "Request header fields too large")
            return False
        self.headers = headers
        connection = headers.get("Connection", "").lower()
        self.close_connection = connection == "close" or (words[2] == "HTTP/1.0" and connection != "keep-alive")
        return True

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        body = self._read_body() if method == "POST" else b""
        fault = self.sw.take_fault(self.path)
        if fault and fault.kind == "truncated" and fault.params.get("reset"):
            self._reset_connection()
            return
        if fault and fault.kind == "hang":
            self.sw.wait(float(fault.params.get("seconds", 10)))
        try:
            response = route(self.sw, method, parts.path, params, body, self.headers, query=parts.query)
        except Exception:  # a server bug must show up as a 500, not kill the thread silently
            logger.exception("sample world failed on %s %s", method, self.path)
            response = _json({"message": "Server Error"}, 500)
        if fault and fault.kind != "hang":
            response = _apply_fault(fault, response, self.sw.base_url + self.path, parts.path)
        self._send(response, truncate=bool(fault and fault.kind == "truncated"))

    def _reset_connection(self) -> None:
        """Close with SO_LINGER 0: the client sees ECONNRESET, as from a dropped upstream."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, response: Response, truncate: bool) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        if response.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        try:
            self._write_body(response, truncate)
        except (BrokenPipeError, ConnectionResetError):  # the client stopped reading (e.g. a size cap)
            self.close_connection = True

    def _write_body(self, response: Response, truncate: bool) -> None:
        if self.command == "HEAD" or response.status == 304:
            self.wfile.flush()
            return
        if not response.chunked:
            self.wfile.write(response.body[: len(response.body) // 2] if truncate else response.body)
            self.wfile.flush()
            return
        for start in range(0, len(response.body), SEND_CHUNK):
            chunk = response.body[start:start + SEND_CHUNK]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class _Headers(dict):
    """Request headers by lower-cased name; ``get`` takes any case (a repeated header keeps its last value)."""

    def get(self, name: str, default=None):
        return super().get(name.lower(), default)

    def __getitem__(self, name: str):
        return super().__getitem__(name.lower())

    def __contains__(self, name) -> bool:
        return super().__contains__(name.lower())


_MAX_HEADER_LINE, _MAX_HEADERS = 65536, 100   # http.client's limits


def _read_header_block(rfile) -> _Headers | None:
    """Header lines up to the blank line; None past http.client's limits."""
    headers = _Headers()
    for _ in range(_MAX_HEADERS + 1):
        line = rfile.readline(_MAX_HEADER_LINE + 1)
        if len(line) > _MAX_HEADER_LINE:
            return None
        if line in (b"\r\n", b"\n", b""):
            return headers
        name, _, value = str(line, "iso-8859-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return None


def route(sw: SampleWorldServer, method: str, path: str, params: dict, body: bytes, headers,
          query: str = "") -> Response:
    upstream, _, rest = path.lstrip("/").partition("/")
    if upstream == "hf":
        return hub(sw, rest, parse_qsl(query, keep_blank_values=True))
    if upstream == "arxiv" and rest.rstrip("/") == "api/query":
        sw.count("arxiv", "query")
        return arxiv_query(sw.index(), params)
    if upstream == "github":
        return github(sw, method, "/" + rest, params, body, headers)
    if upstream in ("pretalx", "sessionize", "html", "pyvideo"):
        return conference(sw, upstream, rest, params, headers)
    return Response(404, b"Not Found", "text/plain; charset=utf-8")


# --- faults ---------------------------------------------------------------------------------
def _apply_fault(fault: Fault, response: Response, url: str, path: str) -> Response:
    kind, p = fault.kind, fault.params
    if kind == "429":
        return Response(429, b'{"message":"Too Many Requests"}', JSON_TYPE,
                        {"Retry-After": str(p.get("retry_after", 1))})
    if kind == "403" and p.get("secondary"):
        return Response(403, json.dumps({"message": "You have exceeded a secondary rate limit. Please wait a few "
                                                    "minutes before you try again.",
                                         "documentation_url": GH.DOCS}).encode(), JSON_TYPE,
                        {"Retry-After": str(p.get("retry_after", 60))})
    if kind == "403":
        reset = int(time.time()) + int(p.get("reset_in", 60))
        return Response(403, json.dumps({"message": "API rate limit exceeded for 127.0.0.1.",
                                         "documentation_url": GH.DOCS}).encode(), JSON_TYPE,
                        {"X-RateLimit-Limit": str(GITHUB_LIMIT), "X-RateLimit-Remaining": "0",
                         "X-RateLimit-Reset": str(reset), "X-RateLimit-Used": str(GITHUB_LIMIT),
                         "X-RateLimit-Resource": "core"})
    if kind in ("500", "502", "503"):
        return Response(int(kind), f"<html><body><h1>{kind} error</h1></body></html>".encode(),
                        "text/html; charset=utf-8", {"Retry-After": str(p["retry_after"])} if "retry_after" in p else {})
    if kind == "malformed":
        return Response(200, p.get("body", _broken_body(response.content_type)), response.content_type)
    if kind == "next_loop":
        return _loop_next(response, url)
    if kind == "oversized":
        return _oversized(response, int(p.get("bytes", OVERSIZED_BYTES)), bool(p.get("content_length", True)))
    return response  # truncated: the handler cuts the body


def _oversized(response: Response, limit: int, content_length: bool) -> Response:
    """The normal answer padded past ``limit`` with trailing whitespace: still a
    valid document, so only a client's size cap can tell it from a normal one."""
    padding = b" " * max(0, limit + 1 - len(response.body))
    status = 200 if response.status == 304 else response.status
    return Response(status, response.body + padding, response.content_type, dict(response.headers),
                    response.counted, chunked=not content_length)


def _broken_body(content_type: str) -> bytes:
    if "xml" in content_type:
        return b'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>'
    if "html" in content_type:
        return b"<html><body><div class='speaker'><h3 class='name'>\x00\xff\xfe</h3"
    return b'{"count": 3, "results": [{"code": "ABC", "name": }'


def _loop_next(response: Response, url: str) -> Response:
    single_github_page = "/github/" in url and response.body.startswith(b"[")  # a list without a Link header
    if response.headers.get("Link") or single_github_page:
        link = re.sub(r'<[^>]*>; rel="next"', f'<{url}>; rel="next"', response.headers.get("Link", ""))
        if 'rel="next"' not in link:
            link = f'<{url}>; rel="next"' + (", " + link if link else "")
        response.headers["Link"] = link
        return response
    try:
        data = json.loads(response.body)
    except ValueError:
        return response
    if isinstance(data, dict) and "next" in data:
        data["next"] = url
        return Response(response.status, json.dumps(data).encode(), response.content_type, response.headers)
    return response


# --- arXiv -------------------------------------------------------------------------------------
def _int_param(params: dict, name: str, default: int) -> int:
    try:
        return max(0, int(params.get(name, default)))
    except ValueError:
        raise AX.QueryError(f"{name} must be an integer") from None


def arxiv_query(index: _Index, params: dict) -> Response:
    try:
        start = _int_param(params, "start", 0)
        max_results = min(_int_param(params, "max_results", 10), AX.MAX_RESULTS_CAP)
        matched = _arxiv_matches(index, params)
    except AX.QueryError as exc:
        return Response(400, AX.error_feed(str(exc)), ATOM_TYPE)
    page = matched[start:start + max_results]
    body = AX.feed(params.get("search_query", ""), params.get("id_list", ""), start, max_results, len(matched), page)
    return Response(200, body, ATOM_TYPE)


def _arxiv_matches(index: _Index, params: dict) -> list[Paper]:
    query, id_list = params.get("search_query", ""), params.get("id_list", "")
    key = (query, id_list, params.get("sortBy", "relevance"), params.get("sortOrder", "descending"))
    if key in index.query_cache:
        return index.query_cache[key]
    papers = _by_ids(index, id_list) if id_list else index.papers
    if query:
        predicate = AX.parse_query(query)
        earlier = index.earlier.query_cache.get(key) if index.earlier and not id_list else None
        if earlier is not None:  # only the papers published since: the earlier ones matched as they did
            papers = sorted(earlier + [p for p in index.new_papers if predicate(p)],
                            key=lambda p: (p.published, p.paper_id), reverse=True)
        else:
            papers = [p for p in papers if predicate(p)]
    elif not id_list:
        raise AX.QueryError("either search_query or id_list must be given")
    papers = _sorted(papers, key[2], key[3]) if query else papers
    index.query_cache[key] = papers
    return papers


def _by_ids(index: _Index, id_list: str) -> list[Paper]:
    found = []
    for raw in (x.strip() for x in id_list.split(",") if x.strip()):
        if not _ARXIV_ID.match(raw):
            raise AX.QueryError(f"incorrect id format for {raw}")
        paper = index.paper_by_id.get(re.sub(r"v\d+$", "", raw))
        if paper:
            found.append(paper)
    return found


def _sorted(papers: list[Paper], sort_by: str, order: str) -> list[Paper]:
    field_of = {"submittedDate": "published", "lastUpdatedDate": "updated"}.get(sort_by)
    if field_of is None:  # relevance: this world has no scores; newest first is stable and plausible
        return papers
    ordered = sorted(papers, key=lambda p: (getattr(p, field_of), p.paper_id))
    return ordered[::-1] if order != "ascending" else ordered


# --- GitHub -------------------------------------------------------------------------------------
def github(sw: SampleWorldServer, method: str, path: str, params: dict, body: bytes, headers) -> Response:
    api = sw.base_url + "/github"
    if path.rstrip("/") == "/rate_limit":
        sw.count("github", "rate_limit", budget=False)
        return _json(_rate_limit_doc(sw), **sw.github_headers())
    if method == "POST" and path.rstrip("/") == "/graphql":
        return _github_graphql(sw, body)
    kind, response = _github_rest(sw.index(), api, path, params)
    etag = 'W/"' + hashlib.sha256(response.body).hexdigest() + '"'
    if response.status == 200 and headers.get("If-None-Match") == etag:
        sw.count("github", "not_modified", budget=False)
        return Response(304, b"", JSON_TYPE, {"ETag": etag, **sw.github_headers()}, counted=False)
    sw.count("github", kind)
    sw.github_spend("core")
    extra = {"ETag": etag} if response.status == 200 else {}
    response.headers.update({**sw.github_headers(), **extra, "X-GitHub-Media-Type": "github.v3; format=json"})
    return response


def _rate_limit_doc(sw: SampleWorldServer) -> dict:
    def res(name: str) -> dict:
        h = sw.github_headers(name)
        return {"limit": GITHUB_LIMIT, "used": int(h["X-RateLimit-Used"]),
                "remaining": int(h["X-RateLimit-Remaining"]), "reset": sw.rate_reset_epoch}
    return {"resources": {"core": res("core"), "graphql": res("graphql"), "search": res("search")},
            "rate": res("core")}


def _github_graphql(sw: SampleWorldServer, body: bytes) -> Response:
    """User batches count as ``github:graphql``, repository-languages batches as
    ``github:graphql_languages``; both spend the GraphQL budget, as on GitHub."""
    try:
        query = json.loads(body or b"{}").get("query", "")
    except (ValueError, AttributeError):
        query = None
    if not isinstance(query, str):
        query = None
    has_users, has_repos = GH.has_user_query(query or ""), GH.has_repo_query(query or "")
    sw.count("github", "graphql_languages" if has_repos and not has_users else "graphql")
    sw.github_spend("graphql")
    headers = sw.github_headers("graphql")
    if query is None:
        return _json({"message": "Problems parsing JSON", "documentation_url": GH.DOCS}, 400, **headers)
    if not (has_users or has_repos):
        return _json({"errors": [{"message": "This sample server answers only user(login:) and "
                                             "repository(owner:, name:) { languages } batches."}]}, 200, **headers)
    index = sw.index()
    return _json(GH.graphql_answer(query, lambda login: index.users.get(login.lower()),
                                   lambda full: index.repos.get(full.lower())), 200, **headers)


def _github_rest(index: _Index, api: str, path: str, params: dict) -> tuple[str, Response]:
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[0] == "repos":
        return _github_repo_routes(index, api, parts, params)
    if len(parts) == 2 and parts[0] == "users":
        user = index.users.get(parts[1].lower())
        return "user", (_json(GH.user_json(api, user)) if user else _json(GH.not_found(), 404))
    if len(parts) == 3 and parts[0] == "users" and parts[2] == "repos":
        repos = index.user_repos.get(parts[1].lower())
        return "user_repos", _list_page(index, api, path, params, repos) if parts[1].lower() in index.users \
            else _json(GH.not_found(), 404)
    if len(parts) == 3 and parts[0] == "orgs" and parts[2] == "repos":
        repos = index.org_repos.get(parts[1].lower())
        return "org_repos", _list_page(index, api, path, params, repos) if repos else _json(GH.not_found(), 404)
    if len(parts) == 2 and parts[0] == "orgs":
        repos = index.org_repos.get(parts[1].lower())
        return "org", (_json(GH.org_json(api, repos[0].owner, index.user_id(repos[0].owner), len(repos)))
                       if repos else _json(GH.not_found(), 404))
    return "other", _json(GH.not_found(), 404)


def _github_repo_routes(index: _Index, api: str, parts: list[str], params: dict) -> tuple[str, Response]:
    repo = index.repos.get(f"{parts[1]}/{parts[2]}".lower())
    tail = parts[3] if len(parts) > 3 else ""
    kind = {"": "repo", "contributors": "contributors", "languages": "languages", "topics": "topics"}.get(tail, "other")
    if repo is None or kind == "other" or len(parts) > 4:
        return kind, _json(GH.not_found(), 404)
    if kind == "repo":
        return kind, _json(GH.repo_json(api, repo, index.user_id(repo.owner), index.pushed_at(repo)))
    if kind == "languages":
        return kind, _json(dict(sorted(repo.languages.items(), key=lambda kv: -kv[1])))
    if kind == "topics":
        return kind, _json({"names": list(repo.topics)})
    return kind, _paged(f"{api}/repos/{repo.full_name}/contributors", params, index.contributors(repo),
                        lambda c: GH.contributor_json(api, c.login, index.user_id(c.login), c.contributions))


def _list_page(index: _Index, api: str, path: str, params: dict, repos: list[Repo] | None) -> Response:
    return _paged(api + path.rstrip("/"), params, repos or [],
                  lambda r: GH.repo_json(api, r, index.user_id(r.owner), index.pushed_at(r)))


def _paged(url_base: str, params: dict, items: list, render) -> Response:
    """GitHub page-number pagination: ``per_page`` (default 30, max 100) and
    ``page``; only the page's own items are rendered (an org of 1,000 repos
    is asked for page by page)."""
    try:
        per_page = min(100, max(1, int(params.get("per_page", 30))))
        page = max(1, int(params.get("page", 1)))
    except ValueError:
        return _json({"message": "Invalid request.", "documentation_url": GH.DOCS}, 422)
    last = max(1, -(-len(items) // per_page))
    keep = {k: v for k, v in params.items() if k not in ("page",)}
    response = _json([render(item) for item in items[(page - 1) * per_page: page * per_page]])
    link = GH.link_header(url_base, keep, page, last)
    if link:
        response.headers["Link"] = link
    return response


# --- conferences -----------------------------------------------------------------------------------
def conference(sw: SampleWorldServer, upstream: str, rest: str, params: dict, headers=None) -> Response:
    """A programme page with an ETag computed from its body; 304 to a matching
    ``If-None-Match``.  A 304 is still a request (counted in the upstream's total
    and its path kind) and is also counted as ``"<upstream>:not_modified"``.
    A page is rendered once per programme version (`_Index`)."""
    index, parts = sw.index(), [p for p in rest.split("/") if p]
    kind, view = _conference_route(index, upstream, parts)
    sw.count(upstream, kind)
    if view is None:
        return _conference_missing(upstream, kind)
    response, etag = _rendered_page(view, sw.base_url, upstream, parts, params)
    if response.status != 200:
        return response
    if etag in _if_none_match(headers):
        sw.count(upstream, "not_modified", budget=False)
        return Response(304, b"", response.content_type, {"ETag": etag})
    response.headers["ETag"] = etag
    return response


def _if_none_match(headers) -> set[str]:
    """The entity tags of an ``If-None-Match`` header (weak ones compare by their opaque tag)."""
    value = headers.get("If-None-Match", "") if headers is not None else ""
    return {tag.strip().removeprefix("W/") for tag in value.split(",") if tag.strip()}


def _conference_route(index: _Index, upstream: str, parts: list[str]) -> tuple[str, "_ConfView | None"]:
    """The request's path kind (as counted) and the programme it reads (None: unknown)."""
    views = index.conferences
    if upstream == "pretalx" and len(parts) >= 3 and parts[:2] == ["api", "events"]:
        return (parts[3] if len(parts) > 3 else "event"), views.get(("pretalx", parts[2]))
    if upstream == "sessionize" and len(parts) == 5 and parts[0] == "api" and parts[3] == "view":
        return parts[4].lower(), views.get(("sessionize", parts[2]))
    if upstream == "html" and len(parts) == 2 and parts[1] == "speakers.html":
        return "page", views.get(("html", parts[0]))
    if upstream == "pyvideo" and len(parts) == 1 and parts[0].endswith(".json"):
        return "archive", views.get(("pyvideo", parts[0][:-5]))
    return "other", None


def _conference_missing(upstream: str, kind: str) -> Response:
    if upstream == "pretalx" and kind != "other":
        return _json({"detail": "Not found."}, 404)
    if upstream == "sessionize" and kind != "other":
        return Response(404, b"Not found", "text/plain; charset=utf-8")
    return Response(404, b"<h1>Not Found</h1>", "text/html; charset=utf-8")


def _rendered_page(view: _ConfView, base_url: str, upstream: str, parts: list[str],
                   params: dict) -> tuple[Response, str]:
    """A fresh copy of the page's answer (the caller and faults may change it) and its ETag."""
    key = (upstream, tuple(parts), tuple(sorted(params.items())))
    cached = view.pages.get(key)
    if cached is None:
        response = _conference_page(view, base_url, upstream, parts, params)
        cached = (response, '"' + hashlib.sha256(response.body).hexdigest()[:40] + '"')
        view.pages[key] = cached
    response, etag = cached
    return Response(response.status, response.body, response.content_type, dict(response.headers)), etag


def _conference_page(view: _ConfView, base_url: str, upstream: str, parts: list[str], params: dict) -> Response:
    if upstream == "pretalx":
        return _pretalx(view, base_url + "/pretalx/" + "/".join(parts[:4]) + "/", parts, params)
    if upstream == "sessionize":
        return _sessionize(view, parts[4])
    if upstream == "html":
        return Response(200, CF.html_page(view.conf, view.talks, view.speakers), "text/html; charset=utf-8")
    return _json(CF.pyvideo_talks(view.conf, view.talks, view.speaker_by_key | _all_speakers(view)))


def _all_speakers(view: _ConfView) -> dict:
    return {s.key: s for s in view.conf.speakers}


def _pretalx(view: _ConfView, page_url: str, parts: list[str], params: dict) -> Response:
    if len(parts) == 3:
        return _json({"name": {"en": view.conf.title}, "slug": view.conf.slug, "date_from": view.conf.start_date,
                      "is_public": True, "timezone": "Europe/Berlin"})
    endpoint = parts[3]
    if endpoint not in ("speakers", "talks", "submissions"):
        return _json({"detail": "Not found."}, 404)
    items = view.rendered.get(endpoint)
    if items is None:  # rendering every item for every page made a 25k-speaker event quadratic
        if endpoint == "speakers":
            items = [CF.pretalx_speaker(s, view.talks_of.get(s.key, [])) for s in view.speakers]
        else:
            items = [CF.pretalx_talk(t, view.speaker_by_key) for t in view.talks]
        view.rendered[endpoint] = items
    if len(parts) == 5:  # single object by code
        match = [i for i in items if i["code"] == parts[4]]
        return _json(match[0]) if match else _json({"detail": "Not found."}, 404)
    envelope, offset, limit = CF.paginate(items, params, page_url)
    return _json({**envelope, "results": items[offset:offset + limit]})


def _sessionize(view: _ConfView, view_name: str) -> Response:
    doc = CF.sessionize_all(view.conf, view.talks, view.speakers)
    name = view_name.lower()
    if name == "all":
        return _json(doc)
    if name == "speakers":
        return _json(CF.sessionize_speakers_view(doc))
    if name == "sessions":
        return _json(CF.sessionize_sessions_view(doc))
    return Response(404, b"Not found", "text/plain; charset=utf-8")


# --- Hugging Face Hub -------------------------------------------------------------------------------
def hub(sw: SampleWorldServer, rest: str, pairs: list[tuple[str, str]]) -> Response:
    """``/hf/api/{models,datasets,spaces}`` listings, single repos and profile overviews.

    ``expand`` arrives repeated (``expand=a&expand=b``), hence the pair list."""
    parts = [p for p in rest.split("/") if p]
    params = {k: v for k, v in pairs if k != "expand"}
    expand = [v for k, v in pairs if k == "expand"]
    repos = _hub_repos(sw)
    if len(parts) == 2 and parts[0] == "api" and parts[1] in ("models", "datasets", "spaces"):
        sw.count("hf", parts[1])
        return _hub_listing(sw, parts[1], params, expand, repos)
    if len(parts) == 4 and parts[0] == "api" and parts[1] in ("models", "datasets", "spaces"):
        sw.count("hf", parts[1][:-1])
        match = [r for r in repos if r["_type"] == parts[1][:-1] and r["id"].lower() == f"{parts[2]}/{parts[3]}".lower()]
        return _json(HF.render(match[0], [])) if match else _json({"error": "Repository not found"}, 404)
    if len(parts) == 4 and parts[0] == "api" and parts[1] == "users" and parts[3] == "overview":
        sw.count("hf", "user")
        accounts = {a.username.lower(): a for a in HF.hub_accounts(sw.world)}
        account = accounts.get(parts[2].lower())
        return _json(HF.user_overview(account)) if account else _json({"error": "User not found"}, 404)
    if len(parts) == 4 and parts[0] == "api" and parts[1] == "organizations" and parts[3] == "overview":
        sw.count("hf", "organization")
        return _json(HF.org_overview()) if parts[2].lower() == HF.ORG else _json({"error": "Org not found"}, 404)
    sw.count("hf", "other")
    return _json({"error": "Not Found"}, 404)


def _hub_repos(sw: SampleWorldServer) -> list[dict]:
    cached = getattr(sw, "_hub_cache", None)
    if cached is None:
        cached = sw._hub_cache = HF.all_repos(sw.world)
    return cached


def _hub_listing(sw: SampleWorldServer, kind: str, params: dict, expand: list[str], repos: list[dict]) -> Response:
    try:
        items, link = HF.page(HF.listing(repos, kind[:-1], params), params, f"{sw.base_url}/hf/api/{kind}", expand)
    except ValueError:
        return _json({"error": "Invalid limit or cursor"}, 400)
    return _json(items, **({"Link": link} if link else {}))
