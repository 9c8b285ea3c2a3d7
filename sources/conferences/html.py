"""Speaker pages scraped with CSS selectors from the config (BeautifulSoup).

For conferences that publish no API, only an HTML speakers page.  The page
is parsed (stdlib ``html.parser``), never executed: scripts, styles and
comments are ignored, and no link on it is ever followed -- links are only
recorded as the speaker published them.

``selectors`` (all CSS, evaluated inside each speaker element, except
``speaker`` which is evaluated on the page):

* ``speaker`` (required): one element per speaker;
* ``name`` (required): the speaker's name (a block without one is skipped);
* ``affiliation``, ``tagline``: text of the first match, without the text of
  links inside it (``Sparkbox - Developer<br><a>@x</a>`` -> ``Sparkbox - Developer``);
* ``bio``: text of the matches, up to the first talk title (what follows a
  talk title is that talk's abstract);
* ``links``: anchors whose ``href`` become typed links (relative ones are
  resolved against the page URL);
* ``talk_title``: one element per talk; the talk's abstract is the text of
  the following siblings up to the next talk title.  Talk key: slug of the
  title, so a workshop given by two speakers is one talk with both;
* ``key`` + ``key_attr``: the element and attribute holding the speaker key
  (an anchor id); ``key_attr`` alone reads the speaker element's attribute.
  Default key: the speaker element's ``id`` when it has one (a page's own
  anchor is its stablest key), else the slug of the name.

Example -- the ConvergeSE 2018 speakers page::

    [[sources.conferences]]
    name = "convergese_2018"
    format = "html"
    url = "https://convergese.com/speakers.php"
    event = "ConvergeSE 2018"
    [sources.conferences.selectors]
    speaker = ".day_schedule"
    name = ".day_header_content h3"
    affiliation = ".day_header_content p"
    links = ".day_header_content a[href]"
    bio = ".schedule-block"
    talk_title = ".schedule-block h2"
    key = "a[name]"
    key_attr = "name"
"""
from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Collection, Iterable, Iterator
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from bs4.element import Declaration, Doctype, ProcessingInstruction

from sources.conferences import common as c
from sources.conferences.conditional import Programme, pull_programme
from sources.conferences.settings import ConferenceSettings
from sources.errors import ParseError
from sources.http import is_http_url
from sources.records import Page, Speaker, Talk

logger = logging.getLogger(__name__)

_INVISIBLE = ("script", "style", "template", "noscript", "head")
_NOT_TEXT = (Comment, Doctype, Declaration, ProcessingInstruction)
_SPACES = re.compile(r"\s+")


def pull(settings: ConferenceSettings, state: dict[str, str]) -> Iterator[Page]:
    """Yield one Page with the page's speakers and their talks (one request; a
    conditional one when the page had validators: see `sources.conferences.conditional`)."""
    return pull_programme(settings, state, [settings.url], lambda programme: _read(settings, programme))


def _read(settings: ConferenceSettings, programme: Programme) -> Iterator[Page]:
    speakers, talks = parse_page(programme.fetch(settings.url), settings)
    logger.info("%s: %d speakers, %d talks from %s", settings.name, len(speakers), len(talks), settings.url)
    yield Page(records=[*speakers, *talks])


def parse_page(body: bytes | str, settings: ConferenceSettings) -> tuple[list[Speaker], list[Talk]]:
    """Speakers and talks of one page, as the configured selectors describe them."""
    soup = _soup(body, settings)
    blocks = soup.select(settings.selectors["speaker"])
    if not blocks:
        raise ParseError(
            f"{settings.name}: {settings.url}: no element matches selectors.speaker "
            f"{settings.selectors['speaker']!r} (expected one per speaker; has the page layout changed?)"
        )
    speakers: dict[str, Speaker] = {}
    talks: dict[str, Talk] = {}
    talk_speakers: dict[str, dict[str, None]] = {}   # co-speakers collected once, not re-merged per block
    for block in blocks:
        speaker = _speaker(block, settings, speakers.keys())  # a view: copying the keys per block was quadratic
        if speaker is None:
            continue
        block_talks = _talks(block, settings, speaker.speaker_key)
        for talk in block_talks:
            talks[talk.talk_key] = _merge_talk(talks.get(talk.talk_key), talk)
            talk_speakers.setdefault(talk.talk_key, {}).setdefault(speaker.speaker_key)
        speakers[speaker.speaker_key] = _with_talks(speaker, [t.talk_key for t in block_talks])
    return list(speakers.values()), [replace(t, speaker_keys=tuple(talk_speakers[k])) for k, t in talks.items()]


def _soup(body: bytes | str, settings: ConferenceSettings) -> BeautifulSoup:
    if ("\x00" if isinstance(body, str) else b"\x00") in body:  # binary or corrupt, never an HTML page
        raise ParseError(f"{settings.name}: {settings.url}: not an HTML page (contains NUL bytes)")
    try:
        return BeautifulSoup(body, "html.parser")
    except Exception as exc:  # bs4 raises assorted errors on hostile markup
        raise ParseError(f"{settings.name}: {settings.url}: not parseable as HTML ({exc})") from None


