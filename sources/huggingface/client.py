"""The `huggingface_hub` client, configured for a nightly batch job.

Why a custom transport: `huggingface_hub` 2.x lists repos with
``timeout=None`` (no timeout at all), honours any ``Retry-After`` however
long and reads any body whole into memory.  The transport below puts an
explicit timeout on every request, turns a rate-limit wait longer than
``max_wait_seconds`` into `RateLimited` at once, so a night never hangs on
the Hub, and cuts a body off at ``max_bytes`` with a `ParseError` (which
`huggingface_hub` does not retry: it retries only timeouts, network errors
and some statuses).  No token is ever sent (public
data only), and telemetry is switched off before the library is imported.
"""
from __future__ import annotations

import logging
import os
import zlib

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")

import httpx2  # noqa: E402  (installed with huggingface_hub)
import huggingface_hub  # noqa: E402
from huggingface_hub import HfApi  # noqa: E402

from sources.errors import ParseError, RateLimited  # noqa: E402
from sources.huggingface.settings import HuggingfaceSettings  # noqa: E402

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024
_GZIP = ("gzip", "x-gzip")


class _BoundedTransport(httpx2.HTTPTransport):
    """Every request gets our timeout; long rate-limit waits fail fast; bodies are capped."""

    def __init__(self, timeout: float, max_wait: float, max_bytes: int) -> None:
        super().__init__()
        self._timeout = httpx2.Timeout(timeout).as_dict()
        self._max_wait = max_wait
        self._max_bytes = max_bytes

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.extensions["timeout"] = self._timeout
        request.headers["Accept-Encoding"] = "gzip"  # the one coding _CappedStream decodes
        response = super().handle_request(request)
        if response.status_code == 429:
            wait = _retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > self._max_wait:
                response.close()
                raise RateLimited(f"huggingface: rate limited on {request.url.path}, "
                                  f"Retry-After {wait:.0f}s exceeds max_wait_seconds {self._max_wait:.0f}")
        _cap_body(response, f"huggingface: {request.url.path}", self._max_bytes)
        return response


def _cap_body(response: httpx2.Response, where: str, max_bytes: int) -> None:
    """Refuse a declared Content-Length over the cap; else wrap the stream so
    reading stops once the decoded body passes it."""
    declared = (response.headers.get("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        response.close()
        raise ParseError(f"{where}: declared body of {declared} bytes exceeds max_bytes={max_bytes}")
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding not in _GZIP + ("identity",):
        response.close()
        raise ParseError(f"{where}: unrequested Content-Encoding {encoding[:40]!r}")
    response.stream = _CappedStream(response.stream, where, max_bytes, gzipped=encoding in _GZIP)
    if encoding in _GZIP:  # decoded here: httpx must not decode again
        del response.headers["Content-Encoding"]
        response.headers.pop("Content-Length", None)


class _CappedStream(httpx2.SyncByteStream):
    """A response body read in chunks, gunzipped here so the count is what
    lands in memory (a small gzip body can inflate a thousandfold), and
    stopped with `ParseError` as soon as it passes ``max_bytes``."""

    def __init__(self, inner: httpx2.SyncByteStream, where: str, max_bytes: int, gzipped: bool) -> None:
        self._inner = inner
        self._where = where
        self._max_bytes = max_bytes
        self._decoder = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16) if gzipped else None

    def __iter__(self):
        total = 0
        for chunk in self._decoded():
            total += len(chunk)
            if total > self._max_bytes:
                raise ParseError(f"{self._where}: body exceeds max_bytes={self._max_bytes} (stopped reading)")
            yield chunk

    def _decoded(self):
        for raw in self._inner:
            yield from (self._gunzip(raw) if self._decoder is not None else (raw,))
        if self._decoder is not None:
            yield from self._gunzip(b"", final=True)

    def _gunzip(self, raw: bytes, final: bool = False):
        """At most ``_CHUNK`` decoded bytes at a time, whatever the compression ratio."""
        try:
            while raw:
                yield self._decoder.decompress(raw, _CHUNK)
                raw = self._decoder.unconsumed_tail
            if final:
                yield self._decoder.flush()
        except zlib.error as exc:
            raise ParseError(f"{self._where}: body is not valid gzip ({exc})") from None

    def close(self) -> None:
        self._inner.close()


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def make_api(settings: HuggingfaceSettings) -> HfApi:
    """An `HfApi` bound to ``settings.endpoint`` whose shared HTTP client is bounded.

    `huggingface_hub` keeps one process-wide client; installing our factory
    replaces it (the pipeline is its only user in this process)."""
    def factory() -> httpx2.Client:
        return httpx2.Client(
            transport=_BoundedTransport(settings.timeout_seconds, settings.max_wait_seconds,
                                        settings.max_bytes),
            event_hooks={"request": [huggingface_hub.utils._http.hf_request_event_hook]},
            follow_redirects=True,
        )

    huggingface_hub.set_client_factory(factory)
    return HfApi(endpoint=settings.endpoint, token=False, library_name="talent-signals")
