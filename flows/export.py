"""Export a role's shortlist for an applicant-tracking system (CSV, XLSX, Parquet, JSON).

One flat row per lead, with the columns ATS imports expect (``COLUMNS``):
first/last name split, evidence and profile links as newline-joined URLs,
the recruiter's decision in ``notes``.

Decisions: by default people marked ``contacted`` or ``not_a_fit`` for the
role are left out and counted (the shortlist then still has ``top`` fresh
people); only those who would otherwise have made the list are counted.
``rank`` stays the role's rank in ``leads``, so it matches
``shortlist(role, n)`` even where someone was left out.

Formula injection: names, bios and talk titles come from the public internet
and a spreadsheet executes a cell that starts with ``=``, ``+``, ``-``, ``@``,
tab, CR or LF.  In CSV and XLSX every *text* cell is neutralised per OWASP
(prefixed with ``'``, also each line of a multi-line cell; CSV fields are all
quoted so separators inside a cell cannot start a new one; XLSX text cells
are typed as strings, never formulas).  Numbers (rank, score) stay numbers.
Parquet and JSON are for programs and keep the values as they are.
"""
from __future__ import annotations

import csv
import json
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable

import duckdb

from flows.feedback import FeedbackError, check_role, current_feedback

logger = logging.getLogger(__name__)

COLUMNS = (
    "rank", "first_name", "last_name", "full_name", "headline", "score", "role", "explanation",
    "red_flags", "evidence_links", "profile_links", "source", "location", "affiliation", "notes",
    "person_id", "first_seen",
)
NUMERIC_COLUMNS = frozenset({"rank", "score"})
FORMATS = ("csv", "xlsx", "parquet", "json")
HIDDEN_BY_DEFAULT = ("contacted", "not_a_fit")
# identity_links kinds that are a person's public profile (not e-mail, not paper hints)
PROFILE_KINDS = ("github", "linkedin", "homepage", "orcid", "openreview", "scholar", "dblp",
                 "huggingface", "x", "mastodon")
XLSX_MAX_CELL = 32767


