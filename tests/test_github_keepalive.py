"""The probe's keep-alive HTTP reader (sources/github/keepalive.py).

What a user relies on: a quiet night's 304s and a changed resource's 200 are
read right whatever framing the server uses (Content-Length, chunked, close);
a connection the server dropped while idle costs a retry, not a failure; an
answer it cannot read (a garbled status line, a cut-off body, endless
headers) is an error the probe hands to PyGithub, never a wrong answer; a
body over the cap is refused; a request is never split by a hostile target
or header value.
"""
from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

import pytest

from sources.github.keepalive import BodyTooLarge, KeepAlivePool, ProtocolError


@contextmanager
def raw_server(answers: list[bytes], *, close_after_each: bool = False):
    """A socket server answering each request (read up to its blank line) with
    the next of ``answers``; records the raw requests and connections."""
    listener = socket.create_server(("127.0.0.1", 0))
    seen = {"requests": [], "connections": 0}
    pending = list(answers)

    def serve_connection(conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while pending:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                request, buffer = buffer.split(b"\r\n\r\n", 1)
                seen["requests"].append(request.decode("latin-1"))
                conn.sendall(pending.pop(0))
                if close_after_each:
                    return

    def accept_loop() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            seen["connections"] += 1
            threading.Thread(target=serve_connection, args=(conn,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    try:
        yield listener.getsockname()[1], seen
    finally:
        listener.close()


def pool_for(port: int, size: int = 2) -> KeepAlivePool:
    return KeepAlivePool("http", "127.0.0.1", port, timeout=5, tls=None, size=size)


NOT_MODIFIED = b'HTTP/1.1 304 Not Modified\r\nETag: "e1"\r\nX-RateLimit-Remaining: 4999\r\n\r\n'


def test_304s_reuse_one_connection_and_send_the_headers():
    with raw_server([NOT_MODIFIED] * 3) as (port, seen):
        pool = pool_for(port)
        answers = [pool.get("/repos/a/b?x=1", {"If-None-Match": '"e1"', "Authorization": "token t"}, 1000)
                   for _ in range(3)]
        pool.close()
    assert [a.status for a in answers] == [304] * 3
    assert answers[0].headers["etag"] == '"e1"' and answers[0].headers["x-ratelimit-remaining"] == "4999"
    assert seen["connections"] == 1
    first = seen["requests"][0].split("\r\n")
    assert first[0] == "GET /repos/a/b?x=1 HTTP/1.1"
    assert f"Host: 127.0.0.1:{port}" in first and 'If-None-Match: "e1"' in first


@pytest.mark.parametrize("answer", [
    b'HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{"id": "abc"}',
    b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"id"\r\n8\r\n: "abc"}\r\n0\r\n\r\n',
])
def test_a_200_body_is_read_whole_in_either_framing(answer):
    with raw_server([answer, NOT_MODIFIED]) as (port, seen):
        pool = pool_for(port)
        got = pool.get("/repos/a/b", {}, 1000)
        after = pool.get("/repos/a/b", {}, 1000)   # the connection is clean for the next request
        pool.close()
    assert got.status == 200 and got.body == b'{"id": "abc"}'
    assert after.status == 304 and seen["connections"] == 1


def test_a_body_ended_by_closing_is_read_and_the_connection_not_reused():
    with raw_server([b'HTTP/1.1 200 OK\r\n\r\n{"id": 1}', NOT_MODIFIED], close_after_each=True) as (port, seen):
        pool = pool_for(port)
        assert pool.get("/r", {}, 1000).body == b'{"id": 1}'
        assert pool.get("/r", {}, 1000).status == 304
        pool.close()
    assert seen["connections"] == 2


def test_a_connection_the_server_dropped_while_idle_is_replaced():
    with raw_server([NOT_MODIFIED, NOT_MODIFIED], close_after_each=True) as (port, seen):
        pool = pool_for(port)
        assert pool.get("/r", {}, 1000).status == 304
        assert pool.get("/r", {}, 1000).status == 304   # the idle socket was closed: sent again on a new one
        pool.close()
    assert seen["connections"] == 2


@pytest.mark.parametrize("answer", [
    b"SMTP ready\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"cut\": ",
    b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n{}",
    b"HTTP/1.1 200 OK\r\n" + b"X-Many: 1\r\n" * 150 + b"\r\n",
    b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
])
def test_an_answer_it_cannot_read_is_an_error_not_a_wrong_answer(answer):
    with raw_server([answer], close_after_each=True) as (port, _):
        pool = pool_for(port)
        with pytest.raises((ProtocolError, OSError)):
            pool.get("/r", {}, 1000)
        assert pool._idle.qsize() == 0   # a half-read connection is never reused
        pool.close()


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + b"x" * 2048 + b"\r\n0\r\n\r\n",
])
def test_a_body_over_the_cap_is_refused(answer):
    with raw_server([answer], close_after_each=True) as (port, _):
        pool = pool_for(port)
        with pytest.raises(BodyTooLarge, match="max_bytes=1000"):
            pool.get("/r", {}, 1000)
        pool.close()


@pytest.mark.parametrize("target, headers", [
    ("/repos/a/b\r\nX-Injected: 1", {}),
    ("/repos/a b", {}),
    ("/repos/a/b", {"If-None-Match": '"e"\r\nX-Injected: 1'}),
    ("/repos/ä/b", {}),
])
def test_a_target_or_header_that_would_split_the_request_is_refused(target, headers):
    with raw_server([NOT_MODIFIED]) as (port, seen):
        pool = pool_for(port)
        with pytest.raises(ProtocolError):
            pool.get(target, headers, 1000)
        pool.close()
    assert seen["requests"] == []


def test_another_status_comes_back_without_its_body_and_drops_the_connection():
    """A 503's error page is PyGithub's to read (the probe sends the request
    again there): it is not held to the probe's cap, nor left on a reused socket."""
    error = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000
    with raw_server([error, NOT_MODIFIED]) as (port, seen):
        pool = pool_for(port)
        answer = pool.get("/r", {}, 1000)
        assert answer.status == 503 and answer.body == b""
        assert pool.get("/r", {}, 1000).status == 304
        pool.close()
    assert seen["connections"] == 2