def _speaker(block: Tag, settings: ConferenceSettings, taken: Collection[str]) -> Speaker | None:
    sel = settings.selectors
    name = _first_text(block, sel["name"])
    if not name:
        c.skip_nameless(settings.name, "speaker block", _key_from_markup(block, sel))
        return None
    bio = _bio(block, sel)
    return Speaker(
        source=settings.name,
        speaker_key=_unique_key(_key_from_markup(block, sel) or c.slugify(name) or "speaker", taken, settings),
        name=name,
        event=settings.event,
        affiliation=_first_text(block, sel.get("affiliation"), skip_links=True),
        tagline=_first_text(block, sel.get("tagline"), skip_links=True),
        bio=bio,
        links=c.unique_links([*_links(block, sel.get("links"), settings), *c.bio_links(bio)]),
    )


def _key_from_markup(block: Tag, sel: dict[str, str]) -> str | None:
    attr = sel.get("key_attr") or "id"
    element = block.select_one(sel["key"]) if sel.get("key") else block
    value = element.get(attr) if element is not None else None
    return c.text(value if isinstance(value, str) else None)


def _unique_key(key: str, taken: Collection[str], settings: ConferenceSettings) -> str:
    if key not in taken:
        return key
    number = 2
    while f"{key}-{number}" in taken:
        number += 1
    logger.warning("%s: speaker key %r appears twice on the page; using %r", settings.name, key, f"{key}-{number}")
    return f"{key}-{number}"


def _bio(block: Tag, sel: dict[str, str]) -> str | None:
    if not sel.get("bio"):
        return None
    stop = set(map(id, block.select(sel["talk_title"]))) if sel.get("talk_title") else set()
    parts: list[str] = []
    for element in block.select(sel["bio"]):
        for node in element.descendants:
            if isinstance(node, Tag) and id(node) in stop:
                return _join(parts)
            if _visible_text(node):
                parts.append(str(node))
    return _join(parts)


def _talks(block: Tag, settings: ConferenceSettings, speaker_key: str) -> list[Talk]:
    selector = settings.selectors.get("talk_title")
    if not selector:
        return []
    titles = block.select(selector)
    title_ids = set(map(id, titles))
    talks = []
    for element in titles:
        title = _text_of([element])
        if title and c.slugify(title):
            talks.append(Talk(
                source=settings.name, talk_key=c.slugify(title), title=title, event=settings.event,
                abstract=_abstract(element, title_ids), happened_on=settings.date,
                url=settings.url if is_http_url(settings.url) else None, speaker_keys=(speaker_key,),
            ))
    return talks


def _abstract(title: Tag, title_ids: set[int]) -> str | None:
    parts: list[str] = []
    for sibling in title.next_siblings:
        if isinstance(sibling, Tag) and (id(sibling) in title_ids
                                         or any(id(d) in title_ids for d in sibling.find_all(True))):
            break
        parts.extend(_strings(sibling))
    return _join(parts)


def _merge_talk(known: Talk | None, talk: Talk) -> Talk:
    """The first listing of a talk, with an abstract from a later one if it had none
    (speaker keys are gathered separately by `parse_page`)."""
    if known is None:
        return talk
    return known if known.abstract or not talk.abstract else replace(known, abstract=talk.abstract)


def _with_talks(speaker: Speaker, talk_keys: list[str]) -> Speaker:
    return Speaker(speaker.source, speaker.speaker_key, speaker.name, speaker.event, speaker.affiliation,
                   speaker.tagline, speaker.bio, speaker.links, c.unique(talk_keys))


def _links(block: Tag, selector: str | None, settings: ConferenceSettings) -> list:
    if not selector:
        return []
    out = []
    for anchor in block.select(selector):
        href = anchor.get("href") if isinstance(anchor, Tag) else None
        href = c.text(href if isinstance(href, str) else None)
        if not href or href.startswith("#") or href.lower().startswith(("javascript:", "data:")):
            continue
        if "://" not in href and not href.lower().startswith("mailto:"):
            if not is_http_url(settings.url):
                continue  # a relative link on a saved page points nowhere we know
            href = urljoin(settings.url, href)
        out.append(c.link(href))
    return out


def _first_text(block: Tag, selector: str | None, skip_links: bool = False) -> str | None:
    if not selector:
        return None
    element = block.select_one(selector)
    if element is None:
        return None
    strings = [s for s in _strings(element) if not (skip_links and s.find_parent("a") is not None)]
    return _join(strings)


def _text_of(elements: Iterable[Tag]) -> str | None:
    return _join([s for element in elements for s in _strings(element)])


def _strings(node) -> list[NavigableString]:
    if isinstance(node, NavigableString):
        return [node] if _visible_text(node) else []
    return [s for s in node.descendants if _visible_text(s)]


def _visible_text(node) -> bool:
    if not isinstance(node, NavigableString) or isinstance(node, _NOT_TEXT):
        return False
    return not any(parent.name in _INVISIBLE for parent in node.parents)  # find_parent is ~10x slower


def _join(parts: list) -> str | None:
    return c.text(_SPACES.sub(" ", " ".join(str(p) for p in parts)))
