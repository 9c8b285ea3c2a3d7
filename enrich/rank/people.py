"""Per-person incremental ranking: recompute only the persons whose inputs changed.

Everything a person's features, phrases, role scores and lead rows are
computed from is that person's own evidence rows and identity records, the
role profiles and the reference date (features.reference_date: the start of
the week).  Only the per-role `rank` numbers compare persons with each other.
So the run keeps, in `rank_people` (warehouse/migrations/0010_rank_people.sql),
one fingerprint per person over exactly those inputs:

  rank_people(person_id, fingerprint)        -- hash of the person's evidence rows,
                                             -- identities held and chosen headline
  rank_people_state(reference, profile_fingerprint, updated_at)

When the reference date and the profiles' fingerprint equal the stored ones,
only persons whose fingerprint changed, who are new, or who vanished (merged
away by identity resolution, forgotten) are recomputed: their rows in
`person_features`, `feature_evidence`, `role_scores` and `lead_rows` are
deleted and replaced, then every person's `rank` is renumbered and the lead
rows' ranks and display columns are updated in place where they moved
(sql_surface.update_lead_rows: the wide lead rows are never rewritten whole
on such a night).  Otherwise
(a new week, other profiles, another code or DuckDB version, `full=True`, or
an output table missing) everything is recomputed.  Both give the same
tables: a person's rows depend on nothing but the fingerprinted inputs.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime

import duckdb

from enrich.rank import sql_surface as _surface
from enrich.rank.features import FEATURE_EVIDENCE_COLUMNS, PERSON_FEATURES_COLUMNS, run
from enrich.rank.profiles import Profiles

logger = logging.getLogger(__name__)

# Bump when what a person's rows are computed from, or how, changes in a way
# the profiles do not show (a new step, another formula): a different value
# makes the next run a full one.
RANK_VERSION = 2

PEOPLE_DDL = '''
CREATE TABLE IF NOT EXISTS "rank_people" (
    "person_id"   VARCHAR NOT NULL,
    "fingerprint" UBIGINT NOT NULL
)'''

STATE_DDL = '''
CREATE TABLE IF NOT EXISTS "rank_people_state" (
    "reference"           DATE NOT NULL,
    "profile_fingerprint" VARCHAR NOT NULL,
    "updated_at"          TIMESTAMP NOT NULL
)'''

OUTPUT_TABLES = ("person_features", "feature_evidence", "role_scores", "lead_rows")


@dataclass(frozen=True)
class Plan:
    """What this run recomputes: everyone (`full`) or the `recomputed`
    persons present now plus the `removed` ones whose rows just go."""

    full: bool
    recomputed: int
    removed: int


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The state tables, for warehouses migrated before 0010 or built by hand."""
    run(con, PEOPLE_DDL)
    run(con, STATE_DDL)


