"""Internal mobility: the company's own people, from an HR CSV export.

Entry point `pull(settings, state)` yields `InternalPerson` records.  The CSV
has a header row with the columns ``name``, ``email`` (both required),
``team``, ``skills`` (``;``- or ``,``-separated inside the cell) and
``github_login`` (a login, ``@login`` or a GitHub profile URL).  Header
names are matched case-insensitively; other columns are ignored (we keep
only work-related fields).  A row without an email cannot be keyed and is
skipped with a warning naming its line; so is a row without a name.
The whole file is re-read every night (it is small; no state kept).
"""
from __future__ import annotations

import csv
import io
import logging
import re
from typing import Iterator

from sources.errors import ParseError, SourceError
from sources.internal.settings import InternalSettings
from sources.links import github_login_from_url
from sources.records import InternalPerson, Page

__all__ = ["InternalSettings", "pull", "parse_csv"]

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("name", "email")
PAGE_SIZE = 1000
_LOGIN = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,38}$", re.I)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SKILL_SEPARATORS = re.compile(r"[;,]")


def pull(settings: InternalSettings, state: dict[str, str]) -> Iterator[Page]:
    """Yield the people of the CSV in Pages of up to ``PAGE_SIZE``."""
    people = parse_csv(_read(settings), where=str(settings.path))
    logger.info("internal: %d people from %s", len(people), settings.path)
    for start in range(0, max(len(people), 1), PAGE_SIZE):
        yield Page(records=list(people[start:start + PAGE_SIZE]))


def _read(settings: InternalSettings) -> str:
    try:
        return settings.path.read_text(encoding="utf-8-sig")  # Excel writes a BOM
    except FileNotFoundError:
        raise SourceError(f"internal: CSV file not found: {settings.path}") from None
    except UnicodeDecodeError as exc:
        raise ParseError(f"internal: {settings.path} is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise SourceError(f"internal: cannot read {settings.path} ({exc.strerror or exc})") from None


def parse_csv(text: str, where: str = "internal CSV") -> list[InternalPerson]:
    """Rows -> `InternalPerson` (first row per email wins); raises SourceError on a bad header."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _people(reader, where)
    except csv.Error as exc:
        raise ParseError(f"{where} line {reader.line_num}: not valid CSV ({exc})") from None


def _people(reader, where: str) -> list[InternalPerson]:
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise SourceError(f"{where}: missing required column {missing[0]!r} (header: {', '.join(header) or 'empty'})")
    people: dict[str, InternalPerson] = {}
    for row in reader:
        line = reader.line_num
        person = _person(dict(zip(header, row)), line, where)
        if person is None:
            continue
        if person.email in people:
            logger.warning("%s line %d: email %s already seen; keeping the first row", where, line, person.email)
            continue
        people[person.email] = person
    return list(people.values())


def _person(row: dict[str, str], line: int, where: str) -> InternalPerson | None:
    if not any((value or "").strip() for value in row.values()):
        return None  # blank line
    email = (row.get("email") or "").strip().lower()
    name = (row.get("name") or "").strip()
    if not email or not _EMAIL.match(email):
        logger.warning("%s line %d: skipped, no valid email (%r)", where, line, email or None)
        return None
    if not name:
        logger.warning("%s line %d: skipped, no name", where, line)
        return None
    return InternalPerson(
        email=email,
        name=name,
        team=(row.get("team") or "").strip() or None,
        skills=_skills(row.get("skills")),
        github_login=_github_login(row.get("github_login"), line, where),
    )


def _skills(cell: str | None) -> tuple[str, ...]:
    out: list[str] = []
    for skill in _SKILL_SEPARATORS.split(cell or ""):
        skill = skill.strip()
        if skill and skill.lower() not in (s.lower() for s in out):
            out.append(skill)
    return tuple(out)


def _github_login(cell: str | None, line: int, where: str) -> str | None:
    """``octocat``, ``@octocat`` or ``https://github.com/octocat`` -> ``octocat``."""
    value = (cell or "").strip()
    if not value:
        return None
    if "github.com" in value.lower():
        login = github_login_from_url(value)
    else:
        login = value.lstrip("@").lower() if _LOGIN.match(value.lstrip("@")) else None
    if login is None:
        logger.warning("%s line %d: ignored github_login %r (not a GitHub login or profile URL)", where, line, value)
    return login
