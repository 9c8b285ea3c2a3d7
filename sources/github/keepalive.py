"""A minimal HTTP/1.1 keep-alive GET for the probe's conditional requests.

Why: a quiet night sends one conditional GET per configured repository
(4,974 at 100k people) and almost all of them answer a bodiless 304.  Through
urllib3 each costs ≈ 0.75 ms of our CPU, and about half of that is
``http.client`` reading the response headers with the ``email`` package's
parser and urllib3 wrapping the result (a profile of a 10k quiet night).
The answer we need is three things: the status, a dozen headers, and for a
200 a small JSON body.  Reading exactly that off a persistent socket costs a
fraction of it.

What this reads, and nothing else: ``HTTP/1.x`` status line, headers (at
most `MAX_HEADERS` lines of at most `MAX_LINE` bytes), and for a 200 a body
framed by ``Content-Length`` or ``chunked`` (or, when neither is sent, by
the server closing the connection), within the caller's ``max_bytes``.  Any
other status comes back without its body and the connection is dropped.  Anything that
does not parse raises `ProtocolError`; the probe then sends the request
through PyGithub, whose retries and error mapping apply (probe.py).  A
connection is reused only when the answer was read whole and the server did
not ask to close it; a request on a reused connection that finds it closed
by the server (idle keep-alive timeout) is sent once more on a new one.
"""
from __future__ import annotations

import queue
import socket
import ssl
from dataclasses import dataclass
from typing import Iterable

MAX_LINE = 65_536
MAX_HEADERS = 100
_NO_BODY = (204, 304)


class ProtocolError(Exception):
    """An answer this module does not read (the caller falls back to PyGithub)."""


class BodyTooLarge(Exception):
    """A body over ``max_bytes``; the caller names the resource in its own error
    (client.ResponseTooLarge).  Shared by this reader and the Requester's hook."""


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


@dataclass
class Answer:
    status: int
    headers: dict[str, str]   # lower-cased names; a repeated header keeps its last value
    body: bytes


class _Connection:
    """One persistent socket to the origin, with a buffered reader."""

    def __init__(self, host: str, port: int, timeout: float, tls: ssl.SSLContext | None):
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = tls.wrap_socket(sock, server_hostname=host) if tls is not None else sock
        self.reader = self.sock.makefile("rb")
        self.reused = False

    def close(self) -> None:
        for closable in (self.reader, self.sock):
            try:
                closable.close()
            except OSError:
                pass

    def exchange(self, request: bytes, max_bytes: int) -> tuple[Answer, bool]:
        """Send one request; the answer and whether the connection may be reused."""
        try:
            self.sock.sendall(request)
            first = self._line(first=True)
        except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError) as exc:
            raise _Closed(f"connection closed by the server ({type(exc).__name__})") from None
        status, keep_alive = _status_line(first)
        headers = self._headers()
        if headers.get("connection", "").lower() == "close":
            keep_alive = False
        if status in _NO_BODY:
            return Answer(status, headers, b""), keep_alive
        if status != 200:   # the caller sends it again through PyGithub: its body is not read here,
            return Answer(status, headers, b""), False   # nor held to max_bytes, and the socket is dropped
        body, framed = self._body(headers, max_bytes)
        return Answer(status, headers, body), keep_alive and framed

    def _line(self, first: bool = False) -> bytes:
        line = self.reader.readline(MAX_LINE + 1)
        if not line:
            raise (_Closed if first else ProtocolError)("connection closed by the server")
        if len(line) > MAX_LINE:
            raise ProtocolError("header line too long")
        return line

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            line = self._line()
            if line in (b"\r\n", b"\n"):
                return headers
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep or not name or name != name.strip():
                raise ProtocolError(f"malformed header line {line[:80]!r}")
            headers[name.lower()] = value.strip()
        raise ProtocolError(f"more than {MAX_HEADERS} header lines")

    def _body(self, headers: dict[str, str], max_bytes: int) -> tuple[bytes, bool]:
        """The body and whether its end was framed (else the server closed after it)."""
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return self._chunked(max_bytes), True
        declared = headers.get("content-length")
        if declared is None:
            return self._until_closed(max_bytes), False
        if not declared.strip().isdigit():
            raise ProtocolError(f"bad Content-Length {declared[:40]!r}")
        refuse_declared(declared, max_bytes)
        return self._exactly(int(declared)), True

    def _exactly(self, size: int) -> bytes:
        data = self.reader.read(size)
        if len(data) != size:
            raise ProtocolError(f"body cut off after {len(data)} of {size} bytes")
        return data

    def _chunked(self, max_bytes: int) -> bytes:
        parts, total = [], 0
        while True:
            size_field = self._line().split(b";", 1)[0].strip()
            try:
                size = int(size_field, 16)
            except ValueError:
                raise ProtocolError(f"bad chunk size {size_field[:20]!r}") from None
            if size == 0:
                break
            total += size
            if total > max_bytes:
                raise BodyTooLarge(f"body exceeds max_bytes={max_bytes} (stopped reading)")
            parts.append(self._exactly(size))
            self._line()   # the CRLF after the chunk
        while self._line() not in (b"\r\n", b"\n"):   # trailers
            pass
        return b"".join(parts)

    def _until_closed(self, max_bytes: int) -> bytes:
        data = self.reader.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise BodyTooLarge(f"body exceeds max_bytes={max_bytes} (stopped reading)")
        return data


