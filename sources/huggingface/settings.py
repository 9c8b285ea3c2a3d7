"""Settings of the Hugging Face Hub source, validated from ``[sources.huggingface]``.

Keys: ``endpoint`` (default ``https://huggingface.co``; the sample world's
server for offline runs), ``authors`` (users or organisations whose repos are
read), ``searches`` (free-text Hub searches), ``tasks`` (pipeline tags, models
only), ``repo_types`` (subset of model/dataset/space), ``max_per_query``
(repos per author/search/task and type: the Hub lists are unbounded),
``max_profiles`` (profile look-ups per night, one request each),
``timeout_seconds``, ``max_wait_seconds`` (longest rate-limit wait accepted),
``max_bytes`` (cap on one response body, counted after gzip decoding).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sources.settings_common import byte_cap, check_table, integer, positive_number, text_list

REPO_TYPES = ("model", "dataset", "space")
DEFAULT_ENDPOINT = "https://huggingface.co"
# One listing page holds up to 1,000 repos with their card metadata (cards are
# user-written, unbounded): 64 MiB allows 64 KB per repo on average and still
# stops a runaway or hostile body before it fills memory.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_KEYS = ("endpoint", "authors", "searches", "tasks", "repo_types", "max_per_query", "max_profiles",
         "timeout_seconds", "max_wait_seconds", "max_bytes")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


@dataclass(frozen=True, slots=True)
class HuggingfaceSettings:
    """What to read from the Hub and how patiently."""

    endpoint: str = DEFAULT_ENDPOINT
    authors: tuple[str, ...] = ()
    searches: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    repo_types: tuple[str, ...] = REPO_TYPES
    max_per_query: int = 200
    max_profiles: int = 500
    timeout_seconds: float = 20.0
    max_wait_seconds: float = 60.0
    max_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_dict(cls, name: str, d: dict[str, Any]) -> "HuggingfaceSettings":
        """Build from a TOML table; raise ValueError ``"sources.huggingface.<key>: ..."``."""
        key = "sources.huggingface"
        check_table(key, d, _KEYS)
        settings = cls(
            endpoint=_endpoint(key, d.get("endpoint", DEFAULT_ENDPOINT)),
            authors=_names(key, "authors", d.get("authors", [])),
            searches=text_list(key, "searches", d.get("searches", [])),
            tasks=_names(key, "tasks", d.get("tasks", [])),
            repo_types=_repo_types(key, d.get("repo_types", list(REPO_TYPES))),
            max_per_query=integer(key, "max_per_query", d.get("max_per_query", 200), 1, 10_000),
            max_profiles=integer(key, "max_profiles", d.get("max_profiles", 500), 0, 100_000),
            timeout_seconds=positive_number(key, "timeout_seconds", d.get("timeout_seconds", 20.0)),
            max_wait_seconds=positive_number(key, "max_wait_seconds", d.get("max_wait_seconds", 60.0)),
            max_bytes=byte_cap(key, d.get("max_bytes", DEFAULT_MAX_BYTES)),
        )
        if not (settings.authors or settings.searches or settings.tasks):
            raise ValueError(f"{key}.authors: give at least one of authors, searches or tasks")
        return settings


def _endpoint(key: str, value: Any) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{key}.endpoint: must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _names(key: str, option: str, value: Any) -> tuple[str, ...]:
    names = text_list(key, option, value)
    for name in names:
        if not _NAME.match(name):
            raise ValueError(f"{key}.{option}: {name!r} is not a Hub name (letters, digits, . _ -)")
    return names


def _repo_types(key: str, value: Any) -> tuple[str, ...]:
    types = text_list(key, "repo_types", value)
    bad = [t for t in types if t not in REPO_TYPES]
    if bad or not types:
        raise ValueError(f"{key}.repo_types: must be a non-empty subset of {', '.join(REPO_TYPES)}, got {value!r}")
    return types
