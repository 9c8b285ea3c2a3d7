"""Versioned schema migrations, recorded in the ``_migrations`` table.

Each ``migrations/NNNN_name.sql`` file is applied once, in order, inside a
transaction, and recorded with its checksum; view files (``*_views.sql``) are
applied after all table migrations. Files that only define views
(``CREATE OR REPLACE VIEW``) are re-applied when their checksum changes, so
an upgraded install picks up new view definitions without a manual step.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from importlib import resources

import duckdb

logger = logging.getLogger(__name__)

_LEDGER = """
CREATE TABLE IF NOT EXISTS "_migrations" (
    "version"    INTEGER PRIMARY KEY,
    "name"       VARCHAR NOT NULL,
    "checksum"   VARCHAR NOT NULL,
    "applied_at" TIMESTAMP NOT NULL DEFAULT current_timestamp
)"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]

    @property
    def replaceable(self) -> bool:
        """Only-views migrations may be re-run when they change."""
        return "_views" in self.name


def available_migrations() -> list[Migration]:
    """Migrations shipped in ``warehouse/migrations``, ordered by version."""
    folder = resources.files("warehouse") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql") and entry.name[:4].isdigit():
            found.append(Migration(int(entry.name[:4]), entry.name[:-4], entry.read_text("utf-8")))
    return sorted(found, key=lambda m: m.version)


def applied_migrations(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    con.execute(_LEDGER)
    return dict(con.execute('SELECT "version", "checksum" FROM "_migrations"').fetchall())


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Bring the schema up to date; returns the names of migrations applied."""
    done = applied_migrations(con)
    applied = []
    # Tables first, then view definitions: a view file may read tables that a
    # later-numbered migration creates (views are re-applied when they change).
    ordered = sorted(available_migrations(), key=lambda m: (m.replaceable, m.version))
    for migration in ordered:
        known = done.get(migration.version)
        if known == migration.checksum or (known and not migration.replaceable):
            continue
        _apply(con, migration)
        applied.append(migration.name)
    if applied:
        logger.info("warehouse migrations applied: %s", ", ".join(applied))
    return applied


def _apply(con: duckdb.DuckDBPyConnection, migration: Migration) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(migration.sql)
        con.execute(
            'INSERT OR REPLACE INTO "_migrations" ("version", "name", "checksum", "applied_at") '
            "VALUES (?, ?, ?, current_timestamp)",
            [migration.version, migration.name, migration.checksum],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
