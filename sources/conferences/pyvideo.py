"""pyvideo-style talk archives: one JSON object per recorded talk.

``url`` points at a JSON list of talk objects, a single object, or JSON
lines (one object per line) -- e.g. the pyvideo/data ``videos/*.json``
records concatenated.  Fields used: ``title``, ``description``,
``speakers`` (names only), ``recorded`` (date), ``related_urls``
(``{label, url}`` or plain strings), ``videos`` (``{type, url}``), and
``_source_path``/``slug`` for the talk key.

Keys.  Speakers are bare names, so the speaker key is the slug of the name
(accent-folded, lower-case, hyphens: ``'Jakub Beránek'`` ->
``'jakub-beranek'``) *within this source*: two different people with the
same name in one archive collapse into one speaker here; identity
resolution later separates or joins people across sources.  A speaker's
record lists all of their talks in the archive.  The talk key is the
record's path without ``videos/`` and ``.json`` (``europython-2023/a-talk``),
else its ``slug``, else the slug of ``recorded`` + title.  A GitHub profile
URL among ``related_urls`` of a single-speaker talk becomes that speaker's
link (archives carry no other per-speaker data).

Event.  From a ``[EuroPython 2023 — South Hall 2A on 2023-07-21]``
description prefix (also giving the day), else the event folder of
``_source_path``, else the configured ``event``.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Iterator

from sources.conferences import common as c
from sources.conferences.conditional import Programme, pull_programme
from sources.conferences.settings import ConferenceSettings
from sources.errors import ParseError
from sources.links import github_login_from_url, github_repo_from_url
from sources.records import Page, Speaker, Talk

logger = logging.getLogger(__name__)

_PREFIX = re.compile(r"^\s*\[(?P<event>[^\]\n]+?)\s+[—–-]\s+(?P<room>[^\]\n]*?)\s+on\s+(?P<day>\d{4}-\d{2}-\d{2})\]\s*")
_NOT_A_TALK_PAGE = re.compile(r"creativecommons\.org|/licenses/", re.I)


def pull(settings: ConferenceSettings, state: dict[str, str]) -> Iterator[Page]:
    """Yield Pages of talks, then one Page per batch of speakers; one Page without
    records when the archive answers 304 (see `sources.conferences.conditional`)."""
    return pull_programme(settings, state, [settings.url], lambda programme: _read(settings, programme))


def _read(settings: ConferenceSettings, programme: Programme) -> Iterator[Page]:
    objects = parse_archive(programme.fetch(settings.url), f"{settings.name}: {settings.url}")
    talks, speakers = records_from(objects, settings)
    logger.info("%s: %d talks, %d speakers", settings.name, len(talks), len(speakers))
    for batch in c.chunks(talks):
        yield Page(records=list(batch))
    for batch in c.chunks(speakers):
        yield Page(records=list(batch))


def parse_archive(body: bytes, where: str) -> list[dict]:
    """A JSON list, one JSON object, or JSON lines -> list of talk objects."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{where}: body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        return _talk_objects(json.loads(text), where)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise ParseError(f"{where}: invalid or truncated JSON ({exc.msg} at line {exc.lineno})") from None
    return _json_lines(text, where)  # several top-level values: JSON lines


def _json_lines(text: str, where: str) -> list[dict]:
    objects = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            objects.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ParseError(f"{where}: line {number} is not valid JSON ({exc.msg})") from None
    return _talk_objects(objects, where)


def _talk_objects(value: Any, where: str) -> list[dict]:
    items = [value] if isinstance(value, dict) else value
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ParseError(f"{where}: expected pyvideo talk objects (a JSON list, an object or JSON lines)")
    return items


def records_from(objects: list[dict], settings: ConferenceSettings) -> tuple[list[Talk], list[Speaker]]:
    """Talks in archive order and one Speaker per name slug with all their talks."""
    talks: dict[str, Talk] = {}
    speakers: dict[str, dict[str, Any]] = {}
    duplicates = 0
    for obj in objects:
        names = _names(obj)
        talk = talk_from(obj, settings, names)
        if talk is None or talk.talk_key in talks:
            if talk is not None:   # one summary line below: an archive can repeat thousands of talks
                duplicates += 1
                logger.debug("%s: duplicate talk %r skipped", settings.name, talk.talk_key)
            continue
        talks[talk.talk_key] = talk
        for name in names:
            entry = speakers.setdefault(c.slugify(name), {"name": name, "talks": [], "events": set(), "links": []})
            entry["talks"].append(talk.talk_key)
            entry["events"].add(talk.event)
            if len(names) == 1:
                entry["links"] += _profile_links(obj)
    if duplicates:
        logger.info("%s: %d duplicate talks skipped (same talk key; the first is kept)", settings.name, duplicates)
    return list(talks.values()), [_speaker(key, entry, settings) for key, entry in speakers.items()]


