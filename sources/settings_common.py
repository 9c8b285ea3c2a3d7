"""Checks shared by the sources' settings: one wording for one rule.

Every error is a one-line ValueError naming the key by its full TOML path,
so a typo in a nightly config stops the run before any request.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def http_base_url(name: str, value: Any) -> str:
    """A stripped http(s) base URL with a host and no query or fragment."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name}.base_url: must be a non-empty string, got {value!r}")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name}.base_url: must be an http(s) URL with a host, got {value!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"{name}.base_url: must not carry a query or fragment, got {value!r}")
    return value.strip()
