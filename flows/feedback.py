"""Recruiter feedback: `mark` a lead as interested / contacted / not_a_fit / hired.

Where feedback lives, and why
-----------------------------
The nightly run never writes the published warehouse: it copies it to
``<db>.building``, works there and ``os.replace``-s the copy over the
published file (``warehouse/publish.py``).  A decision written into the
published file while a night is building would vanish at that swap.  So
decisions are written to a small **sidecar** DuckDB file next to the
warehouse, ``<db>.feedback.duckdb``, which no night ever replaces: it is the
source of truth.  Besides, ``mark`` then only needs a *read-only* connection
to the warehouse (to find the person and the role), so it never fights
recruiters' open read-only sessions for the warehouse lock.

* ``mark`` upserts ``feedback`` and appends to ``feedback_history`` in the
  sidecar, in one transaction (milliseconds; a concurrent writer or reader of
  the sidecar is waited for, see ``_retry_locked``).
* The night calls ``merge_feedback(staging_con, published_path)`` just before
  ``NightlyBuild.publish()``: it mirrors the sidecar into the warehouse's own
  ``feedback`` / ``feedback_history`` tables (migration 0005), so plain SQL
  (``talent-signals sql``) can join ``feedback_current`` with ``leads``.  The
  mirror is idempotent (newest decision wins, history rows by uuid) and is a
  convenience copy: a mark made after the merge is still in the sidecar and
  reaches the mirror the next night.
* Readers that must be exact (the export) use ``current_feedback(con)``, which
  reads the sidecar directly and falls back to the mirror.  If the sidecar is
  lost, the next ``mark`` re-seeds it from the mirror.

Merges: decisions are keyed by the person_id they were made about; identity
resolution records absorbed ids in ``person_aliases`` (old -> current,
flattened), and ``feedback_current`` / ``current_feedback`` map through it,
the latest decision winning when both ids had one.
"""
from __future__ import annotations

import logging
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import duckdb

from warehouse.connection import connect

logger = logging.getLogger(__name__)

STATUSES = ("interested", "contacted", "not_a_fit", "hired")
MAX_NOTE_CHARS = 2000
LOCK_WAIT_SECONDS = 10.0
_STORE_ALIAS = "_ts_feedback_store"
_T = TypeVar("_T")

# Same columns as the warehouse tables of migration 0005 (a test checks it).
_STORE_DDL = """
CREATE TABLE IF NOT EXISTS "feedback" (
    "person_id" VARCHAR NOT NULL, "role" VARCHAR NOT NULL,
    "status" VARCHAR NOT NULL CHECK ("status" IN ('interested', 'contacted', 'not_a_fit', 'hired')),
    "note" VARCHAR, "decided_at" TIMESTAMP NOT NULL, "decided_by" VARCHAR,
    PRIMARY KEY ("person_id", "role"));
CREATE TABLE IF NOT EXISTS "feedback_history" (
    "history_id" VARCHAR PRIMARY KEY, "person_id" VARCHAR NOT NULL, "role" VARCHAR NOT NULL,
    "status" VARCHAR NOT NULL CHECK ("status" IN ('interested', 'contacted', 'not_a_fit', 'hired')),
    "note" VARCHAR, "decided_at" TIMESTAMP NOT NULL, "decided_by" VARCHAR);
"""
_FEEDBACK_COLS = '"person_id", "role", "status", "note", "decided_at", "decided_by"'
_HISTORY_COLS = '"history_id", ' + _FEEDBACK_COLS


class FeedbackError(ValueError):
    """A user-facing problem with a mark (unknown person/role/status, ambiguous name)."""


@dataclass(frozen=True)
class FeedbackResult:
    person_id: str
    name: str | None
    role: str
    status: str
    note: str | None
    decided_at: datetime
    decided_by: str | None
    previous_status: str | None
    store: Path

    def message(self) -> str:
        """One line for the CLI, e.g. ``marked Ada Lovelace (p_1) as contacted for ml_engineer``."""
        who = f"{self.name} ({self.person_id})" if self.name else self.person_id
        was = f" (was {self.previous_status})" if self.previous_status else ""
        return f"marked {who} as {self.status} for {self.role}{was}"


# --- paths and small helpers ---------------------------------------------------
def sidecar_path(db_path: str | Path) -> Path:
    """``<db>.feedback.duckdb`` next to the warehouse file."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".feedback.duckdb")


def warehouse_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file behind ``con`` (None for an in-memory database)."""
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return Path(row[0]) if row and row[0] else None


