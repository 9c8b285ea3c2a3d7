"""Incremental resolution: re-decide only where the data changed.

Why: a night with 1% new papers left 99% of the warehouse as it was, yet a
full resolution re-scores every candidate pair and re-runs every cluster
round (most of a night at 100k people). Candidate pairs only come from
blocks (same name key, identifier, work or title), so a change can only
move decisions inside the blocks it touches.

A night's plan (`plan`):
* **unchanged** -- no identity's fingerprint moved: nothing is rewritten.
* **incremental** -- the changed identities (new, edited or gone), every
  identity sharing a name block, an identifier or a work with them, and
  every member of the persons those belong to (a person is re-decided
  whole, so nobody is split from a group they were not compared with) are
  resolved again from scratch; everyone else keeps their person. Their
  co-authors come along as *context* (for co-author and same-work
  evidence) without being re-decided.
* **full** -- the first night, after a change of settings or scorer, when
  more than `incremental_max_share` of identities changed, or when the last
  full resolution is older than `full_every_days` (it also refreshes the
  warehouse-wide topic frequencies an incremental night reads).

What an incremental night may decide differently from a full one: a pair
between a re-resolved identity and one outside the scope is not compared
again (neither side changed, so last night's answer stands), and name
frequencies are counted over the scope. The weekly full night removes the
drift; the benchmark compares both (benchmarks/bench_pipeline.py).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import duckdb

from enrich.identity.steps import Params, run

logger = logging.getLogger(__name__)

# Bump when the resolution logic changes what it decides: a new version
# forces one full night, as a change of Params or scorer does.
RESOLVER_VERSION = "2026-11-29.1"
MODES = ("auto", "full")


@dataclass(frozen=True)
class Plan:
    mode: str          # "full", "incremental" or "unchanged"
    changed: int       # identities new, edited or gone since the last resolution
    why: str


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The state tables belong to migration 0009; created here only when
    missing (a bare test connection with just the documented surface)."""
    run(con, 'CREATE TABLE IF NOT EXISTS "identity_fingerprints" ('
             '"identity_id" VARCHAR PRIMARY KEY, "fingerprint" UBIGINT NOT NULL)')
    run(con, 'CREATE TABLE IF NOT EXISTS "identity_topic_df" ("token" VARCHAR PRIMARY KEY, "df" BIGINT NOT NULL)')
    run(con, 'CREATE TABLE IF NOT EXISTS "identity_resolution_state" ('
             '"key" VARCHAR PRIMARY KEY, "value" VARCHAR NOT NULL)')


def fingerprints(con: duckdb.DuckDBPyConnection) -> None:
    """`_ir_fp`: one hash per current identity of what resolution reads about
    it. Counts that move every night (followers, commits) are left out: they
    change no decision, and would make every GitHub user 'changed'.

    The link and evidence columns resolution reads are kept as `_ir_lk` and
    `_ir_ev` (each view is read once: at 100k people a read of `evidence` is
    1-2 s, and an incremental night needed it three times, `identity_links`
    four); a full night drops them (`full_sources`)."""
    run(con, 'CREATE OR REPLACE TEMP TABLE "_ir_lk" AS SELECT "identity_id", "kind", "value" FROM "identity_links"')
    run(con, '''CREATE OR REPLACE TEMP TABLE "_ir_ev" AS
                SELECT "identity_id", "evidence_id", "source", "kind", "title", "tags", "happened_on" FROM "evidence"''')
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_fp" AS
WITH i AS (
    SELECT "identity_id", hash("source", "source_kind", "source_key", "name", "affiliation", "location") AS "h"
    FROM "identities"
), l AS (
    SELECT "identity_id", bit_xor(hash("kind", "value")) AS "h" FROM "_ir_lk" GROUP BY 1
), e AS (
    SELECT "identity_id", bit_xor(hash("evidence_id", "kind", "title", "tags", "happened_on")) AS "h"
    FROM "_ir_ev" GROUP BY 1
)
SELECT i."identity_id", hash(i."h", coalesce(l."h", 0), coalesce(e."h", 0)) AS "fingerprint"
FROM i LEFT JOIN l USING ("identity_id") LEFT JOIN e USING ("identity_id")''')


def changed(con: duckdb.DuckDBPyConnection) -> int:
    """`_ir_changed`: identities new or edited since the last resolution, and
    those gone (their former persons must be re-decided)."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_changed" AS
SELECT f."identity_id" FROM "_ir_fp" f LEFT JOIN "identity_fingerprints" s USING ("identity_id")
WHERE s."fingerprint" IS DISTINCT FROM f."fingerprint"
UNION
SELECT s."identity_id" FROM "identity_fingerprints" s ANTI JOIN "_ir_fp" f USING ("identity_id")''')
    return con.execute('SELECT count(*) FROM "_ir_changed"').fetchone()[0]


