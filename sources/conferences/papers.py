"""Accepted-paper lists with author profiles: papercopilot JSON and conference-site YAML.

Why this format matters: paper-list projects (papercopilot/paperlists, built
from OpenReview) publish per author the profile ids people maintain
themselves -- OpenReview ``~id``, ORCID, DBLP, Google Scholar, homepage,
LinkedIn -- the strongest public identifiers there are for joining the same
person across venues, arXiv and GitHub.

Inputs (``url`` is an http(s) URL or a local file):

* papercopilot JSON: a list of paper objects.  Author data sits in
  ``;``-separated *positional* fields -- ``author``, ``authorids`` (OpenReview
  ``~Name1`` ids, or e-mail addresses on old lists such as ICLR 2018),
  ``homepage``, ``dblp``, ``google_scholar``, ``orcid``, ``linkedin``,
  ``aff``, ``position`` -- slot *i* of every field belongs to author *i*; an
  author with several affiliations has them joined by ``+``.  Paper fields:
  ``id`` (OpenReview forum id), ``title``, ``track``, ``status``, ``site``,
  ``abstract``, ``keywords`` (``;``-separated), ``github`` (a markdown link
  to the code repository), ``bibtex`` (gives the year).
* conference-site YAML (Mini-Conf ``accepted_papers.yml``, e.g. COLM 2024):
  a list of ``{authors: "A, B, C", title, url: <OpenReview forum>, oral_spotlight}``.

Keys: ``paper_key`` is the OpenReview forum id (both renderings of COLM 2024
then share keys), else a slug of the title; authors are
``(paper_key, position)`` with 1-based positions.  The venue label is the
configured ``event`` (else the source name); the year comes from ``date``,
else the BibTeX entry, else four digits in the venue label.
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
from sources.links import classify_url, urls_in_text
from sources.records import Link, Page, VenueAuthor, VenuePaper

logger = logging.getLogger(__name__)

_FORUM_ID = re.compile(r"openreview\.net/(?:forum|pdf)\?id=([A-Za-z0-9_\-]+)")
_BIBTEX_YEAR = re.compile(r"\byear\s*=\s*\{?\s*(\d{4})")
_YEAR = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")
_SCHOLAR_USER = re.compile(r"user=([\w-]+)")
_SCHOLAR_ID = re.compile(r"^[\w-]{12}$")
_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.I)
_EMAIL = re.compile(r"^[^@\s;]+@[^@\s;]+\.[^@\s;]+$")
_PROFILE_FIELDS = ("authorids", "homepage", "dblp", "google_scholar", "orcid", "linkedin")


def pull(settings: ConferenceSettings, state: dict[str, str]) -> Iterator[Page]:
    """Yield Pages of papers, then Pages of author slots; one Page without records
    when the list answers 304 (see `sources.conferences.conditional`)."""
    return pull_programme(settings, state, [settings.url], lambda programme: _read(settings, programme))


def _read(settings: ConferenceSettings, programme: Programme) -> Iterator[Page]:
    entries = parse_list(programme.fetch(settings.url), f"{settings.name}: {settings.url}", settings.url)
    papers, authors = records_from(entries, settings)
    logger.info("%s: %d papers, %d author slots", settings.name, len(papers), len(authors))
    for batch in c.chunks(papers):
        yield Page(records=list(batch))
    for batch in c.chunks(authors):
        yield Page(records=list(batch))


def parse_list(body: bytes, where: str, location: str = "") -> list[dict]:
    """A JSON or YAML list of paper objects (entries that are not objects are skipped)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{where}: body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    value = _yaml(text, where) if location.lower().endswith((".yml", ".yaml")) else _json_or_yaml(text, where)
    if not isinstance(value, list):
        raise ParseError(f"{where}: expected a list of accepted papers, got {type(value).__name__}")
    entries = [entry for entry in value if isinstance(entry, dict)]
    if len(entries) < len(value):
        logger.warning("%s: skipped %d list items that are not paper objects", where, len(value) - len(entries))
    return entries


