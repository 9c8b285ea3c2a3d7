"""People's data protected: erasure (`forget`), suppression, Art. 14 notices, retention.

Why a sidecar, as for feedback
------------------------------
The night never writes the published warehouse: it copies it to
``<db>.building``, works there and swaps the copy in (``warehouse/publish.py``).
An erasure written only into the published file while a night is building
would be undone at the swap.  So ``forget`` records the person's
*suppression entry* in a sidecar file no night replaces,
``<db>.privacy.duckdb`` (the source of truth), and then also erases the
person from the published file through a short read-write open.  Every night
calls ``apply_suppressions`` after loading the sources (and again just before
publishing): it mirrors the sidecar into the warehouse (``privacy_salt``,
``suppressions``, migration 0007) and deletes every raw record whose
identifiers hash to a suppression entry, so no later night re-creates the
person from any source, and a forget made while a night was building is
re-applied by that night or the next.

What a suppression entry holds
------------------------------
Only salted SHA-256 hashes (``sha256(salt || 0x1F || '<kind>:<value>')``) of
the identifiers found on the person's records: GitHub login, public emails,
profile links (ORCID, OpenReview, homepage, Hugging Face, LinkedIn, X, DBLP,
Scholar, Mastodon), the source identity keys (speaker ids, internal email),
and ``name:<folded name>|<folded affiliation>`` for sources that carry no
identifier (arXiv and accepted-paper authors).  The salt is random per
install and stored beside the hashes: a hash confirms an identifier someone
already holds, it does not reveal one.  Hint links (a GitHub URL in a paper's
code link, an arXiv id on a model card) are not the person's identifiers and
are not used.

Which raw tables are covered is table-driven (``RULES``); a test fails when
a ``raw_*`` table exists that no rule covers.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb

from flows.feedback import FeedbackError, _sql_string, current_feedback, resolve_person, sidecar_path
from warehouse.connection import connect

logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 365
MAX_RETENTION_DAYS = 3650
PROTECTED_STATUSES = ("interested", "contacted", "hired")
LOCK_WAIT_SECONDS = 10.0
MAX_REASON_CHARS = 500
CONTROLLER_PLACEHOLDER = "[controller: company name, postal address, privacy contact — set [privacy] controller]"
IDENTIFIER_KINDS = ("github", "email", "orcid", "openreview", "homepage", "huggingface", "linkedin",
                    "x", "mastodon", "dblp", "scholar", "name", "id")
_STORE_ALIAS = "_ts_privacy_store"

_STORE_DDL = """
CREATE TABLE IF NOT EXISTS "privacy_salt" ("salt" VARCHAR NOT NULL, "created_at" TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS "suppressions" (
    "key_hash" VARCHAR PRIMARY KEY, "kind" VARCHAR NOT NULL, "suppression_id" VARCHAR NOT NULL,
    "created_at" TIMESTAMP NOT NULL, "reason" VARCHAR);
"""
_SUPPRESSION_COLS = '"key_hash", "kind", "suppression_id", "created_at", "reason"'

# Folding used by every name key, on both sides (forget and the night), in SQL only,
# so the two can never disagree.
_MACROS = r"""
CREATE OR REPLACE TEMP MACRO "ts_pv_fold"(s) AS
    lower(strip_accents(trim(regexp_replace(coalesce(s, ''), '\s+', ' ', 'g'))));
-- a name key only for names without initials: 'J. Smith' would suppress every J. Smith
CREATE OR REPLACE TEMP MACRO "ts_pv_name"(n, a) AS
    CASE WHEN n IS NULL OR NOT contains("ts_pv_fold"(n), ' ')
              OR regexp_matches("ts_pv_fold"(n), '(^|[ .-])[^ .-]([ .-]|$)') THEN NULL
         ELSE 'name:' || "ts_pv_fold"(n) || '|' || "ts_pv_fold"(a) END;
CREATE OR REPLACE TEMP MACRO "ts_pv_links"(links) AS
    [l."kind" || ':' || lower(l."value") FOR l IN coalesce(links, [])
     IF l."value" IS NOT NULL AND l."kind" NOT IN ('other')];
CREATE OR REPLACE TEMP MACRO "ts_pv_ids"(xs) AS list_distinct(list_filter(xs, lambda x: x IS NOT NULL));
"""


def _exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    """Does a table or view of that name exist in the current database?  (duckdb_tables()
    is ~4x faster than information_schema, and forget asks often.)"""
    row = con.execute(
        "SELECT (SELECT count(*) FROM duckdb_tables() WHERE table_name = $n AND database_name = current_database()) "
        "+ (SELECT count(*) FROM duckdb_views() WHERE view_name = $n AND database_name = current_database())",
        {"n": relation}).fetchone()
    return bool(row and row[0])


class PrivacyError(ValueError):
    """A user-facing problem with forget/notice (unknown person, locked file, bad option)."""


# --- the table-driven coverage of raw records ---------------------------------------
@dataclass(frozen=True)
class RawRule:
    """How to find a person's identifiers on the rows of one raw table.

    ``identifiers``: SQL giving the row's ``kind:value`` identifiers (a list).
    ``identity``: SQL giving the identity_id the row belongs to (None when the
    row is not a person's record but carries one's identifier, e.g. a repo
    under their login).  ``cascade`` tidies dependent rows after a delete;
    it reads the deleted rows from the temp table ``_pv_hits``.
    """

    table: str
    identifiers: str
    identity: str | None
    where: str = "TRUE"
    cascade: Callable[[duckdb.DuckDBPyConnection], dict[str, int]] | None = None


def _delete_count(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row else 0


def _orphan_papers(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """A paper stays while another author remains; a paper left with none goes."""
    n = _delete_count(con, 'DELETE FROM "raw_arxiv_papers" p WHERE p."paper_id" IN (SELECT "paper_id" FROM "_pv_hits") '
                           'AND NOT EXISTS (SELECT 1 FROM "raw_arxiv_authors" a WHERE a."paper_id" = p."paper_id")')
    return {"raw_arxiv_papers": n}


def _orphan_venue_papers(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    n = _delete_count(con, 'DELETE FROM "raw_venue_papers" p WHERE (p."source", p."paper_key") IN '
                           '(SELECT ("source", "paper_key") FROM "_pv_hits") AND NOT EXISTS (SELECT 1 FROM '
                           '"raw_venue_authors" a WHERE a."source" = p."source" AND a."paper_key" = p."paper_key")')
    return {"raw_venue_papers": n}


_TOUCHED_TALKS = """
CREATE OR REPLACE TEMP TABLE "_pv_talks" AS
SELECT t."source", t."talk_key", [k FOR k IN t."speaker_keys" IF NOT list_contains(g."gone", k)] AS "keep"
FROM "raw_conference_talks" t
JOIN (SELECT "source", list("speaker_key") AS "gone", flatten(list(coalesce("talk_keys", []))) AS "gone_talks"
      FROM "_pv_hits" GROUP BY "source") g USING ("source")
WHERE list_has_any(coalesce(t."speaker_keys", []), g."gone") OR list_contains(g."gone_talks", t."talk_key")"""


def _speakers_talks(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Remove the speaker's key from their talks; a talk left with no speaker goes."""
    con.execute(_TOUCHED_TALKS)
    con.execute('UPDATE "raw_conference_talks" t SET "speaker_keys" = k."keep" FROM "_pv_talks" k '
                'WHERE t."source" = k."source" AND t."talk_key" = k."talk_key"')
    n = _delete_count(con, 'DELETE FROM "raw_conference_talks" t WHERE (t."source", t."talk_key") IN '
                           '(SELECT ("source", "talk_key") FROM "_pv_talks" WHERE len("keep") = 0) '
                           'AND NOT EXISTS (SELECT 1 FROM "raw_conference_speakers" s WHERE s."source" = t."source" '
                           'AND list_contains(s."talk_keys", t."talk_key"))')
    con.execute('DROP TABLE IF EXISTS temp."_pv_talks"')
    return {"raw_conference_talks": n}


RULES: tuple[RawRule, ...] = (
    # authorships carry no identifier: the exact record, and the name (without initials) with affiliation
    RawRule("raw_arxiv_authors",
            """ts_pv_ids(['id:arxiv:' || "paper_id" || '#' || "position", ts_pv_name("name", "affiliation")])""",
            """'arxiv:' || "paper_id" || '#' || "position\"""", cascade=_orphan_papers),
    RawRule("raw_github_users",
            """ts_pv_ids(list_concat(['github:' || lower("login"), 'email:' || lower("email"),
               ts_pv_name("name", "company")], ts_pv_links("links")))""",
            """'github:' || "login\""""),
    RawRule("raw_github_contributions", """['github:' || lower("login")]""", """'github:' || "login\""""),
    # a repository under the person's own account carries their login in its name
    RawRule("raw_github_repos", """['github:' || lower(split_part("full_name", '/', 1))]""", None),
    RawRule("raw_conference_speakers",
            """ts_pv_ids(list_concat(['id:' || "source" || ':' || "speaker_key", ts_pv_name("name", "affiliation")],
               ts_pv_links("links")))""",
            """"source" || ':' || "speaker_key\"""", cascade=_speakers_talks),
    RawRule("raw_internal_people",
            """ts_pv_ids(['id:internal:' || lower("email"), 'email:' || lower("email"),
               'github:' || lower("github_login"), ts_pv_name("name", "team")])""",
            """'internal:' || "email\""""),
    RawRule("raw_venue_authors",
            """ts_pv_ids(list_concat(['id:' || "source" || ':' || "paper_key" || '#' || "position",
               ts_pv_name("name", "affiliation")], ts_pv_links("links")))""",
            """"source" || ':' || "paper_key" || '#' || "position\"""", cascade=_orphan_venue_papers),
    RawRule("raw_hub_users", """ts_pv_ids(['huggingface:' || lower("username"), ts_pv_name("name", NULL)])""",
            """'huggingface:' || "username\""""),
    RawRule("raw_hub_repos", """ts_pv_ids(['huggingface:' || lower("author")])""", None),
    # conditional-request state names repositories, hence logins
    RawRule("source_state",
            """ts_pv_ids(['github:' || lower(split_part(regexp_extract("key", '^etag:[a-z_]+:(.+)$', 1), '/', 1))])""",
            None, where=""""source" = 'github' AND "key" LIKE 'etag:%'"""),
)
# raw tables holding works, not people: tidied by the cascades above, and by retention
WORK_TABLES = ("raw_arxiv_papers", "raw_conference_talks", "raw_venue_papers")


def uncovered_raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """``raw_*`` tables no rule covers: a new source must add a rule here."""
    known = {r.table for r in RULES} | set(WORK_TABLES)
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
                       "AND table_type = 'BASE TABLE' AND table_name LIKE 'raw\\_%' ESCAPE '\\'").fetchall()
    return sorted(r[0] for r in rows if r[0] not in known)


