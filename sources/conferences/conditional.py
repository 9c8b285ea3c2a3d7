"""Conditional reading of a conference programme: an unchanged programme costs
one 304 per page and no parsing or loading.

Why: conference sources have no "changed since" filter, and a programme
rarely changes from one night to the next, yet re-reading and re-loading
every speaker and talk every night cost ~35 s at 100k people.  Servers that
send validators let us ask "has this page changed?" instead.

State (the source's `Page.checkpoint` entries, merged by the flow): for every
http(s) page read, ``etag:<page url>`` = compact JSON
``{"etag": ..., "last_modified": ..., "next": <url of the following page of
the same list, or null>}``; ``last_modified`` is kept only when the page came
without an ETag.  Next night every page of the programme is asked for
conditionally (``If-None-Match``, else ``If-Modified-Since``), following the
stored ``next`` links from the adapter's start URLs (a 304 has no body, so
the pages' own ``next`` links are unknown; a 304 says the body, and so its
``next``, is what was stored).  If *every* page answers 304, the source
yields one Page without records whose `Page.seen` kind ``conference_source``
names the source, so the warehouse moves its rows' ``last_seen``.  If any
page changed, the whole programme is re-read unconditionally (speakers and
talks refer to each other across pages); the changed page's answer from the
check is used rather than asked for twice.  A changed page count shows as a
changed page: the last page's ``next`` is part of its body.

A server sending no validators behaves as if this module did not exist: no
state, no conditional request.  Local files are never conditional.  Stored
state is input too: an entry that is not what we write is ignored with a
logged warning (full re-read), and a stored ``next`` must stay on the start
URL's host.  A 304 to a request that carried no validator is a `ParseError`
(the server is broken: there is no earlier body to reuse).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urlsplit

from sources.conferences.settings import ConferenceSettings
from sources.errors import ParseError
from sources.http import Fetched, fetch_response, is_http_url, make_session
from sources.records import Page

logger = logging.getLogger(__name__)

SEEN_KIND = "conference_source"  # `Page.seen` kind: every row of the named source is unchanged
MAX_CHAIN = 10_000  # pages followed through stored ``next`` links (pretalx's MAX_PAGES)
_ENTRY_KEYS = {"etag", "last_modified", "next"}


def state_key(url: str) -> str:
    return f"etag:{url}"


class Programme:
    """The pages of one conference source, fetched with this source's timeout,
    size cap and retries over one session, remembering each page's validators."""

    def __init__(self, settings: ConferenceSettings, state: dict[str, str]) -> None:
        self.settings, self.state = settings, state or {}
        self.session = make_session()
        self._read: dict[str, dict[str, Any]] = {}  # url -> entry of each http page read tonight, in order
        self._confirmed: dict[str, str] = {}  # state entries confirmed by a 304 tonight
        self._ahead: dict[str, Fetched] = {}  # a changed page's answer from the check, for the full read

    def __enter__(self) -> "Programme":
        return self

    def __exit__(self, *exc) -> None:
        self.session.close()

    # --- the check ------------------------------------------------------------------
    def unchanged(self, start_urls: Iterable[str | None]) -> bool:
        """True when every stored page reachable from ``start_urls`` answers 304.

        False (and nothing is kept from the check but a changed page's answer)
        when any start is a local file, any page has no usable stored entry,
        or any page changed."""
        starts = [url for url in start_urls if url]
        if not starts or not all(is_http_url(url) for url in starts):
            return False
        return all(self._chain_unchanged(url) for url in starts)

    def _chain_unchanged(self, start: str) -> bool:
        url: str | None = start
        visited: set[str] = set()
        while url:
            if url in visited or len(visited) >= MAX_CHAIN or not _same_host(start, url):
                logger.warning("%s: stored page links from %s loop or leave its host; reading the "
                               "whole programme", self.settings.name, start)
                return False
            visited.add(url)
            entry = self._stored(url)
            if entry is None:
                return False
            answer = self._get(url, _conditional_headers(entry))
            if answer.status != 304:
                logger.info("%s: %s changed since the last night; reading the whole programme",
                            self.settings.name, url)
                self._ahead[url] = answer
                return False
            self._confirmed[state_key(url)] = self.state[state_key(url)]
            url = entry["next"]
        return True

    def _stored(self, url: str) -> dict[str, Any] | None:
        """The stored entry of ``url`` when it can make a conditional request, else None."""
        raw = self.state.get(state_key(url))
        if raw is None:
            return None
        entry = _decode(raw)
        if entry is None:
            logger.warning("%s: ignoring malformed stored state for %s (%r); reading the whole programme",
                           self.settings.name, url, str(raw)[:80])
            return None
        return entry if entry["etag"] or entry["last_modified"] else None

    def unchanged_page(self) -> Page:
        """The one Page of an unchanged night: no records, the source confirmed, validators kept."""
        logger.info("%s: every page answered 304 Not Modified (%d pages); nothing to parse or load",
                    self.settings.name, len(self._confirmed))
        return Page([], checkpoint=dict(self._confirmed), seen={SEEN_KIND: (self.settings.name,)})

    # --- the full read ------------------------------------------------------------------
    def fetch(self, url: str, after: str | None = None) -> bytes:
        """One body, unconditionally (or the check's answer for it); ``after`` is the page
        whose ``next`` link led here, so the chain can be followed next night."""
        answer = self._ahead.pop(url, None) or self._get(url, {})
        if answer.status == 304:
            raise ParseError(f"{self.settings.name}: {url}: 304 Not Modified to a request without "
                             f"validators (nothing was stored to reuse)")
        if is_http_url(url):
            self._remember(url, answer, after)
        return answer.body

    def _remember(self, url: str, answer: Fetched, after: str | None) -> None:
        etag = answer.etag
        self._read[url] = {"etag": etag, "last_modified": None if etag else answer.last_modified, "next": None}
        if after in self._read:
            self._read[after]["next"] = url

    def checkpoint(self) -> dict[str, str]:
        """Entries of the pages read tonight: those with validators, and those that lost
        them (overwriting a stored entry, so it is never sent again)."""
        out = {}
        for url, entry in self._read.items():
            if entry["etag"] or entry["last_modified"] or state_key(url) in self.state:
                out[state_key(url)] = json.dumps(entry, separators=(",", ":"))
        return out

    def finish(self, pages: Iterable[Page]) -> Iterator[Page]:
        """The adapter's pages, the last one carrying the checkpoint (read only once every
        page was fetched); a records-less Page carries it when the adapter yielded none."""
        held: Page | None = None
        for page in pages:
            if held is not None:
                yield held
            held = page
        checkpoint = self.checkpoint()
        if held is None:
            if checkpoint:
                yield Page([], checkpoint=checkpoint)
            return
        held.checkpoint.update(checkpoint)
        yield held

    def _get(self, url: str, headers: dict[str, str]) -> Fetched:
        s = self.settings
        return fetch_response(url, timeout=s.timeout_seconds, max_bytes=s.max_bytes, retries=s.retries,
                              session=self.session, headers=headers)