def _json_or_yaml(text: str, where: str) -> Any:
    if text.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParseError(f"{where}: invalid or truncated JSON ({exc.msg} at line {exc.lineno})") from None
    return _yaml(text, where)


def _yaml(text: str, where: str) -> Any:
    import yaml  # only YAML lists need it

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ParseError(f"{where}: invalid YAML ({str(exc).splitlines()[0]})") from None


def records_from(entries: list[dict], settings: ConferenceSettings) -> tuple[list[VenuePaper], list[VenueAuthor]]:
    """Papers in list order (repeated keys skipped) and their author slots."""
    papers: dict[str, VenuePaper] = {}
    authors: list[VenueAuthor] = []
    for entry in entries:
        paper = paper_from(entry, settings)
        if paper is None:
            continue
        if paper.paper_key in papers:
            logger.info("%s: repeated paper %r skipped", settings.name, paper.paper_key)
            continue
        papers[paper.paper_key] = paper
        authors += authors_from(entry, paper, settings)
    return list(papers.values()), authors


def paper_from(entry: dict, settings: ConferenceSettings) -> VenuePaper | None:
    """One list entry -> `VenuePaper` (None, logged, when it has no title)."""
    title = _clean(entry.get("title"))
    if not title:
        logger.warning("%s: skipped a paper without a title (id %r)", settings.name, entry.get("id"))
        return None
    forum_id = _forum_id(entry)
    venue = settings.event or settings.name
    return VenuePaper(
        source=settings.name,
        paper_key=forum_id or _clean(entry.get("id")) or c.slugify(title),
        title=title,
        venue=venue,
        year=_year(entry, settings, venue),
        track=_clean(entry.get("track")),
        status=_status(entry),
        forum_id=forum_id,
        code_url=_code_url(entry),
        url=_paper_url(entry, forum_id),
        abstract=_clean(entry.get("abstract")),
        keywords=c.unique(k for k in (_clean(entry.get("keywords")) or "").split(";")),
    )


def authors_from(entry: dict, paper: VenuePaper, settings: ConferenceSettings) -> list[VenueAuthor]:
    """Author slots: papercopilot ``;`` positional fields, or the site list's comma-joined names."""
    if "author" in entry or "authorids" in entry:
        names = _slots(entry.get("author"))
    else:
        names = [n.strip() for n in (_clean(entry.get("authors")) or "").split(",")]
    fields = {name: _slots(entry.get(name)) for name in (*_PROFILE_FIELDS, "aff", "position")}
    out = []
    for index, name in enumerate(names):
        if not name:
            c.skip_nameless(settings.name, "paper author", f"{paper.paper_key}#{index + 1}")
            continue
        slot = {key: values[index] if index < len(values) else None for key, values in fields.items()}
        out.append(VenueAuthor(
            source=settings.name, paper_key=paper.paper_key, position=index + 1, name=name,
            affiliation=_multi(slot["aff"]), position_title=_multi(slot["position"]),
            links=profile_links(slot),
        ))
    return out


def profile_links(slot: dict[str, str | None]) -> tuple[Link, ...]:
    """Typed, normalised links of one author slot (empty values give none)."""
    links = [
        _authorid_link(slot.get("authorids")),
        _homepage_link(slot.get("homepage")),
        _dblp_link(slot.get("dblp")),
        _scholar_link(slot.get("google_scholar")),
        _orcid_link(slot.get("orcid")),
        _linkedin_link(slot.get("linkedin")),
    ]
    return c.unique_links(links)


def _authorid_link(value: str | None) -> Link | None:
    """OpenReview ``~First_Last1`` ids; old lists (ICLR 2018) give e-mail addresses instead."""
    if not value:
        return None
    if value.startswith("~"):
        return Link("openreview", f"https://openreview.net/profile?id={value}", value)
    if _EMAIL.match(value):
        return Link("email", f"mailto:{value}", value.lower())
    return None