def talk_from(obj: dict, settings: ConferenceSettings, names: list[str] | None = None) -> Talk | None:
    """One pyvideo talk object -> `Talk` (None when it has no title);
    ``names``: its speakers' names when the caller has them already."""
    title = c.text(obj.get("title"))
    if not title:
        logger.warning("%s: skipped a talk without a title (%r)", settings.name, obj.get("_source_path"))
        return None
    key = _talk_key(obj, title)
    if not key:  # e.g. a title of punctuation only and no path or slug: nothing to key it by
        logger.warning("%s: skipped talk %r without a usable key", settings.name, title[:80])
        return None
    description = c.text(obj.get("description")) or c.text(obj.get("summary")) or c.text(obj.get("abstract"))
    prefix = _PREFIX.match(description or "")
    abstract = c.text(description[prefix.end():]) if prefix and description else description
    return Talk(
        source=settings.name,
        talk_key=key,
        title=title,
        event=(prefix.group("event").strip() if prefix else None) or _folder_event(obj) or settings.event,
        abstract=abstract,
        happened_on=c.parse_day(prefix.group("day")) if prefix else c.parse_day(obj.get("recorded")),
        url=_talk_url(obj),
        track=c.text(obj.get("category")) or ("; ".join(c.unique(c.as_list(obj.get("tags")))) or None),
        speaker_keys=c.unique(c.slugify(name) for name in (_names(obj) if names is None else names)),
    )


def _names(obj: dict) -> list[str]:
    names = obj.get("speakers") if isinstance(obj.get("speakers"), list) else []
    return [n for n in (c.text(name) for name in names if isinstance(name, str)) if n and c.slugify(n)]


def _speaker(key: str, entry: dict[str, Any], settings: ConferenceSettings) -> Speaker:
    events = [e for e in entry["events"] if e]
    return Speaker(
        source=settings.name,
        speaker_key=key,
        name=entry["name"],
        event=events[0] if len(events) == 1 else settings.event,
        links=c.unique_links(entry["links"]),
        talk_keys=c.unique(entry["talks"]),
    )


def _profile_links(obj: dict) -> list:
    """GitHub *profile* URLs among a single-speaker talk's related links.

    Only profiles (``github.com/<login>``), and only when the talk has one
    speaker: a repository or a shared talk says nothing about whose account
    it is.
    """
    out = []
    for item in c.as_list(obj.get("related_urls")):
        url = c.text(item.get("url")) if isinstance(item, dict) else c.text(item)
        if url and _is_github_profile(url):
            out.append(c.link(url))
    return out


def _is_github_profile(url: str) -> bool:
    return bool(github_login_from_url(url)) and not github_repo_from_url(url)


def _talk_key(obj: dict, title: str) -> str:
    path = c.text(obj.get("_source_path"))
    if path:
        return re.sub(r"\.json$", "", path.replace("/videos/", "/"))
    slug = c.text(obj.get("slug"))
    if slug:
        return slug
    return c.slugify(f"{c.text(obj.get('recorded')) or ''} {title}")


def _folder_event(obj: dict) -> str | None:
    """``europython-2023/videos/x.json`` -> ``europython-2023``."""
    path = c.text(obj.get("_source_path")) or ""
    return path.split("/")[0] if "/videos/" in path else None


def _talk_url(obj: dict) -> str | None:
    """A video first (what a recruiter watches), else the first talk page link
    (licences and speakers' GitHub profiles are not talk pages)."""
    for video in c.as_list(obj.get("videos")):
        url = c.text(video.get("url")) if isinstance(video, dict) else c.text(video)
        if url:
            return url
    for item in c.as_list(obj.get("related_urls")):
        url = c.text(item.get("url")) if isinstance(item, dict) else c.text(item)
        if url and not _NOT_A_TALK_PAGE.search(url) and not _is_github_profile(url):
            return url
    return None