def pull_programme(settings: ConferenceSettings, state: dict[str, str], start_urls: Iterable[str | None],
                   read: Callable[[Programme], Iterable[Page]]) -> Iterator[Page]:
    """Either the one Page of an unchanged programme, or ``read(programme)``'s Pages with
    the new validators on the last one."""
    with Programme(settings, state) as programme:
        if programme.unchanged(list(start_urls)):
            yield programme.unchanged_page()
            return
        yield from programme.finish(read(programme))


def _conditional_headers(entry: dict[str, Any]) -> dict[str, str]:
    if entry["etag"]:
        return {"If-None-Match": entry["etag"]}
    return {"If-Modified-Since": entry["last_modified"]}


def _decode(raw: Any) -> dict[str, Any] | None:
    """An entry as `Programme.checkpoint` writes it, or None for anything else."""
    try:
        entry = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    if not isinstance(entry, dict) or set(entry) != _ENTRY_KEYS:
        return None
    if not all(value is None or (isinstance(value, str) and value and value.isprintable())
               for value in entry.values()):  # printable: a stored value becomes a request header
        return None
    if entry["next"] is not None and not is_http_url(entry["next"]):
        return None
    return entry


def _same_host(first: str, other: str) -> bool:
    a, b = urlsplit(first), urlsplit(other)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