def _present_rules(con: duckdb.DuckDBPyConnection) -> list[RawRule]:
    return [r for r in RULES if _exists(con, r.table)]


# --- hashing and the sidecar ----------------------------------------------------------
def privacy_sidecar_path(db_path: str | Path) -> Path:
    """``<db>.privacy.duckdb`` next to the warehouse file."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".privacy.duckdb")


def key_hash(salt: str, identifier: str) -> str:
    """Same as the SQL ``sha256(salt || chr(31) || identifier)`` used by the night."""
    return hashlib.sha256((salt + "\x1f" + identifier).encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _is_lock_error(exc: Exception) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def _open_locked(path: Path, what: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file, waiting up to LOCK_WAIT_SECONDS while another process holds its lock
    (a recruiter's read-only session blocks a writer; marks and forgets hold files for milliseconds)."""
    deadline, pause = time.monotonic() + LOCK_WAIT_SECONDS, 0.05
    while True:
        try:
            return connect(path, read_only=read_only)
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise
            if time.monotonic() >= deadline:
                raise PrivacyError(f"{what}: {path} is locked by another process; try again") from None
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def _salt_of(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> str | None:
    table = f'{catalog}."privacy_salt"' if catalog else '"privacy_salt"'
    row = con.execute(f'SELECT "salt" FROM {table} ORDER BY "created_at" LIMIT 1').fetchone()
    return row[0] if row else None


def _seed_store(store: duckdb.DuckDBPyConnection, warehouse: duckdb.DuckDBPyConnection | None) -> None:
    """A new sidecar takes the warehouse mirror's salt and entries (a lost sidecar loses nothing),
    or a fresh random salt on a new install."""
    if warehouse is not None and _exists(warehouse, "privacy_salt") and _salt_of(warehouse):
        store.execute('INSERT INTO "privacy_salt" VALUES (?, ?)', [_salt_of(warehouse), _now()])
        rows = warehouse.execute(f'SELECT {_SUPPRESSION_COLS} FROM "suppressions"').fetchall()
        if rows:
            store.executemany(f'INSERT INTO "suppressions" VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', rows)
        return
    store.execute('INSERT INTO "privacy_salt" VALUES (?, ?)', [secrets.token_hex(32), _now()])


def open_privacy_store(path: Path, seed_from: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the privacy sidecar read-write; the caller closes it."""
    store = _open_locked(path, "privacy store")
    try:
        store.execute(_STORE_DDL)
        if _salt_of(store) is None:
            _seed_store(store, seed_from)
    except Exception:
        store.close()
        raise
    return store


def _record_suppression(store: duckdb.DuckDBPyConnection, identifiers: list[str], reason: str | None) -> tuple[str, int]:
    """Insert the hashes of ``identifiers``; returns (suppression_id, new entries)."""
    salt, sid, now = _salt_of(store), uuid.uuid4().hex, _now()
    rows = [[key_hash(salt, i), i.split(":", 1)[0], sid, now, reason] for i in sorted(set(identifiers))]
    before = store.execute('SELECT count(*) FROM "suppressions"').fetchone()[0]
    if rows:
        store.executemany('INSERT INTO "suppressions" VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', rows)
    after = store.execute('SELECT count(*) FROM "suppressions"').fetchone()[0]
    return sid, after - before


@contextmanager
def _attached(con: duckdb.DuckDBPyConnection, path: Path) -> Iterator[str]:
    con.execute(f"ATTACH {_sql_string(str(path))} AS {_STORE_ALIAS} (READ_ONLY)")
    try:
        yield _STORE_ALIAS
    finally:
        con.execute(f"DETACH {_STORE_ALIAS}")


def _mirror_store(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Copy the sidecar's salt and entries into the warehouse's tables (the sidecar wins)."""
    con.execute(_STORE_DDL)
    for attempt in range(40):
        try:
            with _attached(con, path) as alias:
                if _salt_of(con, alias) is None:
                    return
                con.execute('DELETE FROM "privacy_salt"')
                con.execute(f'INSERT INTO "privacy_salt" SELECT "salt", "created_at" FROM {alias}."privacy_salt"')
                con.execute(f'INSERT INTO "suppressions" SELECT {_SUPPRESSION_COLS} FROM {alias}."suppressions" '
                            'ON CONFLICT DO NOTHING')
            return
        except duckdb.Error as exc:
            if not _is_lock_error(exc) or attempt == 39:
                raise
            time.sleep(0.25)


# --- deleting rows by rule --------------------------------------------------------------
def _prepare(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_MACROS)


def _collect_hits(con: duckdb.DuckDBPyConnection, rule: RawRule, predicate: str, params: list) -> int:
    """Rows of ``rule.table`` matching ``predicate`` into temp ``_pv_hits`` (with their identity_id)."""
    identity = rule.identity or "NULL::VARCHAR"
    con.execute(f'CREATE OR REPLACE TEMP TABLE "_pv_hits" AS SELECT rowid AS "_pv_rid", ({identity}) AS "_pv_identity", * '
                f'FROM "{rule.table}" WHERE ({rule.where}) AND ({predicate})', params)
    return con.execute('SELECT count(*) FROM "_pv_hits"').fetchone()[0]


def _delete_hits(con: duckdb.DuckDBPyConnection, rule: RawRule, counts: dict[str, int]) -> None:
    """Delete the collected rows, remember their identities, run the rule's cascade."""
    con.execute(f'DELETE FROM "{rule.table}" WHERE rowid IN (SELECT "_pv_rid" FROM "_pv_hits")')
    con.execute('INSERT INTO "_pv_gone" SELECT DISTINCT "_pv_identity" FROM "_pv_hits" '
                'WHERE "_pv_identity" IS NOT NULL')
    counts[rule.table] = counts.get(rule.table, 0) + con.execute('SELECT count(*) FROM "_pv_hits"').fetchone()[0]
    if rule.cascade:
        for table, n in rule.cascade(con).items():
            counts[table] = counts.get(table, 0) + n


def _erase_rules(con: duckdb.DuckDBPyConnection, rules: list[RawRule],
                 predicate_for: Callable[[RawRule], tuple[str, list]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for rule in rules:
        predicate, params = predicate_for(rule)
        if _collect_hits(con, rule, predicate, params):
            _delete_hits(con, rule, counts)
    con.execute('DROP TABLE IF EXISTS temp."_pv_hits"')
    return {t: n for t, n in counts.items() if n}


def _gone_persons(con: duckdb.DuckDBPyConnection) -> None:
    """Persons of the removed identities (and ids merged into them) into temp ``_pv_persons``."""
    con.execute('INSERT INTO "_pv_persons" SELECT DISTINCT "person_id" FROM "identity_person" '
                'WHERE "identity_id" IN (SELECT "identity_id" FROM "_pv_gone")')
    con.execute('INSERT INTO "_pv_persons" SELECT "identity_id" FROM "_pv_gone"')  # unresolved: own person
    if _exists(con, "person_aliases"):
        con.execute('INSERT INTO "_pv_persons" SELECT "old_person_id" FROM "person_aliases" '
                    'WHERE "person_id" IN (SELECT "person_id" FROM "_pv_persons")')


_DERIVED_BY_PERSON = ("person_features", "feature_evidence", "role_scores", "rank_people")


def _erase_derived(con: duckdb.DuckDBPyConnection, *, include_feedback: bool) -> dict[str, int]:
    """Resolution rows, features, scores, leads (and feedback) of ``_pv_persons`` / ``_pv_gone``."""
    persons = 'SELECT "person_id" FROM "_pv_persons"'
    counts = {
        # before identity_person goes: the fingerprints of every record of the persons
        "identity_fingerprints": _erase_fingerprints(con, persons),
        "rank_hits": _erase_rank_hits(con, persons),
        "identity_person": _delete_count(con, f'DELETE FROM "identity_person" WHERE "person_id" IN ({persons}) '
                                              'OR "identity_id" IN (SELECT "identity_id" FROM "_pv_gone")'),
        "identity_pairs": _delete_count(con, 'DELETE FROM "identity_pairs" WHERE "identity_a" IN (SELECT "identity_id" '
                                             'FROM "_pv_gone") OR "identity_b" IN (SELECT "identity_id" FROM "_pv_gone")'),
    }
    if _exists(con, "person_aliases"):
        counts["person_aliases"] = _delete_count(con, f'DELETE FROM "person_aliases" WHERE "person_id" IN ({persons}) '
                                                      f'OR "old_person_id" IN ({persons})')
    tables = list(_DERIVED_BY_PERSON) + (["feedback", "feedback_history"] if include_feedback else [])
    for table in tables:
        if _exists(con, table):
            counts[table] = _delete_count(con, f'DELETE FROM "{table}" WHERE "person_id" IN ({persons})')
    if _exists(con, "lead_rows"):
        counts["lead_rows"] = _erase_leads(con, persons)
    return {t: n for t, n in counts.items() if n}


def _erase_fingerprints(con: duckdb.DuckDBPyConnection, persons: str) -> int:
    """Incremental resolution's per-record hashes, keyed by identity id (which
    names a login or an email): gone with the records they describe."""
    if not _exists(con, "identity_fingerprints"):
        return 0
    return _delete_count(con, f'''DELETE FROM "identity_fingerprints"
        WHERE "identity_id" IN (SELECT "identity_id" FROM "_pv_gone")
           OR "identity_id" IN (SELECT "identity_id" FROM "identity_person" WHERE "person_id" IN ({persons}))''')


def _erase_rank_hits(con: duckdb.DuckDBPyConnection, persons: str) -> int:
    """Ranking's cached keyword matches per evidence row: an evidence id starts
    with its identity id and holds matched words from the person's work."""
    if not _exists(con, "rank_hits"):
        return 0
    return _delete_count(con, f'''DELETE FROM "rank_hits" h WHERE EXISTS (
        SELECT 1 FROM (SELECT "identity_id" FROM "_pv_gone"
                       UNION SELECT "identity_id" FROM "identity_person" WHERE "person_id" IN ({persons})) i
        WHERE starts_with(h."evidence_id", i."identity_id" || '|'))''')


def _erase_leads(con: duckdb.DuckDBPyConnection, persons: str) -> int:
    """Drop the person's lead rows and close the gap in each role's ranks."""
    con.execute(f'CREATE OR REPLACE TEMP TABLE "_pv_leads" AS SELECT "role", "rank" FROM "lead_rows" '
                f'WHERE "person_id" IN ({persons})')
    n = _delete_count(con, f'DELETE FROM "lead_rows" WHERE "person_id" IN ({persons})')
    if n:
        con.execute('UPDATE "lead_rows" l SET "rank" = l."rank" - (SELECT count(*) FROM "_pv_leads" g '
                    'WHERE g."role" = l."role" AND g."rank" < l."rank")')
    con.execute('DROP TABLE IF EXISTS temp."_pv_leads"')
    return n


@contextmanager
def _work_tables(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    _prepare(con)
    con.execute('CREATE OR REPLACE TEMP TABLE "_pv_gone" ("identity_id" VARCHAR)')
    con.execute('CREATE OR REPLACE TEMP TABLE "_pv_persons" ("person_id" VARCHAR)')
    try:
        yield
    finally:
        for table in ("_pv_gone", "_pv_persons", "_pv_hits", "_pv_protected", "_pv_expired"):
            con.execute(f'DROP TABLE IF EXISTS temp."{table}"')


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction unless the caller already holds one."""
    try:
        con.execute("BEGIN TRANSACTION")
        own = True
    except duckdb.TransactionException:
        own = False
    try:
        yield
        if own:
            con.execute("COMMIT")
    except BaseException:
        if own:
            con.execute("ROLLBACK")
        raise


# --- the night: apply suppressions ------------------------------------------------------
def _suppression_predicate(rule: RawRule) -> tuple[str, list]:
    return (f'rowid IN (SELECT x."r" FROM (SELECT rowid AS "r", unnest({rule.identifiers}) AS "v" '
            f'FROM "{rule.table}" WHERE {rule.where}) x JOIN "suppressions" s '
            f'ON s."key_hash" = sha256((SELECT "salt" FROM "privacy_salt" ORDER BY "created_at" LIMIT 1) '
            f'|| chr(31) || x."v"))', [])


def apply_suppressions(con: duckdb.DuckDBPyConnection, db_path: str | Path | None) -> int:
    """Delete every record whose identifiers hash to a suppression entry; returns rows deleted.

    The night calls it on its staging connection after loading the sources
    and before identity resolution (and again just before publishing, to
    catch a forget made during the night).  ``db_path`` is the *published*
    warehouse path: its ``<db>.privacy.duckdb`` sidecar is mirrored first.
    Also removes the resolution rows, features, scores, leads and feedback of
    the persons those records belonged to.
    """
    path = privacy_sidecar_path(db_path) if db_path else None
    if path is not None and path.exists():
        _mirror_store(con, path)
    if not _exists(con, "suppressions") or not con.execute('SELECT count(*) FROM "suppressions"').fetchone()[0]:
        return 0
    for table in uncovered_raw_tables(con):
        logger.warning("privacy: raw table %s has no suppression rule (flows/privacy.py RULES)", table)
    with _transaction(con), _work_tables(con):
        counts = _erase_rules(con, _present_rules(con), _suppression_predicate)
        _gone_persons(con)
        counts.update(_erase_derived(con, include_feedback=True))
    total = sum(counts.values())
    if total:
        logger.info("privacy: suppressed records deleted: %s", counts)
    return total


# --- forget ------------------------------------------------------------------------------
@dataclass
class ForgetResult:
    person_id: str | None
    name: str | None
    identities: int
    new_suppressions: int
    suppression_id: str
    deleted: dict[str, int] = field(default_factory=dict)
    feedback_deleted: int = 0
    published_erased: bool = True
    night_running: bool = False
    problem: str | None = None

    def message(self) -> str:
        """What the CLI prints: who, how much, and whether anything is left to do."""
        who = f"{self.name} ({self.person_id})" if self.person_id else "an identifier not in the warehouse"
        rows = sum(self.deleted.values()) + self.feedback_deleted
        lines = [f"forgot {who}: {self.identities} source records, {rows} rows deleted, "
                 f"{self.new_suppressions} identifier hashes added to the suppression list "
                 f"(request {self.suppression_id})"]
        if not self.published_erased:
            lines.append(f"warning: the warehouse was not changed now ({self.problem}); the suppression is "
                         "recorded and the next night erases them — or run forget again")
        if self.night_running:
            lines.append("note: a night is building now; it re-applies the suppression before publishing")
        return "\n".join(lines)


def _identities_of(con: duckdb.DuckDBPyConnection, person_id: str) -> list[str]:
    rows = con.execute('SELECT "identity_id" FROM "identities" WHERE "person_id" = ? ORDER BY 1', [person_id])
    return [r[0] for r in rows.fetchall()]


def _identifiers_of(con: duckdb.DuckDBPyConnection, identity_ids: list[str]) -> list[str]:
    """Every ``kind:value`` identifier on the raw records of those identities (in memory only)."""
    _prepare(con)
    found: set[str] = set()
    for rule in _present_rules(con):
        if rule.identity is None:
            continue
        rows = con.execute(f'SELECT DISTINCT unnest({rule.identifiers}) FROM "{rule.table}" '
                           f'WHERE ({rule.where}) AND ({rule.identity}) IN (SELECT unnest(?::VARCHAR[]))',
                           [identity_ids]).fetchall()
        found.update(r[0] for r in rows if r[0])
    return sorted(found)


def _by_identifier(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
    """The person holding an identifier like ``github:login`` or ``email:a@b.org``, if any."""
    row = con.execute('SELECT any_value(i."person_id") FROM "identity_links" l JOIN "identities" i USING ("identity_id") '
                      'WHERE lower(l."kind" || \':\' || l."value") = lower(?) OR l."identity_id" = ?',
                      [text, text]).fetchone()
    return row[0] if row and row[0] else None


def _as_identifier(text: str) -> str | None:
    """``kind:value`` for a strong identifier kind, lower-cased; else None."""
    kind, sep, value = text.strip().partition(":")
    if not sep or not value.strip() or kind.lower() not in IDENTIFIER_KINDS or kind.lower() in ("name", "id"):
        return None
    return f"{kind.lower()}:{value.strip().lower()}"


@dataclass
class _Target:
    person_id: str | None
    name: str | None
    persons: list[str]          # the person id and ids merged into it
    identity_ids: list[str]
    identifiers: list[str]


def _find_target(con: duckdb.DuckDBPyConnection, person: str) -> _Target:
    """Resolve PERSON (person_id, exact name, or kind:value identifier) and collect identifiers."""
    text = (person or "").strip()
    try:
        person_id, name = resolve_person(con, text)
    except FeedbackError as exc:
        if str(exc).startswith("no person") and _by_identifier(con, text):
            person_id, name = _by_identifier(con, text), None
        elif str(exc).startswith("no person") and _as_identifier(text):
            return _Target(None, None, [], [], [_as_identifier(text)])
        else:
            raise PrivacyError(str(exc)) from None
    ids = _identities_of(con, person_id)
    olds = [r[0] for r in con.execute('SELECT "old_person_id" FROM "person_aliases" WHERE "person_id" = ?',
                                      [person_id]).fetchall()] if _exists(con, "person_aliases") else []
    extra = [_as_identifier(text)] if _as_identifier(text) else []
    return _Target(person_id, name or _name_of(con, person_id), [person_id, *olds], ids,
                   sorted(set(_identifiers_of(con, ids) + extra)))


def _name_of(con: duckdb.DuckDBPyConnection, person_id: str) -> str | None:
    row = con.execute('SELECT "name" FROM "people" WHERE "person_id" = ?', [person_id]).fetchone()
    return row[0] if row else None


def _forget_feedback(db_path: Path, persons: list[str]) -> int:
    """Erase the person's decisions and their history from the feedback sidecar."""
    path = sidecar_path(db_path)
    if not persons or not path.exists():
        return 0
    store = _open_locked(path, "feedback store")
    try:
        n = 0
        for table in ("feedback", "feedback_history"):
            n += _delete_count(store, f'DELETE FROM "{table}" WHERE "person_id" IN (SELECT unnest(?::VARCHAR[]))',
                               [persons])
        return n
    finally:
        store.close()


def _erase_published(db_path: Path, target: _Target) -> dict[str, int]:
    """Short read-write open of the published file: apply suppressions, erase derived rows."""
    con = _open_locked(db_path, "warehouse")
    try:
        from warehouse.migrate import migrate

        migrate(con)
        apply_counts = apply_suppressions(con, db_path)
        with _transaction(con), _work_tables(con):
            con.execute('INSERT INTO "_pv_gone" SELECT unnest(?::VARCHAR[])', [target.identity_ids])
            con.execute('INSERT INTO "_pv_persons" SELECT unnest(?::VARCHAR[])', [target.persons])
            counts = _erase_derived(con, include_feedback=True)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    counts["raw and derived (suppression)"] = apply_counts
    return {t: n for t, n in counts.items() if n}


def forget(db_path: str | Path, person: str, *, reason: str | None = None) -> ForgetResult:
    """Erase a person everywhere and suppress them for every later night (GDPR Art. 17).

    PERSON: a person_id (or an old id since merged), an exact name, or an
    identifier ``kind:value`` (``github:login``, ``email:a@b.org``,
    ``orcid:0000-...``).  An identifier not in the warehouse is still
    suppressed, so an objection made before collection is honoured.
    Order: read (read-only) -> suppression sidecar -> feedback sidecar ->
    published file; the sidecar is written first so a failure later is
    finished by the next night.
    """
    db_path = Path(db_path)
    reason = _clean_reason(reason)
    ro = _open_locked(db_path, "warehouse", read_only=True) if db_path.exists() else None
    if ro is None:
        raise PrivacyError(f"warehouse not found: {db_path}")
    try:
        target = _find_target(ro, person)
        store = open_privacy_store(privacy_sidecar_path(db_path), seed_from=ro)
    finally:
        ro.close()
    try:
        sid, added = _record_suppression(store, target.identifiers, reason)
    finally:
        store.close()
    result = ForgetResult(target.person_id, target.name, len(target.identity_ids), added, sid,
                          night_running=Path(str(db_path) + ".building").exists())
    result.feedback_deleted = _forget_feedback(db_path, target.persons)
    try:
        result.deleted = _erase_published(db_path, target)
    except PrivacyError as exc:
        result.published_erased, result.problem = False, str(exc)
    logger.info("privacy: forgot %s (%d identities, %d hashes, request %s)",
                target.person_id or "identifier", len(target.identity_ids), added, sid)
    return result


def _clean_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    reason = " ".join(str(reason).split())
    if len(reason) > MAX_REASON_CHARS:
        raise PrivacyError(f"reason is too long ({len(reason)} characters; at most {MAX_REASON_CHARS})")
    return reason or None


# --- retention ------------------------------------------------------------------------------
def _protected_persons(con: duckdb.DuckDBPyConnection, feedback_store: Path | None) -> None:
    """Current person ids with an open recruiting relationship into temp ``_pv_protected``."""
    if not _exists(con, "feedback") and (feedback_store is None or not feedback_store.exists()):
        con.execute('CREATE OR REPLACE TEMP TABLE "_pv_protected" ("person_id" VARCHAR)')
        return
    with current_feedback(con, feedback_store) as decisions:
        con.execute(f'CREATE OR REPLACE TEMP TABLE "_pv_protected" AS SELECT DISTINCT "person_id" '
                    f'FROM ({decisions}) d WHERE d."status" IN (SELECT unnest(?::VARCHAR[]))',
                    [list(PROTECTED_STATUSES)])


def _expired_identities(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> None:
    """Identities of persons none of whose records was seen since ``cutoff``, unprotected."""
    con.execute('''
CREATE OR REPLACE TEMP TABLE "_pv_expired" AS
SELECT "identity_id" FROM "identities"
WHERE "person_id" IN (SELECT "person_id" FROM "identities" GROUP BY "person_id" HAVING max("last_seen") < ?)
  AND "person_id" NOT IN (SELECT "person_id" FROM "_pv_protected")''', [cutoff])


def _retention_predicate(rule: RawRule) -> tuple[str, list]:
    return f'({rule.identity}) IN (SELECT "identity_id" FROM "_pv_expired")', []


_STALE_WORKS = {
    "raw_github_repos": 'NOT EXISTS (SELECT 1 FROM "raw_github_contributions" c WHERE c."repo" = t."full_name")',
    "raw_hub_repos": 'NOT EXISTS (SELECT 1 FROM "raw_hub_users" u WHERE u."username" = t."author")',
    "raw_arxiv_papers": 'NOT EXISTS (SELECT 1 FROM "raw_arxiv_authors" a WHERE a."paper_id" = t."paper_id")',
    "raw_venue_papers": 'NOT EXISTS (SELECT 1 FROM "raw_venue_authors" a WHERE a."source" = t."source" '
                        'AND a."paper_key" = t."paper_key")',
    "raw_conference_talks": 'NOT EXISTS (SELECT 1 FROM "raw_conference_speakers" s WHERE s."source" = t."source" '
                            'AND (list_contains(s."talk_keys", t."talk_key") '
                            'OR list_contains(t."speaker_keys", s."speaker_key")))',
}


def _purge_stale_works(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> dict[str, int]:
    """Works (repos, papers, talks) not seen since ``cutoff`` that no remaining person record uses."""
    counts = {}
    for table, unused in _STALE_WORKS.items():
        if _exists(con, table):
            counts[table] = _delete_count(con, f'DELETE FROM "{table}" t WHERE t."last_seen" < ? AND {unused}', [cutoff])
    return counts


def purge_expired(con: duckdb.DuckDBPyConnection, *, days: int, now: datetime,
                  feedback_store: str | Path | None = None) -> dict[str, int]:
    """Retention (GDPR Art. 5(1)(e)): purge people not seen for ``days``; returns rows per table.

    A person's records go together, when *none* of them was seen (loaded
    again) in the last ``days`` days, unless a recruiter's current decision
    for them is interested, contacted or hired (an open recruiting
    relationship: they were told per Art. 14 at first contact).  ``not_a_fit``
    protects nothing.  Works (papers, talks, repos) not seen for ``days``
    and no longer used by any remaining record go too; resolution rows of
    purged identities are dropped.  ``feedback_store``: the feedback sidecar
    of the *published* warehouse (the night's staging file has none).
    """
    days = check_retention_days(days)
    cutoff = _naive(now) - timedelta(days=days)
    store = Path(feedback_store) if feedback_store else None
    with _transaction(con), _work_tables(con):
        _protected_persons(con, store)
        _expired_identities(con, cutoff)
        counts = _erase_rules(con, [r for r in _present_rules(con) if r.identity], _retention_predicate)
        for table, n in _purge_stale_works(con, cutoff).items():
            counts[table] = counts.get(table, 0) + n
        _gone_persons(con)
        counts.update(_erase_derived(con, include_feedback=False))
    counts = {t: n for t, n in counts.items() if n}
    logger.info("privacy: retention %d days purged %s", days, counts or "nothing")
    return counts


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


# --- configuration ---------------------------------------------------------------------------
def check_retention_days(days: Any, key: str = "privacy.retention_days") -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_RETENTION_DAYS:
        from flows.config import ConfigError

        raise ConfigError(f"{key}: must be a whole number of days between 1 and {MAX_RETENTION_DAYS}, got {days!r}")
    return days


@dataclass(frozen=True)
class PrivacySettings:
    retention_days: int = DEFAULT_RETENTION_DAYS
    controller: str | None = None

    @classmethod
    def from_options(cls, options: dict[str, Any] | None) -> "PrivacySettings":
        """The ``[privacy]`` table of the config (``AppConfig.options``); ConfigError names the key."""
        from flows.config import ConfigError

        table = (options or {}).get("privacy", {})
        if not isinstance(table, dict):
            raise ConfigError("privacy: expected a table ([privacy])")
        unknown = sorted(set(table) - {"retention_days", "controller"})
        if unknown:
            raise ConfigError(f"privacy.{unknown[0]}: unknown key (expected retention_days, controller)")
        controller = table.get("controller")
        if controller is not None and (not isinstance(controller, str) or not controller.strip()):
            raise ConfigError("privacy.controller: must be non-empty text, e.g. \"ACME GmbH, privacy@acme.example\"")
        return cls(check_retention_days(table.get("retention_days", DEFAULT_RETENTION_DAYS)),
                   controller.strip() if controller else None)


def night_privacy(con: duckdb.DuckDBPyConnection, config: Any, now: datetime) -> dict[str, Any]:
    """The night's privacy step, after loading and before identity resolution:
    apply suppressions, then retention.  Returns the summary's figures."""
    settings = PrivacySettings.from_options(config.options)
    suppressed = apply_suppressions(con, config.warehouse_path)
    purged = purge_expired(con, days=settings.retention_days, now=now,
                           feedback_store=sidecar_path(config.warehouse_path))
    return {"suppressed_rows": suppressed, "retention_days": settings.retention_days, "purged": purged}


# --- Art. 14 notice ----------------------------------------------------------------------------
_SOURCE_NAMES = {
    "arxiv": "arXiv (arxiv.org), author lists of public papers",
    "github": "GitHub (github.com), public profile and public contributions",
    "huggingface": "Hugging Face Hub (huggingface.co), public profile, models, datasets and Spaces",
    "internal": "our internal staff directory",
}
_KIND_NAMES = {"conference": "public conference programme", "venue": "public list of accepted papers"}
_FIELDS = (("name", "name as published"), ("affiliation", "affiliation / company"),
           ("headline", "job title or tag line"), ("bio", "public bio"), ("location", "location"),
           ("email", "public email address"))
_HINT_KINDS = ("paper_code_github", "hub_github", "arxiv_paper")
EVIDENCE_LISTED = 5


def _source_label(source: str, kind: str) -> str:
    return _SOURCE_NAMES.get(source) or f"{_KIND_NAMES.get(kind, kind)} '{source}'"


def _held_fields(con: duckdb.DuckDBPyConnection, person_id: str) -> list[str]:
    cols = ", ".join(f'bool_or("{c}" IS NOT NULL)' for c, _ in _FIELDS)
    row = con.execute(f'SELECT {cols} FROM "identities" WHERE "person_id" = ?', [person_id]).fetchone()
    return [label for (_, label), present in zip(_FIELDS, row or ()) if present]


def _links_held(con: duckdb.DuckDBPyConnection, person_id: str) -> list[tuple[str, str]]:
    return con.execute(
        'SELECT DISTINCT l."kind", coalesce(l."url", l."value") FROM "identity_links" l JOIN "identities" i '
        'USING ("identity_id") WHERE i."person_id" = ? AND l."kind" NOT IN (SELECT unnest(?::VARCHAR[])) ORDER BY 1, 2',
        [person_id, list(_HINT_KINDS)]).fetchall()


def _sources_held(con: duckdb.DuckDBPyConnection, person_id: str) -> list[tuple]:
    return con.execute(
        'SELECT "source", any_value("source_kind"), min("first_seen"), list(DISTINCT "url") FILTER (WHERE "url" IS NOT NULL) '
        'FROM "identities" WHERE "person_id" = ? GROUP BY "source" ORDER BY 3, 1', [person_id]).fetchall()


def _works_held(con: duckdb.DuckDBPyConnection, person_id: str) -> list[tuple]:
    return con.execute(
        'SELECT "kind", count(*), list(DISTINCT "url" ORDER BY "url") FILTER (WHERE "url" IS NOT NULL) '
        'FROM "evidence" WHERE "person_id" = ? GROUP BY "kind" ORDER BY 2 DESC, 1', [person_id]).fetchall()


def _roles_for(con: duckdb.DuckDBPyConnection, person_id: str) -> list[str]:
    if not _exists(con, "lead_rows"):
        return []
    rows = con.execute('SELECT "role" FROM "lead_rows" WHERE "person_id" = ? AND "score" > 0 ORDER BY "rank" LIMIT 3',
                       [person_id]).fetchall()
    return [r[0].replace("_", " ") for r in rows]


def _data_section(con: duckdb.DuckDBPyConnection, person_id: str) -> list[str]:
    lines = ["What we hold about you:"]
    fields = _held_fields(con, person_id)
    lines.append("- profile fields: " + (", ".join(fields) if fields else "your name"))
    links = _links_held(con, person_id)
    if links:
        lines.append("- public profile links you published: " + ", ".join(f"{k} {v}" for k, v in links))
    for kind, n, urls in _works_held(con, person_id):
        shown = list(urls or [])[:EVIDENCE_LISTED]
        more = f" (and {len(urls) - len(shown)} more)" if urls and len(urls) > len(shown) else ""
        lines.append(f"- {n} public work item(s) of type '{kind}'" + (": " + ", ".join(shown) + more if shown else ""))
    lines.append("We hold no private emails, no photos or avatar images, and nothing that is not public "
                 "and work-related.")
    return lines


def _sources_section(sources: list[tuple]) -> list[str]:
    lines = ["Where it comes from (public sources only):"]
    for source, kind, first, urls in sources:
        shown = sorted(urls or [])[:EVIDENCE_LISTED]
        more = f" (and {len(urls) - len(shown)} more)" if urls and len(urls) > len(shown) else ""
        lines.append(f"- {_source_label(source, kind)}, since {first:%Y-%m-%d}"
                     + (": " + ", ".join(shown) + more if shown else ""))
    return lines


def notice_text(con: duckdb.DuckDBPyConnection, person: str, *, controller: str | None = None,
                retention_days: int = DEFAULT_RETENTION_DAYS) -> str:
    """The GDPR Art. 14 information for a person about to be contacted, as plain text.

    It names the controller, the purpose, the data held (categories and the
    actual fields), the public sources with URLs and since when, the
    retention period, and how to object (Art. 21) or have the data erased
    (Art. 17) — what a recruiter pastes into the first message.  ``con`` may
    be read-only; ``person`` is a person_id or an exact name.
    """
    try:
        person_id, name = resolve_person(con, person)
    except FeedbackError as exc:
        raise PrivacyError(str(exc)) from None
    sources = _sources_held(con, person_id)
    if not sources:
        raise PrivacyError(f"no records held for {person!r}")
    roles = _roles_for(con, person_id)
    who = controller or CONTROLLER_PLACEHOLDER
    first = min(s[2] for s in sources)
    lines = [
        f"How we came to contact you (GDPR Art. 14) — {name or person_id}",
        "",
        f"Controller: {who}.",
        "Purpose: recruiting — we look at public professional work (talks, papers, open-source) to find people "
        "whose work fits open roles" + (f", here: {', '.join(roles)}." if roles else "."),
        "Legal basis: our legitimate interest in recruiting (Art. 6(1)(f) GDPR). We do not sell your data, "
        "do not send bulk email and do not share it outside the recruiting team.",
        "",
        *_data_section(con, person_id),
        "",
        *_sources_section(sources),
        f"We first recorded your public information on {first:%Y-%m-%d}.",
        "",
        f"Retention: if we are not in contact, your data is deleted {check_retention_days(retention_days)} days "
        "after it was last seen in a public source; if you tell us you are not interested, at once.",
        "",
        "Your rights: you may ask what we hold (Art. 15), have it corrected (Art. 16) or erased (Art. 17), and you "
        "may object to this processing at any time (Art. 21) — just reply to this message or write to the contact "
        "above. We then delete everything and keep only a one-way fingerprint of your public identifiers so that "
        "we never collect you again. You may also complain to a data protection supervisory authority (Art. 77).",
    ]
    return "\n".join(lines) + "\n"


# --- CLI (wired in flows/cli.py) ------------------------------------------------------------------
def add_forget_arguments(parser: Any, default_db: str) -> None:
    parser.add_argument("person", help="person_id, exact name, or an identifier like github:LOGIN / email:ADDRESS")
    parser.add_argument("--reason", help="why (e.g. 'Art. 17 request of 2026-12-01'); do not put identifiers here")
    parser.add_argument("--db", default=default_db, help="warehouse path (default: %(default)s)")


def add_notice_arguments(parser: Any, default_db: str) -> None:
    parser.add_argument("person", help="person_id or exact name")
    parser.add_argument("--controller", help='who is responsible, e.g. "ACME GmbH, privacy@acme.example" '
                                             "(default: [privacy] controller of --config)")
    parser.add_argument("--config", type=Path, help="TOML config file, for [privacy] controller and retention_days")
    parser.add_argument("--db", default=default_db, help="warehouse path (default: %(default)s)")


def cmd_forget(args: Any) -> int:
    result = forget(args.db, args.person, reason=args.reason)
    print(result.message())
    return 0 if result.published_erased else 1


def cmd_notice(args: Any) -> int:
    settings = PrivacySettings()
    if args.config:
        from flows.config import load_config

        settings = PrivacySettings.from_options(load_config(args.config, db=args.db).options)
    if not Path(args.db).exists():
        raise PrivacyError(f"warehouse not found: {args.db} (run `talent-signals run` or `demo` first)")
    con = _open_locked(Path(args.db), "warehouse", read_only=True)
    try:
        text = notice_text(con, args.person, controller=args.controller or settings.controller,
                           retention_days=settings.retention_days)
    finally:
        con.close()
    print(text, end="")
    return 0
