"""Sessionize: speakers and sessions from the public API v2 JSON views.

``url`` is a view URL such as ``https://sessionize.com/api/v2/{id}/view/All``
(or the sample world's ``http://127.0.0.1:PORT/sessionize/api/v2/{id}/view/All``)
or a saved copy of one.  Understood bodies:

* ``view/All``: ``{"sessions": [...], "speakers": [...], "categories": [...], ...}``
  -- the only view that carries both sides and the category names (tracks);
* ``view/Speakers``: a list of speakers (``sessions`` as ``{id, name}``);
* ``view/Sessions``: a list of groups ``{"groupId", "groupName", "sessions": [...]}``.

One request per night: Sessionize serves the whole event in one body.
Speaker key: the speaker ``id`` (a UUID); talk key: the session ``id``.
Service sessions (breaks, lunch) are not talks and are skipped.
"""
from __future__ import annotations

import logging
from typing import Any, Iterator

from sources.conferences import common as c
from sources.conferences.conditional import Programme, pull_programme
from sources.conferences.settings import ConferenceSettings
from sources.errors import ParseError
from sources.http import parse_json
from sources.records import Page, Speaker, Talk

logger = logging.getLogger(__name__)

_TRACK_CATEGORY_WORDS = ("track", "topic", "tag")
# Sessionize linkType -> hint for classify_url (the host decides where it can).
_LINK_HINTS = {"twitter": "twitter", "linkedin": "linkedin", "blog": "blog",
               "company_website": "company_website", "other": "other"}


def pull(settings: ConferenceSettings, state: dict[str, str]) -> Iterator[Page]:
    """Yield Pages of speakers, then of talks; one Page without records when the
    event answers 304 (see `sources.conferences.conditional`)."""
    return pull_programme(settings, state, [settings.url], lambda programme: _read(settings, programme))


def _read(settings: ConferenceSettings, programme: Programme) -> Iterator[Page]:
    body = parse_json(programme.fetch(settings.url), settings.url)
    speakers_raw, sessions_raw, categories = _split_view(settings, body)
    tracks = _track_names(categories)
    talks = c.first_of_each(settings.name, (talk_from(o, settings, tracks) for o in sessions_raw))
    speakers = c.first_of_each(settings.name, (speaker_from(o, settings) for o in speakers_raw))
    logger.info("%s: %d speakers, %d sessions", settings.name, len(speakers), len(talks))
    for batch in c.chunks(speakers):
        yield Page(records=list(batch))
    for batch in c.chunks(talks):
        yield Page(records=list(batch))


def _split_view(settings: ConferenceSettings, body: Any) -> tuple[list[dict], list[dict], list[dict]]:
    """Tell the three views apart by shape."""
    where = f"{settings.name}: {settings.url}"
    if isinstance(body, dict) and ("speakers" in body or "sessions" in body):
        return (_dicts(body.get("speakers") or [], where, "speakers"),
                _dicts(body.get("sessions") or [], where, "sessions"),
                _dicts(body.get("categories") or [], where, "categories"))
    if isinstance(body, list) and all(isinstance(item, dict) for item in body):
        if body and all("sessions" in item and ("groupName" in item or "groupId" in item) for item in body):
            sessions = [s for group in body for s in _dicts(group.get("sessions") or [], where, "sessions")]
            return [], sessions, []
        if all("fullName" in item or "firstName" in item for item in body):
            return body, [], []
    raise ParseError(
        f"{where}: expected a Sessionize view/All object, a view/Speakers list "
        f"or a grouped view/Sessions list, got {_describe(body)}"
    )


def _dicts(value: Any, where: str, what: str) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ParseError(f"{where}: expected '{what}' to be a list of objects")
    return value


def _describe(body: Any) -> str:
    if isinstance(body, dict):
        return "an object with keys " + ", ".join(sorted(map(str, body))[:6])
    return type(body).__name__


def _track_names(categories: list[dict]) -> dict[str, tuple[str, str]]:
    """Category item id -> (category title, item name), for session tracks."""
    out = {}
    for category in categories:
        title = c.text(category.get("title")) or ""
        for item in c.as_list(category.get("items")):
            if isinstance(item, dict) and c.text(item.get("id")) and c.text(item.get("name")):
                out[c.text(item["id"])] = (title, c.text(item["name"]))
    return out


