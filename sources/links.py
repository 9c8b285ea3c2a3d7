"""Classify public URLs into typed `Link`s with a normalised identifier.

Why: strong identity hints (a GitHub login in a speaker's links, an ORCID on
a paper list, a homepage) only join records when they are written the same
way everywhere, so normalisation lives in one place.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from sources.records import Link

# GitHub paths that are not user/org names.
_GITHUB_RESERVED = frozenset({
    "about", "orgs", "topics", "features", "sponsors", "marketplace", "explore",
    "settings", "login", "join", "pricing", "enterprise", "collections",
    "trending", "site", "apps", "search", "notifications", "issues", "pulls",
})
_GITHUB_LOGIN = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,38}$", re.I)
_GITHUB_URL = re.compile(
    r"(?:https?://)?(?:www\.)?github\.com/([A-Za-z0-9][A-Za-z0-9-]{0,38})(?:/([A-Za-z0-9_.-]+))?",
    re.I,
)
_GITHUB_IO = re.compile(r"^([a-z0-9][a-z0-9-]{0,38})\.github\.io$", re.I)
_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.I)
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'\)\]},;]+", re.I)


def github_login_from_url(url: str) -> str | None:
    """Return the lower-cased login of a github.com user/repo URL, else None."""
    match = _GITHUB_URL.search(url or "")
    if not match:
        return None
    login = match.group(1).lower()
    if login in _GITHUB_RESERVED or not _GITHUB_LOGIN.match(login):
        return None
    return login


def github_repo_from_url(url: str) -> str | None:
    """Return ``owner/repo`` (lower-cased) of a github.com repo URL, else None."""
    match = _GITHUB_URL.search(url or "")
    if not match or not match.group(2):
        return None
    login = github_login_from_url(url)
    repo = re.sub(r"\.git$", "", match.group(2)).rstrip(".").lower()
    return f"{login}/{repo}" if login and repo else None


def github_urls_in_text(text: str | None) -> tuple[str, ...]:
    """GitHub URLs mentioned in free text (abstracts, comments, bios), in order."""
    found: list[str] = []
    for url in _URL_IN_TEXT.findall(text or ""):
        url = url.rstrip(".")
        if github_login_from_url(url) and url not in found:
            found.append(url)
    return tuple(found)


def urls_in_text(text: str | None) -> tuple[str, ...]:
    """All http(s) URLs in free text, trailing punctuation removed, de-duplicated."""
    found: list[str] = []
    for url in _URL_IN_TEXT.findall(text or ""):
        url = url.rstrip(".")
        if url not in found:
            found.append(url)
    return tuple(found)


def normalise_homepage(url: str) -> str | None:
    """``https://www.Example.org/~ann/`` -> ``example.org/~ann``: comparable form."""
    parts = urlsplit(url.strip() if "://" in url else "http://" + url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    if not host or "." not in host:
        return None
    path = parts.path.rstrip("/")
    path = re.sub(r"/(index\.html?)$", "", path)
    return host + path


def classify_url(url: str | None, hint: str | None = None) -> Link | None:
    """Turn a URL (and an optional upstream hint like Sessionize ``linkType``)
    into a `Link`; returns None for empty or non-URL input."""
    url = (url or "").strip()
    if not url:
        return None
    if url.lower().startswith("mailto:"):
        address = url[7:].strip().lower()
        return Link("email", url, address or None)
    if "://" not in url:
        if "." not in url and hint not in ("x", "twitter"):
            return None
        url = "https://" + url
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return _link_for_host(url, host, (hint or "").lower())


def _link_for_host(url: str, host: str, hint: str) -> Link:
    path = urlsplit(url).path.strip("/")
    if host == "github.com":
        return Link("github", url, github_login_from_url(url))
    if _GITHUB_IO.match(host):
        return Link("homepage", url, normalise_homepage(url))
    if host.endswith("linkedin.com"):
        return Link("linkedin", url, path.lower() or None)
    if host in ("twitter.com", "x.com", "mobile.twitter.com") or hint in ("twitter", "x"):
        handle = path.split("/")[0].lstrip("@").lower() if path else None
        return Link("x", url, handle or None)
    if host == "orcid.org":
        match = _ORCID.search(path)
        return Link("orcid", url, match.group(1).upper() if match else None)
    if host == "openreview.net":
        match = re.search(r"id=(~[^&]+)", url)
        return Link("openreview", url, match.group(1) if match else None)
    if host.startswith("dblp."):
        return Link("dblp", url, path.lower() or None)
    if host == "scholar.google.com":
        match = re.search(r"user=([\w-]+)", url)
        return Link("scholar", url, match.group(1) if match else None)
    if host == "huggingface.co":
        return Link("huggingface", url, path.split("/")[0].lower() or None)
    if "mastodon" in hint or re.match(r"^/?@\w+", path) and "/@" in url:
        return Link("mastodon", url, f"{path.lstrip('@').lower()}@{host}" if path else None)
    if hint in ("blog", "company_website", "homepage", "website", "other", ""):
        return Link("homepage", url, normalise_homepage(url))
    return Link("other", url, normalise_homepage(url))
