"""Conference sources: speakers and talks from pretalx, Sessionize, pyvideo archives and HTML pages,
and accepted-paper lists with author profiles (format ``papers``: `VenuePaper`/`VenueAuthor`).

Entry point `pull(settings, state)`; each ``[[sources.conferences]]`` table
picks its adapter with ``format`` (see `settings.ConferenceSettings`).  All
adapters yield `Speaker` and `Talk` records whose ``source`` is the
configured name.  Conference programmes are small and offer no "changed
since" filter, so every night re-reads the whole event (no state kept);
the warehouse's idempotent upserts make that cheap.
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
