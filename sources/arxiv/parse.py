"""arXiv Atom -> `sources.records.Paper`.

Entries are built by the arxiv package's own Atom parser (``arxiv._feed``,
the code path ``arxiv.Client`` uses for every page), so the files tests read
and the pages the client fetches are turned into records the same way.
That parser is lenient (``recover=True``) and silently drops arXiv's *error
entries*, which would make a bad query look like "no results"; so every body
is first checked strictly here (`check_feed`).
"""
from __future__ import annotations

import logging
import re

import arxiv
from arxiv import _feed
from lxml import etree

from sources.errors import ParseError
from sources.links import github_urls_in_text
from sources.records import Paper, PaperAuthor

logger = logging.getLogger(__name__)

_ATOM = "{http://www.w3.org/2005/Atom}"
_ERROR_ID = "arxiv.org/api/errors"
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf]")
# "2401.01234v2", "astro-ph/0601001v1", "math.GT/0309136" (legacy with subject class)
_ARXIV_ID = re.compile(r"^(?P<id>(?:[a-z][a-z.-]*/\d{7})|(?:\d{4}\.\d{4,5}))(?:v(?P<v>\d+))?$", re.I)


def check_feed(content: bytes | str) -> None:
    """Raise ParseError unless ``content`` is a well-formed Atom feed without
    an arXiv error entry (arXiv answers a bad query with an entry titled
    "Error" whose summary explains the problem)."""
    root = _strict_root(content)
    if root.tag != f"{_ATOM}feed":
        raise ParseError(f"arXiv: expected an Atom <feed>, got <{etree.QName(root).localname}>")
    for entry in root.iterfind(f"{_ATOM}entry"):
        entry_id = entry.findtext(f"{_ATOM}id") or ""
        title = (entry.findtext(f"{_ATOM}title") or "").strip()
        if _ERROR_ID in entry_id or (title == "Error" and entry.find(f"{_ATOM}published") is None):
            message = " ".join((entry.findtext(f"{_ATOM}summary") or "no message").split())
            raise ParseError(f"arXiv API error: {message} ({entry_id})")


def parse_feed(content: bytes | str, query: str | None = None) -> list[Paper]:
    """Parse a raw arXiv API response body into Papers (empty feed -> [])."""
    body = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    check_feed(body)
    feed = _feed.parse(body)
    papers = (result_to_paper(result, query) for result in feed.results)
    return [paper for paper in papers if paper is not None]


def result_to_paper(result: arxiv.Result, query: str | None = None) -> Paper | None:
    """Map one `arxiv.Result` to a Paper; None (logged) when it has no usable id
    or title, so one odd entry never sinks a whole page."""
    ids = split_arxiv_id(result.entry_id)
    title = _clean(result.title)
    if ids is None or title is None:
        logger.warning("arXiv: skipping entry %r without a usable id/title", result.entry_id)
        return None
    abstract = _clean(result.summary) or ""
    comment = _clean(result.comment)
    return Paper(
        paper_id=ids[0],
        version=ids[1],
        title=title,
        abstract=abstract,
        authors=_authors(result.authors),
        categories=tuple(dict.fromkeys(c.strip() for c in result.categories if c and c.strip())),
        primary_category=_clean(result.primary_category),
        published=result.published,
        updated=result.updated,
        url=_abs_url(result),
        pdf_url=_clean(result.pdf_url),
        comment=comment,
        journal_ref=_clean(result.journal_ref),
        doi=_clean(result.doi),
        code_urls=tuple(dict.fromkeys(github_urls_in_text(abstract) + github_urls_in_text(comment))),
        query=query,
    )


def split_arxiv_id(entry_id: str) -> tuple[str, int] | None:
    """``http://arxiv.org/abs/2401.01234v2`` -> ``("2401.01234", 2)``; version 1
    when the id carries none; None when it is not an arXiv id."""
    short = (entry_id or "").strip().split("arxiv.org/abs/")[-1]
    match = _ARXIV_ID.match(short)
    if not match:
        return None
    return match.group("id"), int(match.group("v") or 1)


def _authors(authors: list[arxiv.Result.Author]) -> tuple[PaperAuthor, ...]:
    """Authors in paper order; the 1-based position is part of the natural key,
    so it follows the feed's element order even if a name is blank."""
    result = []
    for position, author in enumerate(authors, start=1):
        name = _clean(author.name)
        if name is None:
            logger.warning("arXiv: author #%d has no name; skipped", position)
            continue
        affiliations = [a for a in (_clean(x) for x in author.affiliation) if a]
        affiliation = "; ".join(dict.fromkeys(affiliations)) or None
        result.append(PaperAuthor(name=name, position=position, affiliation=affiliation))
    return tuple(result)


def _abs_url(result: arxiv.Result) -> str:
    for link in result.links:
        if link.rel == "alternate" and link.href:
            return link.href.strip()
    return result.entry_id.strip()


def _clean(text: str | None) -> str | None:
    """Collapse Atom's hard line wraps into single spaces; "" -> None."""
    if text is None:
        return None
    cleaned = " ".join(repair_mojibake(text).split())
    return cleaned or None


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as Latin-1 ("JosÃ© RaÃºl" -> "José Raúl").

    Why: recorded arXiv bodies (e.g. arxiv.py's fixtures, or any client that
    read ``resp.text`` without a charset) carry names in this form, and a
    mangled name never matches the same person elsewhere.  Only text with a
    UTF-8 lead byte followed by a continuation byte is touched, and only when
    the round trip is valid UTF-8, so genuine accents are left alone.
    """
    if not _MOJIBAKE.search(text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def _strict_root(content: bytes | str) -> etree._Element:
    body = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    if not body.strip():
        raise ParseError("arXiv: empty response body (expected an Atom feed)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"arXiv: response is not well-formed XML ({exc})") from None
    if root is None:
        raise ParseError("arXiv: response is not an XML document")
    return root
