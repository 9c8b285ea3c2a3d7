"""Checks shared by the sources' settings: one wording for one rule.

Every error is a one-line ValueError naming the key by its full TOML path,
so a typo in a nightly config stops the run before any request.  ``name`` is
always that path's prefix (``sources.arxiv``, ``sources.conferences[pycon]``).
"""
from __future__ import annotations

import math
from typing import Any, Iterable
from urllib.parse import urlsplit

MIN_MAX_BYTES = 1024  # a smaller response cap would refuse even an error page


def table_path(name: str) -> str:
    """``"arxiv"`` or ``"sources.arxiv"`` -> ``"sources.arxiv"`` (messages use the full path)."""
    return name if name.startswith("sources.") else f"sources.{name}"


def check_table(name: str, d: Any, allowed: Iterable[str]) -> None:
    """The value is a TOML table whose keys are all in ``allowed`` (a typo is not ignored)."""
    if not isinstance(d, dict):
        raise ValueError(f"{name}: must be a table, got {type(d).__name__}")
    allowed = tuple(allowed)
    unknown = sorted(set(d) - set(allowed))
    if unknown:
        raise ValueError(f"{name}.{unknown[0]}: unknown key (allowed: {', '.join(allowed)})")


def integer(name: str, key: str, value: Any, low: int, high: int | None = None) -> int:
    """An int (not a bool, not a float) in ``low..high`` (``high`` None: no upper bound)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}.{key}: must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name}.{key}: must be {bound}, got {value}")
    return value


def byte_cap(name: str, value: Any) -> int:
    """The response size cap ``max_bytes``: an integer of at least 1 KiB."""
    return integer(name, "max_bytes", value, MIN_MAX_BYTES)


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def positive_number(name: str, key: str, value: Any) -> float:
    """A finite int or float > 0 (timeouts, waits): 0, NaN and inf are mistakes."""
    if not _is_number(value) or not value > 0:
        raise ValueError(f"{name}.{key}: must be a finite number greater than 0, got {value!r}")
    return float(value)


def non_negative_number(name: str, key: str, value: Any) -> float:
    """A finite int or float >= 0 (delays, where 0 means none)."""
    if not _is_number(value) or not value >= 0:
        raise ValueError(f"{name}.{key}: must be a finite number >= 0, got {value!r}")
    return float(value)


def text_list(name: str, key: str, value: Any) -> tuple[str, ...]:
    """A list of non-empty strings, stripped, duplicates dropped (first kept)."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{name}.{key}: must be a list of non-empty strings, got {value!r}")
    return tuple(dict.fromkeys(v.strip() for v in value))


def optional_text(name: str, key: str, value: Any) -> str | None:
    """Absent -> None; else a non-empty string, stripped."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name}.{key}: must be a non-empty string, got {value!r}")
    return value.strip()


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