def settings_key(p: Params, scorer: str) -> str:
    """What must be equal for last night's decisions to stand."""
    text = repr((RESOLVER_VERSION, scorer, sorted(asdict(p).items())))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def plan(con: duckdb.DuckDBPyConnection, p: Params, scorer: str, now: datetime, mode: str) -> Plan:
    """Pick full, incremental or unchanged (module docstring)."""
    fingerprints(con)
    n_changed = changed(con)
    state = dict(con.execute('SELECT "key", "value" FROM "identity_resolution_state"').fetchall())
    total = max(1, con.execute('SELECT count(*) FROM "_ir_fp"').fetchone()[0])
    if mode == "full":
        return Plan("full", n_changed, "a full resolution was asked for")
    if "last_full" not in state:
        return Plan("full", n_changed, "no earlier resolution to build on")
    if state.get("settings") != settings_key(p, scorer):
        return Plan("full", n_changed, "resolution settings, scorer or version changed")
    if now - datetime.fromisoformat(state["last_full"]) >= timedelta(days=p.full_every_days):
        return Plan("full", n_changed, f"last full resolution is {p.full_every_days}+ days old")
    if n_changed == 0:
        return Plan("unchanged", 0, "no identity changed")
    if n_changed > p.incremental_max_share * total:
        return Plan("full", n_changed, f"{n_changed} of {total} identities changed")
    return Plan("incremental", n_changed, f"{n_changed} of {total} identities changed")


def full_sources(con: duckdb.DuckDBPyConnection, p: Params) -> None:
    """Full night: the steps read the whole surface (views, no copy)."""
    run(con, 'CREATE OR REPLACE TEMP TABLE "_ir_seed" ("identity_id" VARCHAR, "person_id" VARCHAR)')
    run(con, 'DROP TABLE IF EXISTS "_ir_lk"')   # the steps read the views whole: no copy held beside them
    run(con, 'DROP TABLE IF EXISTS "_ir_ev"')
    run(con, 'CREATE OR REPLACE TEMP VIEW "_ir_src_links" AS SELECT * FROM "identity_links"')
    run(con, 'CREATE OR REPLACE TEMP VIEW "_ir_src_evidence" AS SELECT * FROM "evidence"')
    run(con, 'CREATE OR REPLACE TEMP TABLE "_ir_df_prior" ("token" VARCHAR, "df" BIGINT)')
    run(con, 'CREATE OR REPLACE TEMP TABLE "_ir_universe" AS SELECT count(*) AS "n" FROM "_ir_names"')


def scoped_sources(con: duckdb.DuckDBPyConnection, p: Params) -> dict[str, int]:
    """Incremental night: find the scope, then keep only its rows in
    `_ir_names` and in the link/evidence copies the steps read."""
    neighbours(con, p)
    scope(con)
    fresh_and_seeds(con)
    run(con, '''CREATE OR REPLACE TEMP TABLE "_ir_src_links" AS
                SELECT l.* FROM "_ir_lk" l SEMI JOIN "_ir_scope" s USING ("identity_id")''')
    run(con, '''CREATE OR REPLACE TEMP TABLE "_ir_src_evidence" AS
                SELECT e.* FROM "_ir_ev" e SEMI JOIN "_ir_scope" s USING ("identity_id")''')
    run(con, 'DELETE FROM "_ir_names" WHERE "identity_id" NOT IN (SELECT "identity_id" FROM "_ir_scope")')
    run(con, 'CREATE OR REPLACE TEMP TABLE "_ir_df_prior" AS SELECT * FROM "identity_topic_df"')
    run(con, 'CREATE OR REPLACE TEMP TABLE "_ir_universe" AS SELECT count(*) AS "n" FROM "_ir_fp"')
    counts = dict(con.execute('SELECT "resolvable", count(*) FROM "_ir_scope" GROUP BY 1').fetchall())
    (fresh,) = con.execute('SELECT count(*) FROM "_ir_fresh"').fetchone()
    return {"scope": counts.get(True, 0), "context": counts.get(False, 0), "fresh": fresh}


