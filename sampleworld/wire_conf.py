"""Conference wire formats: pretalx REST, Sessionize v2 views, an HTML
speaker page and pyvideo talk JSON (shapes compared with the real files in
shared/data/real/conferences/)."""
from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from sampleworld.model import Conference, Speaker, Talk

PRETALX_PAGE_SIZE = 25  # pretalx's default page size
_CATEGORY_ID = 301_000
_ROOM_ID = 40_100


def ends_at(t: Talk) -> str | None:
    """Slot end in the same ISO style as the start (with or without offset)."""
    try:
        return (datetime.fromisoformat(t.starts_at) + timedelta(minutes=t.duration_min)).isoformat()
    except ValueError:
        return None


# --- pretalx ------------------------------------------------------------------
def pretalx_speaker(s: Speaker, talk_codes: list[str]) -> dict:
    """Public speaker object; links live in the biography (pretalx has no link field)."""
    bio = s.bio or ""
    if s.links:
        bio += "\r\n\r\n" + "\r\n".join(f"{l.title}: {l.url}" for l in s.links)
    return {"code": s.key, "name": s.name, "biography": bio, "submissions": talk_codes,
            "avatar": None, "answers": []}


def pretalx_talk(t: Talk, speakers: dict[str, Speaker]) -> dict:
    return {
        "code": t.key, "speakers": [{"code": k, "name": speakers[k].name, "biography": speakers[k].bio,
                                     "avatar": None} for k in t.speaker_keys],
        "title": t.title, "submission_type": {"en": "Talk"}, "submission_type_id": 2434,
        "track": {"en": t.track}, "track_id": 3245, "state": "confirmed", "abstract": t.abstract,
        "description": "", "duration": t.duration_min, "slot_count": 1, "content_locale": "en",
        "do_not_record": False, "is_featured": False, "image": None, "resources": [], "answers": [],
        "slot": {"room_id": _ROOM_ID, "room": {"en": "Main Hall"}, "start": t.starts_at, "end": ends_at(t)},
    }


def paginate(items: list, params: dict[str, str], page_url: str) -> tuple[dict, int, int]:
    """pretalx pagination: ``?limit=&offset=`` or ``?page=`` (page size 25).
    Returns (envelope without results, offset, limit)."""
    if "limit" in params or "offset" in params:
        limit = _positive(params.get("limit"), PRETALX_PAGE_SIZE)
        offset = max(0, _int(params.get("offset"), 0))
        nxt = f"{page_url}?limit={limit}&offset={offset + limit}" if offset + limit < len(items) else None
        prev = f"{page_url}?limit={limit}&offset={max(0, offset - limit)}" if offset > 0 else None
    else:
        limit = PRETALX_PAGE_SIZE
        page = max(1, _int(params.get("page"), 1))
        offset = (page - 1) * limit
        nxt = f"{page_url}?page={page + 1}" if offset + limit < len(items) else None
        prev = (f"{page_url}?page={page - 1}" if page > 2 else page_url) if page > 1 else None
    return {"count": len(items), "next": nxt, "previous": prev}, offset, limit


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _positive(value, default: int) -> int:
    number = _int(value, default)
    return number if number > 0 else default


# --- Sessionize ----------------------------------------------------------------
def sessionize_all(conf: Conference, talks: list[Talk], speakers: list[Speaker]) -> dict:
    """The ``view/All`` document: sessions, speakers, questions, categories, rooms."""
    tracks = sorted({t.track for t in talks})
    track_ids = {name: _CATEGORY_ID + i for i, name in enumerate(tracks)}
    sessions_of: dict[str, list[int]] = {}
    for t in talks:
        for k in t.speaker_keys:
            sessions_of.setdefault(k, []).append(int(t.key))
    return {
        "sessions": [_session(t, track_ids) for t in talks],
        "speakers": [_sessionize_speaker(s, sessions_of.get(s.key, [])) for s in speakers],
        "questions": [],
        "categories": [{"id": 59380, "title": "Track", "items": [{"id": track_ids[n], "name": n, "sort": i + 1}
                                                              for i, n in enumerate(tracks)],
                        "sort": 0, "type": "session"}],
        "rooms": [{"id": _ROOM_ID, "name": "Main Hall", "sort": 0}],
    }


