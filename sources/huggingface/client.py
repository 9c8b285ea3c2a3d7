"""The `huggingface_hub` client, configured for a nightly batch job.

Why a custom transport: `huggingface_hub` 2.x lists repos with
``timeout=None`` (no timeout at all) and honours any ``Retry-After`` however
long.  The transport below puts an explicit timeout on every request and
turns a rate-limit wait longer than ``max_wait_seconds`` into `RateLimited`
at once, so a night never hangs on the Hub.  No token is ever sent (public
data only), and telemetry is switched off before the library is imported.
"""
from __future__ import annotations

import logging
import os

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")

import httpx2  # noqa: E402  (installed with huggingface_hub)
import huggingface_hub  # noqa: E402
from huggingface_hub import HfApi  # noqa: E402

from sources.errors import RateLimited  # noqa: E402
from sources.huggingface.settings import HuggingfaceSettings  # noqa: E402

logger = logging.getLogger(__name__)


class _BoundedTransport(httpx2.HTTPTransport):
    """Every request gets our timeout; long rate-limit waits fail fast."""

    def __init__(self, timeout: float, max_wait: float) -> None:
        super().__init__()
        self._timeout = httpx2.Timeout(timeout).as_dict()
        self._max_wait = max_wait

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.extensions["timeout"] = self._timeout
        response = super().handle_request(request)
        if response.status_code == 429:
            wait = _retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > self._max_wait:
                response.close()
                raise RateLimited(f"huggingface: rate limited on {request.url.path}, "
                                  f"Retry-After {wait:.0f}s exceeds max_wait_seconds {self._max_wait:.0f}")
        return response


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
            transport=_BoundedTransport(settings.timeout_seconds, settings.max_wait_seconds),
            event_hooks={"request": [huggingface_hub.utils._http.hf_request_event_hook]},
            follow_redirects=True,
        )

    huggingface_hub.set_client_factory(factory)
    return HfApi(endpoint=settings.endpoint, token=False, library_name="talent-signals")