def neighbours(con: duckdb.DuckDBPyConnection, p: Params) -> None:
    """`_ir_near`: changed identities and everyone they could be compared
    with: same name block key, same identifier (or login, or paper a code
    URL / model card points at), same work or same folded work title."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_dnames" AS
SELECT n.* FROM "_ir_names" n SEMI JOIN "_ir_changed" c USING ("identity_id")''')
    run(con, _block_neighbours_sql())
    _identifier_neighbours(con, p)
    _login_neighbours(con)
    _work_neighbours(con)


def _block_neighbours_sql(target: str = "_ir_near") -> str:
    """Everyone sharing a name block with a changed identity, one equi-join
    per block key (``k IN (..) OR k2 IN (..)`` and a lateral unnest over every
    name cost 3 s at 100k people)."""
    swapped = _swapped_key('n."raw_tokens"')
    return f'''
CREATE OR REPLACE TEMP TABLE "{target}" AS
WITH full_keys AS (  -- first+last and sorted-token blocks pair everyone in them
    SELECT DISTINCT k FROM "_ir_dnames", unnest(["fl_key", "sorted_key"]) AS u(k) WHERE k IS NOT NULL
), initial_keys AS (  -- last+initial blocks pair only where one side is an initial
    SELECT k, bool_or(length("first") = 1) AS "is_initial"
    FROM "_ir_dnames", unnest(["init_key", {_swapped_key('"raw_tokens"')}]) AS u(k) WHERE k IS NOT NULL GROUP BY k
)
SELECT "identity_id" FROM "_ir_changed"
UNION SELECT n."identity_id" FROM "_ir_names" n JOIN full_keys f ON f.k = n."fl_key"
UNION SELECT n."identity_id" FROM "_ir_names" n JOIN full_keys f ON f.k = n."sorted_key"
UNION SELECT n."identity_id" FROM "_ir_names" n JOIN initial_keys i ON i.k = n."init_key"
      WHERE i."is_initial" OR length(n."first") = 1
UNION SELECT n."identity_id" FROM "_ir_names" n JOIN initial_keys i ON i.k = {swapped}
      WHERE i."is_initial" OR length(n."first") = 1'''


def _swapped_key(tokens: str) -> str:
    """SQL for the last-name + initial key of a two-token name read family
    name first ("Kim Xin" -> "kim|x"), from the column ``tokens``
    (steps.name_candidates' last block)."""
    return f"CASE WHEN len({tokens}) = 2 THEN {tokens}[1] || '|' || {tokens}[-1][1] END"


def _identifier_neighbours(con: duckdb.DuckDBPyConnection, p: Params) -> None:
    """Identities holding a link value, login or paper id a changed identity holds."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_dvalues" AS
SELECT DISTINCT lower(trim(l."value")) AS "v" FROM "_ir_lk" l SEMI JOIN "_ir_changed" c USING ("identity_id")
WHERE coalesce(trim(l."value"), '') <> ''
UNION SELECT lower("source_key") FROM "_ir_dnames" WHERE "source_kind" = 'github'
UNION SELECT lower(split_part("source_key", '#', 1)) FROM "_ir_dnames" WHERE "source_kind" = 'arxiv' ''')
    run(con, '''
INSERT INTO "_ir_near"
WITH held AS (  -- a value on more records than `generic_holders` links nobody (steps.strong_values)
    SELECT l."identity_id", lower(trim(l."value")) AS "v" FROM "_ir_lk" l
    WHERE lower(trim(l."value")) IN (SELECT "v" FROM "_ir_dvalues")
    QUALIFY count(*) OVER (PARTITION BY lower(trim(l."value"))) <= ?
)
SELECT DISTINCT "identity_id" FROM held
UNION
SELECT "identity_id" FROM "_ir_names"
WHERE ("source_kind" = 'github' AND lower("source_key") IN (SELECT "v" FROM "_ir_dvalues"))
   OR ("source_kind" = 'arxiv' AND lower(split_part("source_key", '#', 1)) IN (SELECT "v" FROM "_ir_dvalues"))''',
        [p.generic_holders])


def _login_neighbours(con: duckdb.DuckDBPyConnection) -> None:
    """A GitHub user known only by a login and the names that login spells
    (steps._login_candidates), in both directions.

    Equi-joins on the unnested forms: ``list_has_any`` of each row's forms
    against the list of every changed name's forms compared each row with
    thousands of strings (5 s of a 20 s incremental night at 100k people)."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_dforms" AS
SELECT DISTINCT unnest("ir_name_keys"("raw_tokens")) AS "f" FROM "_ir_dnames"
WHERE "has_real_name" AND len("raw_tokens") >= 2''')
    run(con, '''
INSERT INTO "_ir_near"
SELECT DISTINCT n."identity_id"
FROM (SELECT "identity_id", unnest("ir_login_forms"("login_only")) AS "f" FROM "_ir_names"
      WHERE "login_only" IS NOT NULL) n
JOIN "_ir_dforms" d USING ("f")''')
    if con.execute('SELECT count(*) FROM "_ir_dnames" WHERE "login_only" IS NOT NULL').fetchone()[0]:
        run(con, '''
INSERT INTO "_ir_near"
WITH forms AS (SELECT DISTINCT unnest("ir_login_forms"("login_only")) AS "f" FROM "_ir_dnames"
               WHERE "login_only" IS NOT NULL)
SELECT DISTINCT n."identity_id" FROM "_ir_names" n
JOIN (SELECT DISTINCT k."raw_tokens"   -- name keys once per distinct name (regex chains)
      FROM (SELECT "raw_tokens", unnest("ir_name_keys"("raw_tokens")) AS "f"
            FROM (SELECT DISTINCT "raw_tokens" FROM "_ir_names" WHERE "has_real_name" AND len("raw_tokens") >= 2)) k
      JOIN forms USING ("f")) hit ON hit."raw_tokens" = n."raw_tokens"
WHERE n."has_real_name"''')


# Same-title pairs need the title on one work per source; a title on more
# works than this (a template, "Introduction") cannot be one of those.
_MAX_SAME_TITLE = 10


def _work_neighbours(con: duckdb.DuckDBPyConnection) -> None:
    """Co-authors/co-speakers of a changed identity (same source and work)
    and holders of the same folded talk/paper title (cross-source pairs).
    `_ir_allworks` is kept: the scope's context is drawn from it too."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_allworks" AS
WITH w AS (SELECT * FROM "_ir_ev" WHERE "kind" IN ('talk', 'paper') AND "title" IS NOT NULL),
folded AS (SELECT "title", "ir_fold"("title") AS "title_key" FROM (SELECT DISTINCT "title" FROM w))
SELECT w."identity_id", w."source",
       "ir_work_key"(w."evidence_id", w."identity_id") AS "work_key", f."title_key"
FROM w JOIN folded f USING ("title")''')
    run(con, '''
INSERT INTO "_ir_near"
WITH d AS (SELECT w.* FROM "_ir_allworks" w SEMI JOIN "_ir_changed" c USING ("identity_id")),
same_title AS (  -- a title many works share pairs nobody (steps.name_candidates: one work per source)
    SELECT w."identity_id", w."title_key" FROM "_ir_allworks" w
    WHERE w."title_key" IN (SELECT "title_key" FROM d)
    QUALIFY count(DISTINCT (w."source", w."work_key")) OVER (PARTITION BY w."title_key") <= ?
)
SELECT "identity_id" FROM same_title
UNION
SELECT w."identity_id" FROM "_ir_allworks" w
WHERE (w."source", w."work_key") IN (SELECT ("source", "work_key") FROM d)''', [_MAX_SAME_TITLE])


