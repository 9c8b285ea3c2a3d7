"""Settings of the Hugging Face Hub source, validated from ``[sources.huggingface]``.

Keys: ``endpoint`` (default ``https://huggingface.co``; the sample world's
server for offline runs), ``authors`` (users or organisations whose repos are
read), ``searches`` (free-text Hub searches), ``tasks`` (pipeline tags, models
only), ``repo_types`` (subset of model/dataset/space), ``max_per_query``
(repos per author/search/task and type: the Hub lists are unbounded),
``max_profiles`` (profile look-ups per night, one request each),
``timeout_seconds``, ``max_wait_seconds`` (longest rate-limit wait accepted).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

REPO_TYPES = ("model", "dataset", "space")
DEFAULT_ENDPOINT = "https://huggingface.co"
_KEYS = ("endpoint", "authors", "searches", "tasks", "repo_types", "max_per_query", "max_profiles",
         "timeout_seconds", "max_wait_seconds")
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

    @classmethod
    def from_dict(cls, name: str, d: dict[str, Any]) -> "HuggingfaceSettings":
        """Build from a TOML table; raise ValueError ``"sources.huggingface.<key>: ..."``."""
        key = "sources.huggingface"
        if not isinstance(d, dict):
            raise ValueError(f"{key}: must be a table, got {type(d).__name__}")
        unknown = sorted(set(d) - set(_KEYS))
        if unknown:
            raise ValueError(f"{key}.{unknown[0]}: unknown key (allowed: {', '.join(_KEYS)})")
        settings = cls(
            endpoint=_endpoint(key, d.get("endpoint", DEFAULT_ENDPOINT)),
            authors=_names(key, "authors", d.get("authors", [])),
            searches=_texts(key, "searches", d.get("searches", [])),
            tasks=_names(key, "tasks", d.get("tasks", [])),
            repo_types=_repo_types(key, d.get("repo_types", list(REPO_TYPES))),
            max_per_query=_int(key, "max_per_query", d.get("max_per_query", 200), 1, 10_000),
            max_profiles=_int(key, "max_profiles", d.get("max_profiles", 500), 0, 100_000),
            timeout_seconds=_positive(key, "timeout_seconds", d.get("timeout_seconds", 20.0)),
            max_wait_seconds=_positive(key, "max_wait_seconds", d.get("max_wait_seconds", 60.0)),
        )
        if not (settings.authors or settings.searches or settings.tasks):
            raise ValueError(f"{key}.authors: give at least one of authors, searches or tasks")
        return settings


def _endpoint(key: str, value: Any) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{key}.endpoint: must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _texts(key: str, option: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{key}.{option}: must be a list of non-empty strings, got {value!r}")
    return tuple(dict.fromkeys(v.strip() for v in value))


def _names(key: str, option: str, value: Any) -> tuple[str, ...]:
    names = _texts(key, option, value)
    for name in names:
        if not _NAME.match(name):
            raise ValueError(f"{key}.{option}: {name!r} is not a Hub name (letters, digits, . _ -)")
    return names


def _repo_types(key: str, value: Any) -> tuple[str, ...]:
    types = _texts(key, "repo_types", value)
    bad = [t for t in types if t not in REPO_TYPES]
    if bad or not types:
        raise ValueError(f"{key}.repo_types: must be a non-empty subset of {', '.join(REPO_TYPES)}, got {value!r}")
    return types


def _int(key: str, option: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{key}.{option}: must be an integer between {low} and {high}, got {value!r}")
    return value


def _positive(key: str, option: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{key}.{option}: must be a finite number greater than 0, got {value!r}")
    return float(value)
