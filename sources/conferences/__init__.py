"""Conference sources: speakers and talks from pretalx, Sessionize, pyvideo archives and HTML pages,
and accepted-paper lists with author profiles (format ``papers``: `VenuePaper`/`VenueAuthor`).

Entry point `pull(settings, state)`; each ``[[sources.conferences]]`` table
picks its adapter with ``format`` (see `settings.ConferenceSettings`).  All
adapters yield `Speaker` and `Talk` records whose ``source`` is the
configured name.  Conference programmes offer no "changed since" filter,
but their pages carry validators: each http(s) page is asked for
conditionally, and a programme whose every page answers 304 costs no
parsing and no loading (one Page confirming the source in `Page.seen`);
any change re-reads the whole event (see `sources.conferences.conditional`).
"""
from __future__ import annotations

import importlib
import logging
from typing import Iterator

from sources.conferences.settings import FORMATS, ConferenceSettings
from sources.errors import SourceError
from sources.records import Page

__all__ = ["ConferenceSettings", "pull"]

logger = logging.getLogger(__name__)


def pull(settings: ConferenceSettings, state: dict[str, str]) -> Iterator[Page]:
    """Yield Pages of `Speaker`/`Talk` records from the adapter of ``settings.format``."""
    if settings.format not in FORMATS:
        raise SourceError(f"{settings.name}: unknown conference format {settings.format!r}")
    adapter = importlib.import_module(f"sources.conferences.{settings.format}")
    logger.info("%s: reading %s (%s)", settings.name, settings.url, settings.format)
    yield from adapter.pull(settings, state)