class _Closed(ProtocolError):
    """The server closed the connection before answering (a stale keep-alive)."""


def _status_line(line: bytes) -> tuple[int, bool]:
    """``HTTP/1.1 304 Not Modified`` -> (304, keep-alive by default)."""
    version, _, rest = line.decode("latin-1").strip().partition(" ")
    code = rest[:3]
    if version not in ("HTTP/1.1", "HTTP/1.0") or not code.isdigit():
        raise ProtocolError(f"malformed status line {line[:80]!r}")
    return int(code), version == "HTTP/1.1"


class KeepAlivePool:
    """Idle connections to one origin (``http`` or ``https``), reused last-in first-out."""

    def __init__(self, scheme: str, host: str, port: int | None, *, timeout: float,
                 tls: ssl.SSLContext | None, size: int):
        if scheme not in ("http", "https"):
            raise ValueError(f"scheme must be http or https, got {scheme!r}")
        self.host, self.timeout, self.size = host, timeout, size
        self.port = port or (443 if scheme == "https" else 80)
        self.tls = tls if scheme == "https" else None
        named = f"[{host}]" if ":" in host else host   # an IPv6 literal is bracketed in Host
        self.host_header = named if port is None else f"{named}:{port}"
        self._idle: queue.LifoQueue[_Connection] = queue.LifoQueue()

    def get(self, target: str, headers: dict[str, str], max_bytes: int) -> Answer:
        """One GET of ``target`` (path and query).  Raises `ProtocolError`,
        `BodyTooLarge` or ``OSError`` (the connection is then dropped)."""
        request = self._request(target, headers)
        connection = self._take()
        try:
            answer, keep = connection.exchange(request, max_bytes)
        except _Closed:
            connection.close()
            if not connection.reused:
                raise
            connection = self._new()   # the server dropped an idle connection: once more, fresh
            answer, keep = self._exchange_or_close(connection, request, max_bytes)
        except BaseException:
            connection.close()
            raise
        self._give_back(connection, keep)
        return answer

    def _exchange_or_close(self, connection: _Connection, request: bytes, max_bytes: int) -> tuple[Answer, bool]:
        try:
            return connection.exchange(request, max_bytes)
        except BaseException:
            connection.close()
            raise

    def _request(self, target: str, headers: dict[str, str]) -> bytes:
        """The request bytes; refuses a target or header that would split the request."""
        lines = [f"GET {target} HTTP/1.1", f"Host: {self.host_header}", "Accept-Encoding: identity",
                 *(f"{name}: {value}" for name, value in headers.items())]
        text = "\r\n".join(lines)
        if not text.isascii() or any(ch in target for ch in " \t") or any(
                ch in value for value in (target, *headers.keys(), *headers.values()) for ch in "\r\n\0"):
            raise ProtocolError("a request target or header this module does not send (non-ASCII, space, CR/LF)")
        return (text + "\r\n\r\n").encode("ascii")

    def _take(self) -> _Connection:
        try:
            connection = self._idle.get_nowait()
        except queue.Empty:
            return self._new()
        connection.reused = True
        return connection

    def _new(self) -> _Connection:
        return _Connection(self.host, self.port, self.timeout, self.tls)

    def _give_back(self, connection: _Connection, keep: bool) -> None:
        if keep and self._idle.qsize() < self.size:
            self._idle.put(connection)
        else:
            connection.close()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


def tls_context(verify: str | bool) -> ssl.SSLContext:
    """``verify`` as requests means it: a CA bundle path, True (certifi's, else
    the system store), or False (no verification)."""
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    try:
        import certifi
        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()