class ExportError(ValueError):
    """A user-facing problem with an export request."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    left_out_by_status: dict[str, int] = field(default_factory=dict)

    @property
    def left_out(self) -> int:
        return sum(self.left_out_by_status.values())

    def left_out_message(self) -> str | None:
        """``3 left out (2 contacted, 1 not_a_fit); use --all to include them``, or None."""
        if not self.left_out:
            return None
        parts = ", ".join(f"{n} {status}" for status, n in sorted(self.left_out_by_status.items()))
        return f"{self.left_out} left out ({parts}); use --all to include them"

    def message(self) -> str:
        text = f"wrote {self.rows} lead{'s' if self.rows != 1 else ''} to {self.path}"
        extra = self.left_out_message()
        return f"{text}; {extra}" if extra else text


# --- names ---------------------------------------------------------------------
_PARTICLES = frozenset({
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "das", "dos", "du", "des", "la",
    "le", "ten", "ter", "bin", "ibn", "al", "el", "st.", "mac", "zu", "af", "av",
})
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "ph.d.", "md", "m.d."})


def _is_suffix(token: str) -> bool:
    return token.strip(" ,").lower() in _SUFFIXES


def split_name(full: str | None) -> tuple[str, str]:
    """(first, last) for an ATS: "Last, First", particles ("van der Berg") and suffixes kept with
    the last name, middle names with the first; a single name is a first name.

    Why not nameparser: not installed here; names from talks and papers are
    mostly "First [Middle] [particles] Last" and this covers them.
    """
    text = " ".join((full or "").split())
    if "," in text:
        head, *rest = [part.strip() for part in text.split(",")]
        suffixes = [part for part in rest if part and _is_suffix(part)]
        given = [part for part in rest if part and not _is_suffix(part)]
        if given:  # "Last, First[, Jr.]"
            return " ".join(given), " ".join([head] + suffixes).strip()
        text = " ".join([head] + suffixes)  # "First Last, Jr."
    tokens = text.split(" ") if text else []
    suffix = []
    while len(tokens) > 2 and _is_suffix(tokens[-1]):
        suffix.insert(0, tokens.pop().strip(","))
    if len(tokens) < 2:
        return (" ".join(tokens + suffix), "")
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1].lower() in _PARTICLES:
        start -= 1
    return " ".join(tokens[:start]), " ".join(tokens[start:] + suffix)


# --- formula-injection neutralisation --------------------------------------------
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_LINE_TRIGGER = re.compile(r"(\r\n|\r|\n)([ ]*[=+\-@\t])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(text: str) -> str:
    """OWASP CSV-injection rule for one text cell: prefix ``'`` where a spreadsheet would
    start a formula, at the cell start and after each line break inside it.

    Leading spaces are looked through (some spreadsheets trim them); control
    characters other than tab/CR/LF are dropped (XLSX cannot hold them).
    """
    text = _CONTROL.sub("", text)
    text = _LINE_TRIGGER.sub(lambda m: m.group(1) + "'" + m.group(2), text)
    if text.startswith(_TRIGGERS) or text.lstrip(" ").startswith(_TRIGGERS[:4]):
        text = "'" + text
    return text


def spreadsheet_row(row: dict[str, Any]) -> dict[str, Any]:
    """Neutralise every text cell; numbers and timestamps keep their type."""
    return {k: neutralise(v) if isinstance(v, str) and k not in NUMERIC_COLUMNS else v for k, v in row.items()}


# --- reading the leads -------------------------------------------------------------
_LEADS_SQL = """
WITH fb AS ({feedback}),
l AS (
    SELECT l.*, fb."status" AS fb_status, fb."note" AS fb_note,
           coalesce(list_contains($hidden, fb."status"), false) AS hidden
    FROM "leads" l
    LEFT JOIN fb ON fb."person_id" = l."person_id" AND fb."role" = l."role"
    WHERE l."role" = $role AND ($since::DATE IS NULL OR l."first_seen" >= $since::DATE)
),
n AS (
    SELECT *, count(*) FILTER (WHERE NOT hidden) OVER (
                  ORDER BY "rank", "person_id" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
              - CASE WHEN hidden THEN 0 ELSE 1 END AS kept_before
    FROM l
)
SELECT "rank", "person_id", "name", "score", "headline", "explanation", "red_flags",
       "evidence_urls", [e.url FOR e IN coalesce("evidence", [])] AS evidence_struct_urls,
       "sources", "first_seen", "location", "affiliation", fb_status, fb_note, hidden
FROM n WHERE kept_before < $top
ORDER BY "rank", "person_id"
"""

_PROFILE_SQL = """
SELECT i."person_id", k."kind", k."url"
FROM "identity_links" k JOIN "identities" i USING ("identity_id")
WHERE list_contains($ids, i."person_id") AND list_contains($kinds, k."kind") AND k."url" IS NOT NULL
UNION ALL
SELECT "person_id", "source_kind", "url" FROM "identities"
WHERE list_contains($ids, "person_id") AND "source_kind" IN ('github', 'conference') AND "url" IS NOT NULL
"""


def _web_links(urls: Iterable[str | None]) -> list[str]:
    """http(s) URLs only, de-duplicated, in order (drops javascript:, data:, junk)."""
    seen: dict[str, None] = {}
    for url in urls:
        if url and re.match(r"https?://\S+$", url.strip(), re.IGNORECASE):
            seen.setdefault(url.strip(), None)
    return list(seen)


def _profile_links(con: duckdb.DuckDBPyConnection, person_ids: list[str]) -> dict[str, list[str]]:
    """Public profile URLs per person: GitHub, LinkedIn, homepage, speaker pages ..."""
    if not person_ids:
        return {}
    try:
        rows = con.execute(_PROFILE_SQL, {"ids": person_ids, "kinds": list(PROFILE_KINDS)}).fetchall()
    except duckdb.CatalogException:  # a bare warehouse without the identity views
        return {}
    order = {kind: i for i, kind in enumerate(PROFILE_KINDS + ("conference",))}
    rows.sort(key=lambda r: (r[0], order.get(r[1], 99), r[2]))
    links: dict[str, list[str]] = {}
    for person_id, _, url in rows:
        links.setdefault(person_id, []).append(url)
    return {pid: _web_links(urls) for pid, urls in links.items()}


def _notes(status: str | None, note: str | None) -> str | None:
    if not status:
        return None
    return f"{status}: {note}" if note else status


def _export_row(lead: dict[str, Any], role: str, profiles: dict[str, list[str]]) -> dict[str, Any]:
    first, last = split_name(lead["name"])
    evidence = _web_links(lead["evidence_urls"] or lead["evidence_struct_urls"] or [])
    score = lead["score"]
    return {
        "rank": int(lead["rank"]) if lead["rank"] is not None else None,
        "first_name": first, "last_name": last, "full_name": lead["name"],
        "headline": lead["headline"], "score": float(score) if score is not None else None,
        "role": role, "explanation": lead["explanation"],
        "red_flags": "; ".join(f for f in (lead["red_flags"] or []) if f) or None,
        "evidence_links": "\n".join(evidence) or None,
        "profile_links": "\n".join(profiles.get(lead["person_id"], [])) or None,
        "source": ", ".join(lead["sources"] or []) or None,
        "location": lead["location"], "affiliation": lead["affiliation"],
        "notes": _notes(lead["fb_status"], lead["fb_note"]),
        "person_id": lead["person_id"], "first_seen": lead["first_seen"],
    }


def shortlist_rows(con: duckdb.DuckDBPyConnection, role: str, *, top: int = 25,
                   new_since: date | None = None,
                   include_all_statuses: bool = False) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The export rows (in ``COLUMNS`` order) and the left-out counts per status."""
    if not isinstance(top, int) or top < 1:
        raise ExportError(f"top must be a positive whole number, got {top!r}")
    try:
        check_role(con, role)
    except FeedbackError as exc:
        raise ExportError(str(exc)) from None
    hidden = [] if include_all_statuses else list(HIDDEN_BY_DEFAULT)
    with current_feedback(con) as feedback_sql:
        cursor = con.execute(_LEADS_SQL.format(feedback=feedback_sql),
                             {"hidden": hidden, "role": role, "since": new_since, "top": top})
        names = [d[0] for d in cursor.description]
        leads = [dict(zip(names, r)) for r in cursor.fetchall()]
    left_out: dict[str, int] = {}
    for lead in leads:
        if lead["hidden"]:
            left_out[lead["fb_status"]] = left_out.get(lead["fb_status"], 0) + 1
    kept = [lead for lead in leads if not lead["hidden"]]
    profiles = _profile_links(con, [lead["person_id"] for lead in kept])
    return [_export_row(lead, role, profiles) for lead in kept], left_out


# --- writers ---------------------------------------------------------------------
def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    """UTF-8 with BOM (Excel then reads accents right), every field quoted."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for row in rows:
            safe = spreadsheet_row(row)
            writer.writerow([_text(safe[c]) for c in COLUMNS])


def _xlsx_cell(cell: Any, value: Any) -> None:
    """Text is stored as a string cell (never a formula); numbers and dates keep their type."""
    if isinstance(value, str):
        if len(value) > XLSX_MAX_CELL:
            value = value[: XLSX_MAX_CELL - 1] + "…"
        cell.value = value
        cell.data_type = "s"
        return
    cell.value = value
    if isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"


def write_xlsx(rows: list[dict[str, Any]], path: Path, title: str = "shortlist") -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = re.sub(r"[^A-Za-z0-9_ -]", "_", title)[:31] or "shortlist"
    for col, name in enumerate(COLUMNS, start=1):
        _xlsx_cell(sheet.cell(row=1, column=col), name)
        sheet.cell(row=1, column=col).font = Font(bold=True)
    for r, row in enumerate(rows, start=2):
        safe = spreadsheet_row(row)
        for col, name in enumerate(COLUMNS, start=1):
            _xlsx_cell(sheet.cell(row=r, column=col), safe[name] if safe[name] != "" else None)
    sheet.freeze_panes = "A2"
    workbook.save(path)


def write_parquet(rows: list[dict[str, Any]], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"rank": pa.int64(), "score": pa.float64(), "first_seen": pa.timestamp("us")}
    schema = pa.schema([(c, types.get(c, pa.string())) for c in COLUMNS])
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def write_json(rows: list[dict[str, Any]], path: Path) -> None:
    """A list of objects, ``COLUMNS`` as keys, timestamps in ISO 8601."""
    data = [{c: (_text(row[c]) if isinstance(row[c], (date, datetime)) else row[c]) for c in COLUMNS}
            for row in rows]
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "parquet": write_parquet, "json": write_json}


def _target(out: Path, role: str, fmt: str) -> Path:
    """``out`` itself, or a dated file name inside it when it is a directory."""
    out = Path(out)
    if out.is_dir() or str(out).endswith(("/", os.sep)):
        safe_role = re.sub(r"[^A-Za-z0-9_-]", "_", role)
        return out / f"shortlist-{safe_role}-{date.today().isoformat()}.{fmt}"
    return out


def export_shortlist(con: duckdb.DuckDBPyConnection, role: str, *, top: int = 25, fmt: str = "csv",
                     out: Path, new_since: date | None = None,
                     include_all_statuses: bool = False) -> ExportResult:
    """Write the role's top ``top`` leads to ``out`` (a file, or a directory to name one in).

    The file is written next to its final name and renamed into place, so an
    ATS watching the folder never picks up half a file.
    """
    if fmt not in WRITERS:
        raise ExportError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    rows, left_out = shortlist_rows(con, role, top=top, new_since=new_since,
                                    include_all_statuses=include_all_statuses)
    path = _target(out, role, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        if fmt == "xlsx":
            write_xlsx(rows, partial, title=role)
        else:
            WRITERS[fmt](rows, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    logger.info("exported %d %s leads to %s (%d left out)", len(rows), role, path, sum(left_out.values()))
    return ExportResult(path, len(rows), left_out)


def iso_date(text: str) -> date:
    """argparse ``type=`` for ``--new-since``: a clear message for a bad date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError(f"expected a date like 2025-06-30, got {text!r}") from None


def export_from_warehouse(db: str | Path, role: str, **options: Any) -> ExportResult:
    """``export_shortlist`` for the CLI: opens the published warehouse read-only, exports, closes."""
    from warehouse.connection import connect

    con = connect(db, read_only=True)
    try:
        return export_shortlist(con, role, **options)
    finally:
        con.close()
