"""Settings of one conference source, validated from a ``[[sources.conferences]]`` table.

Why validate here: a typo in a nightly config should fail at start-up with a
one-line message naming the key, not half-way through a night.

Keys (all formats): ``name`` (identifier, also the warehouse ``source``),
``format`` (pretalx | sessionize | pyvideo | html | papers), ``url`` (http(s) URL or
local path), ``event`` (pretalx: the event slug in API mode; otherwise an
event label stored on talks), ``date`` (ISO date used for talks whose format
carries none, e.g. a speaker page), ``timeout_seconds``, ``max_bytes``,
``retries``.  Format options: ``talks_url`` (pretalx file mode: the talks
file), ``page_size`` (pretalx API ``limit``), ``selectors`` (html).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import soupsieve

from sources.http import DEFAULT_MAX_BYTES
from sources.settings_common import byte_cap, check_table, integer, optional_text, positive_number

FORMATS = ("pretalx", "sessionize", "pyvideo", "html", "papers")
HTML_SELECTOR_KEYS = ("speaker", "name", "affiliation", "tagline", "bio", "links", "talk_title", "key", "key_attr")
_KEYS = (
    "name", "format", "url", "event", "date", "timeout_seconds", "max_bytes", "retries",
    "talks_url", "page_size", "selectors",
)
_FORMAT_ONLY = {"talks_url": ("pretalx",), "page_size": ("pretalx",), "selectors": ("html",)}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True, slots=True)
class ConferenceSettings:
    """Where one conference's speakers and talks come from and in which format."""

    name: str
    format: str
    url: str
    event: str | None = None
    date: date | None = None
    talks_url: str | None = None
    timeout_seconds: float = 30.0
    max_bytes: int = DEFAULT_MAX_BYTES
    retries: int = 3
    page_size: int = 100
    selectors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, name: str, d: dict[str, Any]) -> "ConferenceSettings":
        """Build from a TOML table; raise ValueError ``"sources.conferences[<name>].<key>: ..."``."""
        key = f"sources.conferences[{d.get('name') or name}]" if isinstance(d, dict) else f"sources.conferences[{name}]"
        check_table(key, d, _KEYS)
        fmt = _format(key, d.get("format"))
        _check_format_only(key, d, fmt)
        url = _location(key, "url", d.get("url"), required=True)
        settings = cls(
            name=_name(key, d.get("name", name)),
            format=fmt,
            url=url,
            event=optional_text(key, "event", d.get("event")),
            date=_date(key, d.get("date")),
            talks_url=_location(key, "talks_url", d.get("talks_url"), required=False),
            timeout_seconds=positive_number(key, "timeout_seconds", d.get("timeout_seconds", 30.0)),
            max_bytes=byte_cap(key, d.get("max_bytes", DEFAULT_MAX_BYTES)),
            retries=integer(key, "retries", d.get("retries", 3), 0, 10),
            page_size=integer(key, "page_size", d.get("page_size", 100), 1, 1000),
            selectors=_selectors(key, d.get("selectors"), fmt),
        )
        if settings.is_pretalx_api() and not settings.event:
            raise ValueError(f"{key}.event: required for a pretalx API url (the event slug, e.g. 'juliacon2023')")
        return settings

    def is_pretalx_api(self) -> bool:
        """pretalx API mode: an http(s) instance URL, not a ``.json`` export, no ``talks_url``."""
        path = urlsplit(self.url).path.lower()
        return (self.format == "pretalx" and self.talks_url is None
                and urlsplit(self.url).scheme.lower() in ("http", "https")
                and not path.endswith((".json", ".jsonl")))


def _check_format_only(key: str, d: dict, fmt: str) -> None:
    for option, formats in _FORMAT_ONLY.items():
        if option in d and fmt not in formats:
            raise ValueError(f"{key}.{option}: only valid for format {' or '.join(formats)}, not {fmt!r}")


def _name(key: str, value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValueError(f"{key}.name: must be an identifier like 'pycon_2025', got {value!r}")
    return value


def _format(key: str, value: Any) -> str:
    if value is None:
        raise ValueError(f"{key}.format: required (one of {', '.join(FORMATS)})")
    if value not in FORMATS:
        raise ValueError(f"{key}.format: unknown format {value!r} (expected one of {', '.join(FORMATS)})")
    return value


def _location(key: str, option: str, value: Any, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key}.{option}: required, an http(s) URL or a local file path, got {value!r}")
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme.lower() in ("http", "https") and not parts.hostname:
        raise ValueError(f"{key}.{option}: URL without a host: {value!r}")
    if "://" in value and parts.scheme.lower() not in ("http", "https", "file"):
        raise ValueError(f"{key}.{option}: only http(s) URLs or local paths are allowed, got {value!r}")
    return value


def _date(key: str, value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{key}.date: must be an ISO date like 2025-06-10, got {value!r}") from None


def _selectors(key: str, value: Any, fmt: str) -> dict[str, str]:
    if fmt != "html":
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{key}.selectors: required for format 'html' (a table with at least speaker and name)")
    unknown = sorted(set(value) - set(HTML_SELECTOR_KEYS))
    if unknown:
        raise ValueError(f"{key}.selectors.{unknown[0]}: unknown selector (allowed: {', '.join(HTML_SELECTOR_KEYS)})")
    for option in ("speaker", "name"):
        if option not in value:
            raise ValueError(f"{key}.selectors.{option}: required for format 'html'")
    for option, selector in value.items():
        if not isinstance(selector, str) or not selector.strip():
            raise ValueError(f"{key}.selectors.{option}: must be a non-empty string, got {selector!r}")
        if option != "key_attr":
            _check_css(key, option, selector)
    return {k: v.strip() for k, v in value.items()}


def _check_css(key: str, option: str, selector: str) -> None:
    try:
        soupsieve.compile(selector)
    except soupsieve.SelectorSyntaxError as exc:
        message = str(exc).splitlines()[0]
        raise ValueError(f"{key}.selectors.{option}: invalid CSS selector {selector!r} ({message})") from None