def _homepage_link(value: str | None) -> Link | None:
    """A homepage field may hold any profile URL (GitHub, LinkedIn, Scholar): classify it."""
    if not value:
        return None
    scholar = _scholar_link(value) if "scholar.google." in value else None
    return scholar or classify_url(value, "homepage")


def _dblp_link(value: str | None) -> Link | None:
    """``139/2266`` (a dblp pid) or a full dblp URL -> value ``pid/139/2266``."""
    if not value:
        return None
    url = value if "://" in value else f"https://dblp.org/pid/{value.strip('/')}"
    link = classify_url(url, "dblp")
    return Link("dblp", link.url, link.value) if link else None


def _scholar_link(value: str | None) -> Link | None:
    """A Scholar user id or any ``scholar.google.<cc>`` URL -> the user id (country domains vary)."""
    if not value:
        return None
    match = _SCHOLAR_USER.search(value)
    user = match.group(1) if match else (value if _SCHOLAR_ID.match(value) else None)
    if not user:
        return None
    return Link("scholar", f"https://scholar.google.com/citations?user={user}", user)


def _orcid_link(value: str | None) -> Link | None:
    match = _ORCID.search(value or "")
    if not match:
        return None
    orcid = match.group(1).upper()
    return Link("orcid", f"https://orcid.org/{orcid}", orcid)


def _linkedin_link(value: str | None) -> Link | None:
    """``songyixiao/`` (a public-profile slug) or a URL -> value ``in/songyixiao``."""
    if not value:
        return None
    url = value if ("://" in value or "linkedin.com" in value) else f"https://www.linkedin.com/in/{value}"
    link = classify_url(url, "linkedin")
    return link if link and link.kind == "linkedin" else None


def _slots(value: Any) -> list[str | None]:
    """``"a;;c"`` -> ``["a", None, "c"]``: positions are kept, empties are None."""
    if not isinstance(value, str) or not value.strip():
        return []
    return [part.strip() or None for part in value.split(";")]


def _multi(value: str | None) -> str | None:
    """Several affiliations/positions of one author are joined by ``+``."""
    if not value:
        return None
    parts = c.unique(part for part in value.split("+"))
    return "; ".join(parts) or None


def _clean(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return c.text(value) if isinstance(value, str) else None


def _forum_id(entry: dict) -> str | None:
    for key in ("site", "openreview", "url", "forum"):
        match = _FORUM_ID.search(_clean(entry.get(key)) or "")
        if match:
            return match.group(1)
    ident = _clean(entry.get("id"))
    return ident if ident and "openreview" in (_clean(entry.get("site")) or "") else None


def _paper_url(entry: dict, forum_id: str | None) -> str | None:
    site = _clean(entry.get("site")) or _clean(entry.get("url"))
    if site and site.startswith(("http://", "https://")):
        return site
    return f"https://openreview.net/forum?id={forum_id}" if forum_id else None


def _code_url(entry: dict) -> str | None:
    """The paper's code repository (papercopilot ``github`` is a markdown link
    or a plain URL, GitHub or elsewhere).  A Papers-with-Code "community
    implementations" link is other people's code, not the authors': skipped."""
    for url in urls_in_text(_clean(entry.get("github"))):
        if "paperswithcode.com" not in url.lower():
            return url
    return None


def _status(entry: dict) -> str | None:
    status = _clean(entry.get("status"))
    if status or "oral_spotlight" not in entry:
        return status
    return "Oral/Spotlight" if entry.get("oral_spotlight") is True else "Poster"


def _year(entry: dict, settings: ConferenceSettings, venue: str) -> int | None:
    if settings.date:
        return settings.date.year
    match = _BIBTEX_YEAR.search(_clean(entry.get("bibtex")) or "")
    if match:
        return int(match.group(1))
    match = _YEAR.search(f"{venue} {settings.name}")
    return int(match.group(0)) if match else None
