"""arXiv API wire format: the search-query subset the configs use, and Atom 1.0
rendered the way export.arxiv.org answers since its 2025 rewrite (namespaces on
the feed element, one-line summaries; compare shared/data/real/arxiv/*2026.xml).
"""
from __future__ import annotations

import base64
import functools
import hashlib
import re
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from sampleworld.model import Paper

MAX_RESULTS_CAP = 2000  # arXiv's documented per-request maximum
FEED_UPDATED = "2026-11-01T00:00:00Z"
_TOKEN = re.compile(r'\s*(\(|\)|ANDNOT\b|AND\b|OR\b|\w+:"[^"]*"|\w+:[^\s()"]+|"[^"]*"|[^\s()"]+)')
_FIELDS = ("ti", "abs", "au", "cat", "all", "co", "jr", "id")


class QueryError(ValueError):
    """The search_query does not parse (arXiv answers 400 with an error feed)."""


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", (text or "").lower())


def _field_text(paper: Paper, field: str) -> str:
    if field == "ti":
        return paper.title
    if field == "abs":
        return paper.abstract
    if field == "au":
        return " ".join(a.name for a in paper.authors)
    if field == "co":
        return paper.comment or ""
    if field == "jr":
        return paper.journal_ref or ""
    return " ".join((paper.title, paper.abstract, " ".join(a.name for a in paper.authors), paper.comment or ""))


def spaced(text: str) -> str:
    """The text's `words` joined by single spaces, with a space at each end:
    a phrase's tokens occur in a row exactly when `spaced(phrase)` is a
    substring of it (tokens hold no spaces), one C-level search per field."""
    return " " + " ".join(words(text)) + " "


# the last field text a term normalised, per field: a query's terms on the same
# field (abs:a OR abs:b ...) then normalise each paper's text once, not per term
_LAST_SPACED: dict[str, tuple[str, str]] = {}


@functools.lru_cache(maxsize=4096)
def _lowered(categories: tuple[str, ...]) -> frozenset[str]:
    """A paper's categories, case-folded once per distinct combination (a
    world has a few hundred; a query tests every paper against each ``cat:``)."""
    return frozenset(c.lower() for c in categories)


def _spaced_field(paper: Paper, field: str) -> str:
    text = _field_text(paper, field)
    last = _LAST_SPACED.get(field)
    if last is not None and last[0] is text:
        return last[1]
    result = spaced(text)
    _LAST_SPACED[field] = (text, result)
    return result


def _term(field: str, value: str):
    value = value.strip('"')
    if field not in _FIELDS:
        raise QueryError(f"unknown field {field!r}")
    if field == "cat":
        wanted = value.lower()
        return lambda p: wanted in _lowered(tuple(p.categories))
    if field == "id":
        return lambda p: p.paper_id == value
    phrase = spaced(value)
    if phrase == " ":
        return lambda p: False
    return lambda p: phrase in _spaced_field(p, field)


def parse_query(query: str):
    """search_query -> predicate(Paper) -> bool. Operators bind left to right;
    adjacent terms without an operator are ANDed (as arXiv's Lucene does)."""
    tokens = [t for t in _TOKEN.findall(query or "") if t.strip()]
    if not tokens:
        raise QueryError("empty search_query")
    predicate, rest = _expr(tokens)
    if rest:
        raise QueryError(f"unexpected {rest[0]!r}")
    return predicate


def _expr(tokens: list[str]):
    left, tokens = _atom(tokens)
    while tokens and tokens[0] != ")":
        op = tokens[0] if tokens[0] in ("AND", "OR", "ANDNOT") else "AND"
        right, tokens = _atom(tokens[1:] if op == tokens[0] else tokens)
        left = _combine(op, left, right)
    return left, tokens


def _combine(op: str, left, right):
    if op == "OR":
        return lambda p: left(p) or right(p)
    if op == "ANDNOT":
        return lambda p: left(p) and not right(p)
    return lambda p: left(p) and right(p)


