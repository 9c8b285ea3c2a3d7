"""pretalx: speakers and talks of one event, from the REST API or from JSON exports.

Two modes, chosen from the config (`ConferenceSettings.is_pretalx_api`):

* **API mode** -- ``url`` is the instance base URL (``https://pretalx.com`` or
  the sample world's ``http://127.0.0.1:PORT/pretalx``) and ``event`` the
  event slug.  We read ``GET {url}/api/events/{event}/speakers/`` and
  ``/talks/`` (``/submissions/`` when ``/talks/`` answers 404), each
  paginated by the ``next`` URL of the answer.  ``next`` is followed only
  while it stays on the configured host and has not been seen before (a
  repeated ``next`` is a pagination loop: `ParseError`).  One Page per API
  page.  Public events need no token.
* **File mode** -- ``url`` is a local path or a URL ending in ``.json``, or
  ``talks_url`` is set.  ``url`` is then the *speakers* file and the
  optional ``talks_url`` the *talks/sessions* file, each a plain JSON list
  (or one ``{"results": [...]}`` page).  Understood shapes: raw pretalx
  objects (JuliaCon's ``speakers.json``/``talks.json``; talk fields may be
  localized dicts like ``{"en": "..."}``) and the EuroPython website's
  pretalx-derived exports (``gitx``/``homepage``/``linkedin_url``/
  ``twitter_url``/``mastodon_url`` or a bare ``twitter`` handle, bio in
  ``biography`` or ``_body_markdown``, sessions naming speakers by ``code``,
  by embedded object, or by speaker ``slug``).  Example::

      [[sources.conferences]]
      name = "europython_2024"
      format = "pretalx"
      url = "data/europython2024_speakers.json"
      talks_url = "data/europython2024_sessions.json"
      event = "EuroPython 2024"

Speaker key: the pretalx ``code``.  Talk key: the submission ``code``.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Iterator
from urllib.parse import quote, urljoin, urlsplit

from sources.conferences import common as c
from sources.conferences.conditional import Programme, pull_programme
from sources.conferences.settings import ConferenceSettings
from sources.errors import ParseError
from sources.http import HTTPStatusError, parse_json
from sources.records import Link, Page, Speaker, Talk

logger = logging.getLogger(__name__)

MAX_PAGES = 10_000  # no real event has a million speakers: beyond this the server is broken
# (field, base URL for a bare handle, classify hint). URL fields get no hint:
# the host decides (a Mastodon URL pasted into ``twitter_url`` stays Mastodon).
_SOCIAL_FIELDS = (
    ("gitx", "https://github.com/", None), ("github", "https://github.com/", None),
    ("homepage", None, None), ("website", None, None),
    ("linkedin_url", None, None), ("linkedin", None, None),
    ("twitter_url", None, None), ("twitter", "https://twitter.com/", "twitter"),
    ("mastodon_url", None, "mastodon"),
)
_ANSWER_AFFILIATION = re.compile(r"company|affiliation|organi[sz]ation|employer|institution", re.I)
_ANSWER_TAGLINE = re.compile(r"job title|position|\brole\b|tag ?line", re.I)
_ANSWER_LINK = re.compile(r"github|linkedin|twitter|mastodon|website|homepage|blog|url", re.I)


def pull(settings: ConferenceSettings, state: dict[str, str]) -> Iterator[Page]:
    """Yield Pages of `Speaker` then `Talk` records.  pretalx has no "changed since"
    filter, but its pages carry validators: when every page (each API page, or
    each export file over http) answers 304, one Page without records confirms
    the event (see `sources.conferences.conditional`)."""
    if settings.is_pretalx_api():
        starts = [_list_url(settings, "speakers"), _list_url(settings, "talks")]
        return pull_programme(settings, state, starts, lambda programme: _pull_api(settings, programme))
    return pull_programme(settings, state, [settings.url, settings.talks_url],
                          lambda programme: _pull_files(settings, programme))


# --- API mode ----------------------------------------------------------------
def _event_path(settings: ConferenceSettings) -> str:
    return f"{settings.url.rstrip('/')}/api/events/{quote(settings.event or '', safe='')}"


def _list_url(settings: ConferenceSettings, endpoint: str) -> str:
    """The first page of a list.  An event without ``/talks/`` (read from ``/submissions/``)
    is never confirmed unchanged: its ``/talks/`` has no stored validators."""
    return f"{_event_path(settings)}/{endpoint}/?limit={settings.page_size}"


def _pull_api(settings: ConferenceSettings, programme: Programme) -> Iterator[Page]:
    base, seen = settings.url.rstrip("/"), set()
    for objects in _pages(settings, _list_url(settings, "speakers"), programme):
        yield Page(records=c.first_of_each(settings.name, (speaker_from(o, settings) for o in objects), seen))
    for objects in _talk_pages(settings, programme):
        talks = (talk_from(o, settings, talk_url=_talk_page(base, settings.event, o)) for o in objects)
        yield Page(records=c.first_of_each(settings.name, talks, seen))


def _talk_pages(settings: ConferenceSettings, programme: Programme) -> Iterator[list[dict]]:
    """``/talks/`` lists scheduled talks; older or unscheduled events only have ``/submissions/``."""
    try:
        yield from _pages(settings, _list_url(settings, "talks"), programme)
    except HTTPStatusError as exc:
        if exc.status != 404:
            raise
        logger.info("%s: /talks/ not found, reading /submissions/", settings.name)
        yield from _pages(settings, _list_url(settings, "submissions"), programme)


def _pages(settings: ConferenceSettings, first_url: str, programme: Programme) -> Iterator[list[dict]]:
    """Follow ``next`` links on the same host, refusing loops and foreign hosts."""
    url: str | None = first_url
    previous: str | None = None
    seen: set[str] = set()
    while url:
        if len(seen) >= MAX_PAGES:
            raise ParseError(f"{settings.name}: more than {MAX_PAGES} pages from {first_url}")
        seen.add(url)
        body = parse_json(programme.fetch(url, after=previous), url)
        objects, next_url = _page_objects(settings, body, url)
        logger.info("%s: %d objects from %s", settings.name, len(objects), url)
        yield objects
        previous, url = url, _checked_next(settings, first_url, url, next_url, seen)


def _page_objects(settings: ConferenceSettings, body: Any, url: str) -> tuple[list[dict], str | None]:
    if isinstance(body, list):
        return _objects(settings, body, url), None
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        next_url = body.get("next")
        return _objects(settings, body["results"], url), next_url if isinstance(next_url, str) else None
    raise ParseError(
        f"{settings.name}: {url}: expected a pretalx page {{'results': [...], 'next': ...}} "
        f"or a JSON list, got {type(body).__name__}"
    )


def _objects(settings: ConferenceSettings, items: list, url: str) -> list[dict]:
    bad = [item for item in items if not isinstance(item, dict)]
    if bad:  # a list check, not `is not None`: a JSON null is a bad item too
        raise ParseError(f"{settings.name}: {url}: expected pretalx objects, found a {type(bad[0]).__name__}")
    return items


def _checked_next(settings, first_url: str, current: str, next_url: str | None, seen: set[str]) -> str | None:
    if not next_url:
        return None
    target = urljoin(current, next_url)
    here, there = urlsplit(first_url), urlsplit(target)
    if (here.hostname, here.port) != (there.hostname, there.port):
        raise ParseError(f"{settings.name}: refusing pagination 'next' to another host: {target}")
    if target in seen:
        raise ParseError(f"{settings.name}: pagination loop, 'next' repeats {target}")
    return target


def _talk_page(base: str, event: str | None, obj: dict) -> str | None:
    code = c.text(obj.get("code"))
    return f"{base}/{quote(event or '', safe='')}/talk/{quote(code, safe='')}/" if code and event else None


# --- file mode ---------------------------------------------------------------
def _pull_files(settings: ConferenceSettings, programme: Programme) -> Iterator[Page]:
    speakers_raw = _file_objects(settings, settings.url, programme)
    talks_raw = _file_objects(settings, settings.talks_url, programme) if settings.talks_url else []
    speaker_codes = _slug_map(speakers_raw)
    talk_codes = _slug_map(talks_raw)
    talks = c.first_of_each(settings.name, (talk_from(o, settings, speaker_codes) for o in talks_raw))
    by_speaker = _talks_by_speaker(talks)
    speakers = c.first_of_each(settings.name, (speaker_from(o, settings, talk_codes, by_speaker) for o in speakers_raw))
    logger.info("%s: %d speakers, %d talks from files", settings.name, len(speakers), len(talks))
    for batch in c.chunks(speakers):
        yield Page(records=list(batch))
    for batch in c.chunks(talks):
        yield Page(records=list(batch))


def _file_objects(settings: ConferenceSettings, location: str, programme: Programme) -> list[dict]:
    body = parse_json(programme.fetch(location), location)
    objects, _ = _page_objects(settings, body, location)
    return objects


def _slug_map(objects: list[dict]) -> dict[str, str]:
    """EuroPython exports refer to speakers and sessions by ``slug``; map it to ``code``."""
    out = {}
    for obj in objects:
        slug, code = c.text(obj.get("slug")), c.text(obj.get("code"))
        if slug and code:
            out[slug] = code
    return out


def _talks_by_speaker(talks: list[Talk]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for talk in talks:
        for key in talk.speaker_keys:
            out.setdefault(key, []).append(talk.talk_key)
    return out


# --- objects -> records --------------------------------------------------------
def speaker_from(obj: dict, settings: ConferenceSettings, talk_codes: dict[str, str] | None = None,
                 talks_by_speaker: dict[str, list[str]] | None = None) -> Speaker | None:
    """One pretalx (or EuroPython-derived) speaker object -> `Speaker`."""
    name, code = c.text(obj.get("name")), c.text(obj.get("code"))
    if not name or not code:
        c.skip_incomplete(settings.name, "speaker", name, code)
        return None
    bio = c.text(obj.get("biography")) or c.text(obj.get("_body_markdown"))
    answers = _answers(obj.get("answers"))
    own = [_ref(item, talk_codes or {}) for item in c.as_list(obj.get("submissions"))]
    return Speaker(
        source=settings.name,
        speaker_key=code,
        name=name,
        event=settings.event,
        affiliation=c.text(obj.get("affiliation")) or answers.get("affiliation"),
        tagline=c.text(obj.get("tagline")) or answers.get("tagline"),
        bio=bio,
        links=c.unique_links([*_social_links(obj), *answers.get("links", ()), *c.bio_links(bio)]),
        talk_keys=c.unique([*own, *(talks_by_speaker or {}).get(code, ())]),
    )


def talk_from(obj: dict, settings: ConferenceSettings, speaker_codes: dict[str, str] | None = None,
              talk_url: str | None = None) -> Talk | None:
    """One pretalx talk/submission (or EuroPython session) object -> `Talk`."""
    code, title = c.text(obj.get("code")), c.text(obj.get("title"))
    if not code or not title:
        logger.warning("%s: skipped a talk without code or title (code %r)", settings.name, code)
        return None
    slot = obj.get("slot") if isinstance(obj.get("slot"), dict) else {}
    return Talk(
        source=settings.name,
        talk_key=code,
        title=title,
        event=settings.event,
        abstract=_abstract(obj),
        happened_on=c.parse_day(slot.get("start") or obj.get("start")),
        url=c.text(obj.get("website_url")) or talk_url,
        track=c.text(obj.get("track")) if isinstance(obj.get("track"), (str, dict)) else None,
        speaker_keys=c.unique(_ref(item, speaker_codes or {}) for item in c.as_list(obj.get("speakers"))),
    )


def _ref(item: Any, slugs: dict[str, str]) -> str | None:
    """A speaker/submission reference: a code, an embedded ``{code: ...}``, or a slug."""
    value = c.text(item.get("code")) if isinstance(item, dict) else c.text(item)
    return slugs.get(value, value) if value else None


def _abstract(obj: dict) -> str | None:
    parts = c.unique([obj.get("abstract"), obj.get("description"), obj.get("_body_markdown")])
    return "\n\n".join(parts) or None


def _social_links(obj: dict) -> list[Link | None]:
    out: list[Link | None] = []
    for key, handle_base, hint in _SOCIAL_FIELDS:
        value = obj.get(key)
        if handle_base:
            out.append(c.handle_link(value, handle_base, hint))
        else:
            out.append(c.link(value, hint))
    return out


def _answers(answers: Any) -> dict[str, Any]:
    """Pick work facts out of pretalx custom-question answers (company, job title, links)."""
    out: dict[str, Any] = {"links": []}
    for item in answers if isinstance(answers, list) else ():
        if not isinstance(item, dict):
            continue
        question = item.get("question")
        label = c.text(question.get("question") if isinstance(question, dict) else question) or ""
        value = c.text(item.get("answer"))
        if not value:
            continue
        if _ANSWER_AFFILIATION.search(label):
            out.setdefault("affiliation", value)
        elif _ANSWER_TAGLINE.search(label):
            out.setdefault("tagline", value)
        elif _ANSWER_LINK.search(label):
            out["links"].append(c.link(value, _link_hint(label)))
    return out


def _link_hint(label: str) -> str | None:
    for hint in ("github", "linkedin", "twitter", "mastodon"):
        if hint in label.lower():
            return hint
    return "homepage"