def scope(con: duckdb.DuckDBPyConnection) -> None:
    """`_ir_scope`: identities to re-decide (resolvable) -- the neighbourhood
    and every member of the persons it touches -- and their co-authors as
    context (read, not re-decided)."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_scope" AS
WITH near AS (SELECT DISTINCT "identity_id" FROM "_ir_near"),
persons AS (SELECT DISTINCT ip."person_id" FROM "identity_person" ip SEMI JOIN near USING ("identity_id")),
everyone AS (
    SELECT "identity_id" FROM near
    UNION
    SELECT ip."identity_id" FROM "identity_person" ip SEMI JOIN persons USING ("person_id")
)
SELECT e."identity_id", TRUE AS "resolvable" FROM everyone e SEMI JOIN "_ir_fp" f USING ("identity_id")''')
    run(con, '''
INSERT INTO "_ir_scope"
WITH mine AS (
    SELECT DISTINCT w."source", w."work_key" FROM "_ir_allworks" w SEMI JOIN "_ir_scope" s USING ("identity_id")
)
SELECT DISTINCT w."identity_id", FALSE FROM "_ir_allworks" w JOIN mine USING ("source", "work_key")
WHERE w."identity_id" NOT IN (SELECT "identity_id" FROM "_ir_scope")''')


def fresh_and_seeds(con: duckdb.DuckDBPyConnection) -> None:
    """`_ir_fresh`: identities decided from scratch tonight -- the changed
    ones and every member of a person one of them belonged to (an edited or
    removed record may have been what held that person together).
    `_ir_seed`: the other scope identities with their current person; those
    persons start as they are: last night compared their members already,
    and nothing about them changed."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_fresh" AS