def _session(t: Talk, track_ids: dict[str, int]) -> dict:
    return {
        "id": t.key, "title": t.title, "description": t.abstract, "startsAt": t.starts_at,
        "endsAt": ends_at(t), "isServiceSession": False, "isPlenumSession": False, "speakers": list(t.speaker_keys),
        "categoryItems": [track_ids[t.track]], "questionAnswers": [], "roomId": _ROOM_ID, "liveUrl": None,
        "recordingUrl": None, "status": "Accepted", "isInformed": True, "isConfirmed": True,
    }


def _sessionize_speaker(s: Speaker, session_ids: list[int]) -> dict:
    tagline = ", ".join(x for x in (s.tagline, s.affiliation) if x) or None
    return {
        "id": s.key, "firstName": s.first_name, "lastName": s.last_name, "bio": s.bio, "tagLine": tagline,
        "profilePicture": None, "isTopSpeaker": False,
        "links": [{"title": l.title, "url": l.url, "linkType": l.link_type} for l in s.links],
        "sessions": session_ids, "fullName": s.name, "categoryItems": [], "questionAnswers": [],
    }


def sessionize_speakers_view(doc: dict) -> list[dict]:
    """``view/Speakers``: speakers with sessions as ``{id, name}``."""
    titles = {int(s["id"]): s["title"] for s in doc["sessions"]}
    return [{**s, "sessions": [{"id": i, "name": titles[i]} for i in s["sessions"]]} for s in doc["speakers"]]


def sessionize_sessions_view(doc: dict) -> list[dict]:
    """``view/Sessions``: one group with sessions whose speakers are ``{id, name}``."""
    names = {s["id"]: s["fullName"] for s in doc["speakers"]}
    sessions = [{**s, "speakers": [{"id": k, "name": names.get(k, "")} for k in s["speakers"]],
                 "room": "Main Hall"} for s in doc["sessions"]]
    return [{"groupId": None, "groupName": "All", "sessions": sessions, "isDefault": True}]


# --- HTML -------------------------------------------------------------------------
def html_page(conf: Conference, talks: list[Talk], speakers: list[Speaker]) -> bytes:
    titles: dict[str, list[str]] = {}
    for t in talks:
        for k in t.speaker_keys:
            titles.setdefault(k, []).append(t.title)
    blocks = [_html_speaker(s, titles.get(s.key, [])) for s in speakers]
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>Speakers | {escape(conf.title)}</title>\n</head>\n<body>\n"
        f"<header><h1>{escape(conf.title)}: Speakers</h1>\n<nav><a href=\"/\">Home</a> <a href=\"schedule.html\">"
        "Schedule</a></nav></header>\n<main>\n<section id=\"speakers\">\n" + "\n".join(blocks) +
        "\n</section>\n</main>\n<footer><p>&copy; 2024 HCI + AI Forum</p></footer>\n</body>\n</html>\n")
    return page.encode("utf-8")


def _html_speaker(s: Speaker, talk_titles: list[str]) -> str:
    links = " ".join(f'<a href="{escape(l.url)}" rel="me">{escape(l.title)}</a>' for l in s.links)
    role = (f'<span class="title">{escape(s.tagline or "")}</span>, '
            f'<span class="company">{escape(s.affiliation or "")}</span>')
    talks = "".join(f"<li>{escape(t)}</li>" for t in talk_titles)
    return (f'<div class="speaker" id="{escape(s.key)}">\n  <h3 class="name">{escape(s.name)}</h3>\n'
            f'  <p class="role">{role}</p>\n  <div class="bio"><p>{escape(s.bio or "")}</p></div>\n'
            f'  <p class="links">{links}</p>\n  <ul class="talks">{talks}</ul>\n</div>')


# --- pyvideo ------------------------------------------------------------------------
def pyvideo_talks(conf: Conference, talks: list[Talk], speakers: dict[str, Speaker]) -> list[dict]:
    out = []
    for t in talks:
        people = [speakers[k] for k in t.speaker_keys]
        related = [{"label": "Talk page", "url": f"https://pydata.example/talks/{t.key}"}]
        related += [{"label": l.title, "url": l.url} for s in people for l in s.links if l.title == "GitHub"]
        out.append({
            "title": t.title, "description": t.abstract, "speakers": [s.name for s in people],
            "recorded": t.starts_at[:10], "duration": t.duration_min * 60, "language": "eng",
            "related_urls": related, "tags": [t.track], "thumbnail_url": f"https://i.ytimg.com/vi/{t.key}/hqdefault.jpg",
            "videos": [{"type": "youtube", "url": f"https://www.youtube.com/watch?v=sw{t.key}"}],
            "copyright_text": "CC BY 4.0",
        })
    return out