def _sql_string(text: str) -> str:
    """A SQL string literal; ATTACH takes no bound parameters."""
    return "'" + text.replace("'", "''") + "'"


def _exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    """Does a table or view of that name exist in the connection's current database?"""
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_name = ? AND table_catalog = current_database()", [relation]).fetchone()
    return bool(row and row[0])


def _is_lock_error(exc: Exception) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def _retry_locked(action: Callable[[], _T], what: str, wait: float | None = None) -> _T:
    """Run ``action``, retrying while another process holds the sidecar lock.

    DuckDB lets one writer or many readers hold a file; marks and the night's
    merge hold the sidecar for milliseconds, so a short wait always suffices
    unless something is stuck, which is then reported clearly.
    """
    deadline, pause = time.monotonic() + (LOCK_WAIT_SECONDS if wait is None else wait), 0.05
    while True:
        try:
            return action()
        except duckdb.Error as exc:
            if not _is_lock_error(exc) or time.monotonic() >= deadline:
                if _is_lock_error(exc):
                    raise FeedbackError(f"{what}: feedback file is locked by another process; try again") from None
                raise
        logger.debug("%s: feedback file locked, retrying in %.2fs", what, pause)
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


# --- who and which role --------------------------------------------------------
def known_roles(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Roles that have leads (ranking writes the ``leads`` view)."""
    if not _exists(con, "leads"):
        raise FeedbackError("no leads in this warehouse yet (run `talent-signals run` first)")
    return [r[0] for r in con.execute('SELECT DISTINCT "role" FROM "leads" ORDER BY 1').fetchall()]


def check_role(con: duckdb.DuckDBPyConnection, role: str) -> str:
    roles = known_roles(con)
    if role not in roles:
        raise FeedbackError(f"unknown role {role!r}; known roles: {', '.join(roles) or '(none)'}")
    return role


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise FeedbackError(f"unknown status {status!r}; use one of: {', '.join(STATUSES)}")
    return status


def _person_sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The relations that know people by id and name, among those that exist."""
    return [r for r in ("leads", "people", "identities") if _exists(con, r)]


def _current_id(con: duckdb.DuckDBPyConnection, person_id: str) -> str | None:
    """``person_id`` itself when known, its merged id when it was an alias, else None."""
    if _exists(con, "person_aliases"):
        row = con.execute('SELECT "person_id" FROM "person_aliases" WHERE "old_person_id" = ?',
                          [person_id]).fetchone()
        if row:
            return row[0]
    for relation in _person_sources(con):
        if con.execute(f'SELECT 1 FROM "{relation}" WHERE "person_id" = ? LIMIT 1', [person_id]).fetchone():
            return person_id
    return None


def _people_named(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str, str | None]]:
    """(person_id, name, affiliation) of everyone whose name matches exactly (case-insensitive)."""
    parts = [f'SELECT "person_id", "name", "affiliation" FROM "{r}" WHERE lower(trim("name")) = lower(trim($name))'
             for r in _person_sources(con)]
    if not parts:
        return []
    sql = ("SELECT person_id, any_value(name), max(affiliation) FROM (" + " UNION ALL ".join(parts)
           + ") GROUP BY person_id ORDER BY person_id")
    return con.execute(sql, {"name": name}).fetchall()


def _display_name(con: duckdb.DuckDBPyConnection, person_id: str) -> str | None:
    for relation in _person_sources(con):
        row = con.execute(f'SELECT any_value("name") FROM "{relation}" WHERE "person_id" = ?', [person_id]).fetchone()
        if row and row[0]:
            return row[0]
    return None


def resolve_person(con: duckdb.DuckDBPyConnection, person: str) -> tuple[str, str | None]:
    """A person_id (current, following merges) and display name for an id or exact name."""
    text = (person or "").strip()
    if not text:
        raise FeedbackError("person is empty: give a person_id or an exact name")
    current = _current_id(con, text)
    if current:
        return current, _display_name(con, current)
    matches = _people_named(con, text)
    if not matches:
        raise FeedbackError(f"no person with id or name {text!r}")
    if len(matches) > 1:
        listed = "; ".join(f"{pid} ({aff or 'no affiliation'})" for pid, _, aff in matches)
        raise FeedbackError(f"{text!r} matches {len(matches)} people: {listed}; pass the person_id instead")
    return matches[0][0], matches[0][1]