def speaker_from(obj: dict, settings: ConferenceSettings) -> Speaker | None:
    """One Sessionize speaker object -> `Speaker`."""
    key = c.text(obj.get("id"))
    name = c.text(obj.get("fullName")) or " ".join(c.unique([obj.get("firstName"), obj.get("lastName")])) or None
    if not name or not key:
        c.skip_incomplete(settings.name, "speaker", name, key)
        return None
    bio = c.text(obj.get("bio"))
    links = [c.link(item.get("url"), _hint(item.get("linkType"))) for item in c.as_list(obj.get("links"))
             if isinstance(item, dict)]
    answers = _answers(obj.get("questionAnswers"))
    return Speaker(
        source=settings.name,
        speaker_key=key,
        name=name,
        event=settings.event,
        affiliation=answers.get("affiliation"),
        tagline=c.text(obj.get("tagLine")),
        bio=bio,
        links=c.unique_links([*links, *answers.get("links", ()), *c.bio_links(bio)]),
        talk_keys=c.unique(_id(item) for item in c.as_list(obj.get("sessions"))),
    )


def talk_from(obj: dict, settings: ConferenceSettings, tracks: dict[str, tuple[str, str]]) -> Talk | None:
    """One Sessionize session object -> `Talk` (None for breaks and untitled sessions)."""
    key, title = c.text(obj.get("id")), c.text(obj.get("title"))
    if obj.get("isServiceSession") or not key or not title:
        logger.debug("%s: skipped service/untitled session %r", settings.name, key)
        return None
    return Talk(
        source=settings.name,
        talk_key=key,
        title=title,
        event=settings.event,
        abstract=c.text(obj.get("description")),
        happened_on=c.parse_day(obj.get("startsAt")) or settings.date,
        url=c.text(obj.get("recordingUrl")) or c.text(obj.get("liveUrl")),
        track=_track(obj, tracks),
        speaker_keys=c.unique(_id(item) for item in c.as_list(obj.get("speakers"))),
    )


def _id(item: Any) -> str | None:
    """Sessionize refers by id, as a number, a string, or ``{"id": ..., "name": ...}``."""
    return c.text(item.get("id")) if isinstance(item, dict) else c.text(item)


def _track(obj: dict, tracks: dict[str, tuple[str, str]]) -> str | None:
    """Item names of the session's "Track"/"Topic"/"Tags" categories, joined by ``; ``."""
    items = [tracks.get(c.text(i) or "") for i in c.as_list(obj.get("categoryItems"))]
    for word in _TRACK_CATEGORY_WORDS:
        names = [name for title, name in filter(None, items) if word in title.lower()]
        if names:
            return "; ".join(names)
    for category in c.as_list(obj.get("categories")):  # view/Sessions embeds {name, categoryItems:[{name}]}
        if isinstance(category, dict) and any(w in (c.text(category.get("name")) or "").lower()
                                              for w in _TRACK_CATEGORY_WORDS):
            names = c.unique(i.get("name") for i in c.as_list(category.get("categoryItems")) if isinstance(i, dict))
            if names:
                return "; ".join(names)
    return None


def _hint(link_type: Any) -> str | None:
    return _LINK_HINTS.get((c.text(link_type) or "").lower())


def _answers(answers: Any) -> dict[str, Any]:
    """Company and profile links from the event's custom speaker questions."""
    out: dict[str, Any] = {"links": []}
    for item in answers if isinstance(answers, list) else ():
        if not isinstance(item, dict):
            continue
        question = (c.text(item.get("question")) or "").lower()
        answer = c.text(item.get("answer") or item.get("answerValue"))
        if not answer:
            continue
        if any(word in question for word in ("company", "organisation", "organization", "employer", "affiliation")):
            out.setdefault("affiliation", answer)
        elif "github" in question:
            out["links"].append(c.handle_link(answer, "https://github.com/", None))
        elif any(word in question for word in ("linkedin", "website", "homepage", "blog")):
            out["links"].append(c.link(answer))
    return out