def _atom(tokens: list[str]):
    if not tokens:
        raise QueryError("query ends early")
    head, rest = tokens[0], tokens[1:]
    if head == "(":
        inner, rest = _expr(rest)
        if not rest or rest[0] != ")":
            raise QueryError("unbalanced parentheses")
        return inner, rest[1:]
    if head in (")", "AND", "OR", "ANDNOT"):
        raise QueryError(f"unexpected {head!r}")
    field, sep, value = head.partition(":")
    return (_term(field, value) if sep and not head.startswith('"') else _term("all", head)), rest


def feed(query: str, id_list: str, start: int, max_results: int, total: int, papers: list[Paper]) -> bytes:
    """One page of results as arXiv's Atom feed."""
    shown = f"search_query={query}&id_list={id_list}&start={start}&max_results={max_results}"
    digest = base64.b64encode(hashlib.sha1(shown.encode()).digest()).decode().rstrip("=")
    link = (f"https://arxiv.org/api/query?search_query={quote(query, safe=':')}&start={start}"
            f"&max_results={max_results}&id_list={quote(id_list, safe=',')}")
    head = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns="http://www.w3.org/2005/Atom">',
        f"  <id>https://arxiv.org/api/{digest}</id>",
        f"  <title>arXiv Query: {escape(shown)}</title>",
        f"  <updated>{FEED_UPDATED}</updated>",
        f'  <link href={quoteattr(link)} type="application/atom+xml"/>',
        f"  <opensearch:itemsPerPage>{max_results}</opensearch:itemsPerPage>",
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>",
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>",
    ]
    body = head + [_entry(p) for p in papers] + ["</feed>", ""]
    return "\n".join(body).encode("utf-8")


def _entry(p: Paper) -> str:
    vid = f"{p.paper_id}v{p.version}"
    lines = [
        "  <entry>", f"    <id>http://arxiv.org/abs/{vid}</id>", f"    <title>{escape(p.title)}</title>",
        f"    <updated>{p.updated}</updated>",
        f'    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{vid}" rel="related" type="application/pdf" title="pdf"/>',
        f"    <summary>{escape(p.abstract)}</summary>",
    ]
    lines += [f'    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in p.categories]
    lines.append(f"    <published>{p.published}</published>")
    if p.comment:
        lines.append(f"    <arxiv:comment>{escape(p.comment)}</arxiv:comment>")
    lines.append(f'    <arxiv:primary_category term="{p.primary_category}"/>')
    if p.journal_ref:
        lines.append(f"    <arxiv:journal_ref>{escape(p.journal_ref)}</arxiv:journal_ref>")
    for a in p.authors:
        aff = f"\n      <arxiv:affiliation>{escape(a.affiliation)}</arxiv:affiliation>" if a.affiliation else ""
        lines.append(f"    <author>\n      <name>{escape(a.name)}</name>{aff}\n    </author>")
    lines.append("  </entry>")
    return "\n".join(lines)


def error_feed(message: str) -> bytes:
    """What arXiv returns with HTTP 400 for a bad query or id."""
    anchor = re.sub(r"\W+", "_", message.lower()).strip("_")
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns="http://www.w3.org/2005/Atom">\n'
        "  <id>https://arxiv.org/</id>\n  <title>arXiv Search Results</title>\n"
        f"  <updated>{FEED_UPDATED}</updated>\n"
        "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n"
        "  <opensearch:totalResults>1</opensearch:totalResults>\n"
        "  <opensearch:startIndex>0</opensearch:startIndex>\n"
        f"  <entry>\n    <id>https://arxiv.org/api/errors#{anchor}</id>\n    <title>Error</title>\n"
        f"    <updated>{FEED_UPDATED}</updated>\n"
        f'    <link href="https://arxiv.org/api/errors#{anchor}" rel="alternate" type="text/html"/>\n'
        f"    <summary>{escape(message)}</summary>\n"
        "    <author>\n      <name>arXiv api core</name>\n    </author>\n  </entry>\n</feed>\n"
    ).encode("utf-8")