def profile_fingerprint(profiles: Profiles) -> str:
    """A digest of every setting a person's rows depend on, besides the
    person's own inputs and the reference date.  DuckDB's version is in it
    because `hash()` is not promised to be stable across releases."""
    doc = dataclasses.asdict(profiles)
    doc.pop("source", None)
    doc = {"version": RANK_VERSION, "duckdb": duckdb.__version__, "profiles": doc}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def person_fingerprints(con: duckdb.DuckDBPyConnection) -> None:
    """`_rk_fp(person_id, fingerprint)`: per person, a hash over its evidence
    rows (id, content fingerprint and every other field a step reads), the
    identities it holds (membership) and the one identity field scores show,
    the chosen `headline` (`_rk_person`).

    Rows are combined by summing their 64-bit hashes (with the row count):
    the same whatever order rows arrive in, duplicates count, and about three
    times cheaper than hashing a sorted list of row hashes per person.

    The other identity fields (name, place, first/last seen) reach only the
    lead rows' display columns, which every run refreshes for everyone from
    `_rk_person`: sources re-seen every night bump `last_seen` for most
    persons, and that must not make them all "changed"."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_rk_fp" AS
WITH ev AS (
    SELECT "person_id", sum(hash("evidence_id", "fingerprint", "source", "url", "happened_on", "amount")) AS "h",
           count(*) AS "n"
    FROM "_rk_ev" GROUP BY "person_id"
)
SELECT "person_id", hash(ev."h", ev."n", p."members_hash", p."members", p."headline") AS "fingerprint"
FROM ev FULL JOIN "_rk_person" p USING ("person_id")''')


def plan(con: duckdb.DuckDBPyConnection, profiles: Profiles, reference: datetime, *, full: bool) -> Plan:
    """Decide full or incremental; on incremental, `_rk_dirty(person_id, present)`
    lists the changed, new and vanished persons."""
    ensure_tables(con)
    person_fingerprints(con)
    if full or not _state_matches(con, profiles, reference) or not _outputs_exist(con):
        (n,) = con.execute('SELECT count(*) FROM "_rk_fp"').fetchone()
        return Plan(full=True, recomputed=int(n), removed=0)
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_rk_dirty" AS
SELECT coalesce(c."person_id", o."person_id") AS "person_id", c."person_id" IS NOT NULL AS "present"
FROM "_rk_fp" c FULL JOIN "rank_people" o ON o."person_id" = c."person_id"
WHERE c."fingerprint" IS DISTINCT FROM o."fingerprint"''')
    present, gone = con.execute('SELECT count(*) FILTER (WHERE "present"), count(*) FILTER (WHERE NOT "present") '
                                'FROM "_rk_dirty"').fetchone()
    return Plan(full=False, recomputed=int(present), removed=int(gone))


def _state_matches(con: duckdb.DuckDBPyConnection, profiles: Profiles, reference: datetime) -> bool:
    stored = con.execute('SELECT "reference", "profile_fingerprint" FROM "rank_people_state"').fetchall()
    return stored == [(reference.date(), profile_fingerprint(profiles))]


def _outputs_exist(con: duckdb.DuckDBPyConnection) -> bool:
    (n,) = con.execute('SELECT count(*) FROM duckdb_tables() WHERE "schema_name" = \'main\' '
                       'AND NOT "temporary" AND list_contains(?::VARCHAR[], "table_name")',
                       [list(OUTPUT_TABLES)]).fetchone()
    return int(n) == len(OUTPUT_TABLES)


def restrict_to_dirty(con: duckdb.DuckDBPyConnection) -> None:
    """Keep only the recomputed persons' evidence in the snapshot every later
    step reads (after the hit cache saw all rows)."""
    run(con, 'CREATE OR REPLACE TEMP TABLE "_rk_ev" AS SELECT * FROM temp."_rk_ev" '
             'WHERE "person_id" IN (SELECT "person_id" FROM "_rk_dirty" WHERE "present")')


def publish(con: duckdb.DuckDBPyConnection, the_plan: Plan, profiles: Profiles, reference: datetime) -> None:
    """Write the staged rows into the output tables and save the state."""
    if the_plan.full:
        _replace_all(con)
        run(con, 'DELETE FROM "rank_people"')
        run(con, 'INSERT INTO "rank_people" SELECT "person_id", "fingerprint" FROM "_rk_fp"')
    else:
        _replace_dirty(con)
        # only the dirty persons' fingerprints changed (or are new, or gone)
        run(con, 'DELETE FROM "rank_people" WHERE "person_id" IN (SELECT "person_id" FROM "_rk_dirty")')
        run(con, 'INSERT INTO "rank_people" SELECT "person_id", "fingerprint" FROM "_rk_fp" '
                 'WHERE "person_id" IN (SELECT "person_id" FROM "_rk_dirty" WHERE "present")')
    run(con, 'DELETE FROM "rank_people_state"')
    run(con, 'INSERT INTO "rank_people_state" VALUES (?::DATE, ?, current_timestamp)',
        [reference, profile_fingerprint(profiles)])


def _replace_all(con: duckdb.DuckDBPyConnection) -> None:
    """Full run: the staged rows are the whole output."""
    run(con, f'CREATE OR REPLACE TABLE "person_features" {PERSON_FEATURES_COLUMNS}')
    run(con, 'INSERT INTO "person_features" SELECT * FROM "_rk_pf"')
    run(con, f'CREATE OR REPLACE TABLE "feature_evidence" {FEATURE_EVIDENCE_COLUMNS}')
    run(con, 'INSERT INTO "feature_evidence" SELECT * FROM "_rk_fe"')
    run(con, 'CREATE OR REPLACE TABLE "role_scores" AS SELECT * FROM "_rk_rs" ORDER BY "role", "rank"')
    _surface.write_lead_rows(con, "_rk_lr")


def _replace_dirty(con: duckdb.DuckDBPyConnection) -> None:
    """Incremental run: delete exactly the dirty persons' rows, insert the
    staged ones, renumber every role's ranks and refresh the lead rows'
    ranks and display columns."""
    dirty = 'SELECT "person_id" FROM "_rk_dirty"'
    for table, staged in (("person_features", "_rk_pf"), ("feature_evidence", "_rk_fe"), ("role_scores", "_rk_rs")):
        run(con, f'DELETE FROM "{table}" WHERE "person_id" IN ({dirty})')
        run(con, f'INSERT INTO "{table}" SELECT * FROM temp."{staged}"')
    _lead_keys(con)
    _renumber_role_scores(con)
    _surface.update_lead_rows(con, dirty="_rk_dirty", staged="_rk_lr", keys="_rk_lead_keys")


def _lead_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Per (role, person): the final rank, the one cross-person number (rank
    within the role, ties by person_id: the order score_roles uses), and the
    display columns a full run writes (`_rk_person` is built for everyone),
    with the `role_scores` row it came from (`rs_row`, `old_rank`)."""
    # numbered over the narrow columns first: a window sorts every column it
    # carries, so the display columns are joined after it
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_rk_lead_keys" AS
WITH ranked AS (
    SELECT "role", "person_id", "rowid" AS "rs_row", "rank" AS "old_rank",
           row_number() OVER (PARTITION BY "role" ORDER BY "score" DESC, "person_id") AS "rank"
    FROM "role_scores"
)
SELECT r."role", r."person_id", r."rank", coalesce(p."name", r."person_id") AS "name",
       coalesce(p."sources", []) AS "sources", p."first_seen", p."last_seen", p."location", p."affiliation",
       r."rs_row", r."old_rank"
FROM ranked r LEFT JOIN "_rk_person" p USING ("person_id")''')


def _renumber_role_scores(con: duckdb.DuckDBPyConnection) -> None:
    """`role_scores.rank` from `_rk_lead_keys`; only rows whose rank moved are written."""
    run(con, '''
UPDATE "role_scores" SET "rank" = k."rank"
FROM "_rk_lead_keys" k
WHERE "role_scores"."rowid" = k."rs_row" AND k."old_rank" <> k."rank"''')