# --- the sidecar store ---------------------------------------------------------
def _seed_from_mirror(store: duckdb.DuckDBPyConnection, con: duckdb.DuckDBPyConnection) -> None:
    """A new sidecar starts from the warehouse mirror, so a lost sidecar loses nothing."""
    for table, cols in (("feedback", _FEEDBACK_COLS), ("feedback_history", _HISTORY_COLS)):
        if not _exists(con, table):
            continue
        rows = con.execute(f'SELECT {cols} FROM "{table}"').fetchall()
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            store.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING', rows)
            logger.info("feedback sidecar seeded with %d %s rows from the warehouse", len(rows), table)


def open_store(path: Path, seed_from: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the sidecar read-write; the caller closes it."""
    is_new = not path.exists()
    store = _retry_locked(lambda: connect(path), f"open {path}")
    try:
        store.execute(_STORE_DDL)
        if is_new and seed_from is not None:
            _seed_from_mirror(store, seed_from)
    except Exception:
        store.close()
        raise
    return store


def _clean_text(value: str | None, what: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise FeedbackError(f"{what} must be text")
    value = value.strip()
    if len(value) > limit:
        raise FeedbackError(f"{what} is too long ({len(value)} characters; at most {limit})")
    return value


def _write_decision(store: duckdb.DuckDBPyConnection, row: list) -> str | None:
    """Upsert the current decision and append it to the history; returns the previous status.

    ``note=None`` keeps the previous note (a status change rarely re-types
    it); an empty note clears it.
    """
    person_id, role, status, note, decided_at, decided_by = row
    store.execute("BEGIN TRANSACTION")
    try:
        prev = store.execute('SELECT "status" FROM "feedback" WHERE "person_id" = ? AND "role" = ?',
                             [person_id, role]).fetchone()
        store.execute(
            f'INSERT INTO "feedback" ({_FEEDBACK_COLS}) VALUES (?, ?, ?, ?, ?, ?) '
            'ON CONFLICT ("person_id", "role") DO UPDATE SET "status" = excluded."status", '
            '"note" = CASE WHEN ? THEN "feedback"."note" ELSE excluded."note" END, '
            '"decided_at" = excluded."decided_at", "decided_by" = excluded."decided_by"',
            [person_id, role, status, note or None, decided_at, decided_by, note is None])
        store.execute(f'INSERT INTO "feedback_history" ({_HISTORY_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)',
                      [uuid.uuid4().hex, person_id, role, status, note or None, decided_at, decided_by])
        store.execute("COMMIT")
    except Exception:
        store.execute("ROLLBACK")
        raise
    return prev[0] if prev else None


def mark(con: duckdb.DuckDBPyConnection, person: str, role: str, status: str,
         note: str | None = None, by: str | None = None, *, store: Path | None = None,
         now: datetime | None = None) -> FeedbackResult:
    """Record a recruiter's decision about a person for a role.

    ``con`` is a (read-only is enough) connection to the published warehouse:
    it is used to validate ``role`` against ``leads`` and to resolve
    ``person`` (a person_id, an old id since merged, or an exact name).  The
    decision goes to the sidecar (``store``, default ``<db>.feedback.duckdb``).
    """
    check_status(status)
    check_role(con, role)
    person_id, name = resolve_person(con, person)
    note, by = _clean_text(note, "note", MAX_NOTE_CHARS), _clean_text(by, "decided_by", 200)
    path = store or _default_store(con)
    decided_at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    connection = open_store(path, seed_from=con)
    try:
        previous = _write_decision(connection, [person_id, role, status, note, decided_at, by or None])
    finally:
        connection.close()
    logger.info("feedback: %s %s for %s", person_id, status, role)
    return FeedbackResult(person_id, name, role, status, note or None, decided_at, by or None, previous, path)


def _default_store(con: duckdb.DuckDBPyConnection) -> Path:
    db = warehouse_path(con)
    if db is None:
        raise FeedbackError("mark needs a warehouse file (the connection is in-memory); pass store=")
    return sidecar_path(db)


# --- the night: mirror the sidecar into the warehouse being built --------------
@contextmanager
def _attached_store(con: duckdb.DuckDBPyConnection, path: Path) -> Iterator[str]:
    """Attach the sidecar read-only under a fixed alias for the duration of the block."""
    _retry_locked(lambda: con.execute(f"ATTACH {_sql_string(str(path))} AS {_STORE_ALIAS} (READ_ONLY)"),
                  f"attach {path}")
    try:
        yield _STORE_ALIAS
    finally:
        con.execute(f"DETACH {_STORE_ALIAS}")


def merge_feedback(staging_con: duckdb.DuckDBPyConnection, published_path: str | Path) -> int:
    """Mirror ``<published>.feedback.duckdb`` into the night's warehouse; returns mirrored decisions.

    Call it on the night's connection after ranking and just before
    ``NightlyBuild.publish()``.  Idempotent: the newer decision per
    (person, role) wins, history rows are added once.  Without a sidecar the
    mirror copied from the published file is kept as it is.
    """
    path = sidecar_path(published_path)
    if not path.exists():
        return staging_con.execute('SELECT count(*) FROM "feedback"').fetchone()[0]
    try:
        _mirror(staging_con, path)
    except FeedbackError as exc:  # locked for long: the sidecar stays the truth, mirror next night
        logger.warning("feedback not mirrored this night: %s", exc)
    mirrored = staging_con.execute('SELECT count(*) FROM "feedback"').fetchone()[0]
    logger.info("feedback mirrored into the warehouse: %d decisions", mirrored)
    return mirrored


def _mirror(staging_con: duckdb.DuckDBPyConnection, path: Path) -> None:
    with _attached_store(staging_con, path) as alias:
        staging_con.execute("BEGIN TRANSACTION")
        try:
            staging_con.execute(
                f'INSERT INTO "feedback" ({_FEEDBACK_COLS}) SELECT {_FEEDBACK_COLS} FROM {alias}."feedback" '
                'ON CONFLICT ("person_id", "role") DO UPDATE SET "status" = excluded."status", '
                '"note" = excluded."note", "decided_at" = excluded."decided_at", '
                '"decided_by" = excluded."decided_by" WHERE excluded."decided_at" >= "feedback"."decided_at"')
            staging_con.execute(
                f'INSERT INTO "feedback_history" ({_HISTORY_COLS}) SELECT {_HISTORY_COLS} '
                f'FROM {alias}."feedback_history" ON CONFLICT DO NOTHING')
            staging_con.execute("COMMIT")
        except Exception:
            staging_con.execute("ROLLBACK")
            raise


# --- readers: the decisions in force now ---------------------------------------
def _current_sql(feedback_table: str, has_aliases: bool) -> str:
    """Same mapping as the ``feedback_current`` view, over any feedback table."""
    if not has_aliases:
        return f'SELECT {_FEEDBACK_COLS} FROM {feedback_table}'
    return (
        'SELECT coalesce(a."person_id", f."person_id") AS "person_id", f."role", f."status", f."note", '
        f'f."decided_at", f."decided_by" FROM {feedback_table} f '
        'LEFT JOIN "person_aliases" a ON a."old_person_id" = f."person_id" '
        'QUALIFY row_number() OVER (PARTITION BY coalesce(a."person_id", f."person_id"), f."role" '
        'ORDER BY f."decided_at" DESC, f."person_id") = 1')


_EMPTY = ('SELECT NULL::VARCHAR AS "person_id", NULL::VARCHAR AS "role", NULL::VARCHAR AS "status", '
          'NULL::VARCHAR AS "note", NULL::TIMESTAMP AS "decided_at", NULL::VARCHAR AS "decided_by" WHERE false')


@contextmanager
def current_feedback(con: duckdb.DuckDBPyConnection, store: Path | None = None) -> Iterator[str]:
    """Yield a SQL subquery of the decisions in force (person_id, role, status, note, ...).

    Reads the sidecar when there is one (exact, including marks made since
    the last night), else the warehouse mirror, else nothing; person ids are
    mapped through ``person_aliases`` of ``con``.  Use the SQL inside the block.
    """
    has_aliases = _exists(con, "person_aliases")
    db = warehouse_path(con)
    path = store or (sidecar_path(db) if db else None)
    if path is not None and path.exists():
        with _attached_store(con, path) as alias:
            yield _current_sql(f'{alias}."feedback"', has_aliases)
        return
    yield _current_sql('"feedback"', has_aliases) if _exists(con, "feedback") else _EMPTY


def mark_in_warehouse(db: str | Path, person: str, role: str, status: str, note: str | None = None,
                      by: str | None = None) -> FeedbackResult:
    """``mark`` for the CLI: opens the published warehouse read-only, marks, closes."""
    con = connect(db, read_only=True)
    try:
        return mark(con, person, role, status, note, by)
    finally:
        con.close()