WITH dirty AS (SELECT DISTINCT ip."person_id" FROM "identity_person" ip SEMI JOIN "_ir_changed" c USING ("identity_id"))
SELECT c."identity_id" FROM "_ir_changed" c SEMI JOIN "_ir_fp" f USING ("identity_id")
UNION
SELECT ip."identity_id" FROM "identity_person" ip SEMI JOIN dirty USING ("person_id")
SEMI JOIN "_ir_fp" f USING ("identity_id")''')
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_seed" AS
SELECT ip."identity_id", ip."person_id" FROM "identity_person" ip
SEMI JOIN (SELECT "identity_id" FROM "_ir_scope" WHERE "resolvable") s USING ("identity_id")
ANTI JOIN "_ir_fresh" f USING ("identity_id")''')


def restrict_pairs(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """Keep the pairs tonight must decide: both sides re-decidable and one
    of them fresh. Context identities keep the person they have; a pair of
    two unchanged persons was decided last night."""
    run(con, 'CREATE OR REPLACE TEMP TABLE "_ir_keep" AS SELECT "identity_id" FROM "_ir_scope" WHERE "resolvable"')
    for table in tables:
        run(con, f'''DELETE FROM "{table}" WHERE "identity_a" NOT IN (SELECT "identity_id" FROM "_ir_keep")
                     OR "identity_b" NOT IN (SELECT "identity_id" FROM "_ir_keep")
                     OR ("identity_a" NOT IN (SELECT "identity_id" FROM "_ir_fresh")
                         AND "identity_b" NOT IN (SELECT "identity_id" FROM "_ir_fresh"))''')


def save(con: duckdb.DuckDBPyConnection, p: Params, scorer: str, now: datetime, full: bool) -> None:
    """Remember today's fingerprints (and, after a full night, the topic
    frequencies and the settings) for the next night's plan. Only changed
    rows are rewritten: replacing 300k keyed rows took 10 s."""
    run(con, 'DELETE FROM "identity_fingerprints" WHERE "identity_id" IN (SELECT "identity_id" FROM "_ir_changed")')
    run(con, '''INSERT INTO "identity_fingerprints"
                SELECT f."identity_id", f."fingerprint" FROM "_ir_fp" f SEMI JOIN "_ir_changed" c USING ("identity_id")''')
    if not full:
        return
    run(con, 'DELETE FROM "identity_topic_df"')
    run(con, 'INSERT INTO "identity_topic_df" SELECT "token", "df" FROM "_ir_df" WHERE "df" >= 2')
    for key, value in (("last_full", now.isoformat()), ("settings", settings_key(p, scorer))):
        run(con, '''INSERT INTO "identity_resolution_state" VALUES (?, ?)
                    ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value"''', [key, value])

