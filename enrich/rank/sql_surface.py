"""The recruiter-facing SQL surface: the `leads` view and `shortlist(role, n)`.

`leads` reads one precomputed table, `lead_rows`, stored sorted by
(role, rank): `SELECT * FROM shortlist('mlops_engineer', 25)` is then a
zone-map-pruned scan plus a top-n, with no aggregation at query time, so it
stays fast at a million people.  A full run writes it sorted
(`write_lead_rows`); an incremental night updates it in place and appends
each role's best HEAD_ROWS rows again, sorted (`update_lead_rows`), so a
shortlist still reads one place.  `create_views` is idempotent and works on a
warehouse where ranking never ran (the table is then empty).
"""
from __future__ import annotations

import duckdb

from enrich.rank.features import run

EVIDENCE_PER_LEAD = 10

LEAD_ROWS_DDL = '''
CREATE TABLE IF NOT EXISTS "lead_rows" (
    "role" VARCHAR, "rank" BIGINT, "person_id" VARCHAR, "name" VARCHAR, "score" DOUBLE,
    "headline" VARCHAR, "explanation" VARCHAR, "red_flags" VARCHAR[], "evidence_urls" VARCHAR[],
    "evidence" STRUCT("title" VARCHAR, "url" VARCHAR, "kind" VARCHAR, "happened_on" DATE)[],
    "sources" VARCHAR[], "first_seen" TIMESTAMP, "last_seen" TIMESTAMP,
    "location" VARCHAR, "affiliation" VARCHAR
)'''

LEADS_VIEW = '''
CREATE OR REPLACE VIEW "leads" AS
SELECT "role", "rank", "person_id", "name", "score", "headline", "explanation", "red_flags",
       "evidence_urls", "evidence", "sources", "first_seen", "last_seen", "location", "affiliation"
FROM "lead_rows"'''

SHORTLIST_MACRO = '''
CREATE OR REPLACE MACRO "shortlist"(r, n) AS TABLE
SELECT * FROM "leads" WHERE "role" = r ORDER BY "rank" LIMIT n'''


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create `lead_rows` (empty if new), the `leads` view and `shortlist`."""
    run(con, LEAD_ROWS_DDL)
    run(con, LEADS_VIEW)
    run(con, SHORTLIST_MACRO)


def lead_evidence(con: duckdb.DuckDBPyConnection) -> None:
    """Per (role, person): the evidence behind the role's weighted features,
    highest role weight first, then most recent, at most EVIDENCE_PER_LEAD.

    Sorted with list_sort over structs (sort keys first) rather than a window
    or ordered aggregate: at a million people that is several times faster.
    The sort carries only the keys and the `_rk_ev` row; titles and URLs are
    joined for the kept rows only (moving every candidate's strings through
    the sort cost more than the sort)."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_rk_lead_ev" AS
WITH ev AS (
    SELECT w."role", fe."person_id", fe."evidence_id", max(w."weight") AS "weight"
    FROM "_rk_fe" fe
    JOIN "_rk_weights" w USING ("feature")
    WHERE w."weight" > 0
    GROUP BY ALL
), top AS (
    SELECT ev."role", ev."person_id",
           list_sort(list({'k1': -ev."weight",
                           'k2': -coalesce(date_diff('day', DATE '1970-01-01', e."happened_on"), -1000000),
                           'k3': e."evidence_id", 'row': e."rowid"}))[1:?] AS "keys"
    FROM ev
    JOIN "_rk_ev" e USING ("evidence_id")
    SEMI JOIN "_rk_rs" rs ON rs."role" = ev."role" AND rs."person_id" = ev."person_id"
    GROUP BY ev."role", ev."person_id"
), kept AS (
    SELECT "role", "person_id", unnest("keys")."row" AS "row", unnest(range(len("keys"))) AS "pos" FROM top
), items AS (
    SELECT k."role", k."person_id",
           list_transform(list_sort(list({'pos': k."pos", 'title': e."title", 'url': e."url", 'kind': e."kind",
                                          'happened_on': e."happened_on"})),
                          lambda x: {'title': x."title", 'url': x."url", 'kind': x."kind",
                                     'happened_on': x."happened_on"}) AS "items"
    FROM kept k JOIN "_rk_ev" e ON e."rowid" = k."row"
    GROUP BY k."role", k."person_id"
)
SELECT "role", "person_id",
       list_filter(list_transform("items", lambda x: x."url"), lambda u: u IS NOT NULL) AS "evidence_urls",
       "items" AS "evidence"
FROM items''', [EVIDENCE_PER_LEAD])


def stage_leads(con: duckdb.DuckDBPyConnection) -> None:
    """The lead rows of the staged persons (`_rk_rs` + `_rk_person` + their
    evidence) into temp `_rk_lr`; enrich/rank/people.py publishes them into
    `lead_rows` with the final ranks."""
    lead_evidence(con)
    run(con, LEAD_ROWS_DDL.replace('CREATE TABLE IF NOT EXISTS "lead_rows"', 'CREATE OR REPLACE TEMP TABLE "_rk_lr"'))
    run(con, '''
INSERT INTO "_rk_lr"
SELECT rs."role", rs."rank", rs."person_id", coalesce(p."name", rs."person_id"), rs."score",
       rs."headline", rs."explanation", rs."red_flags",
       coalesce(le."evidence_urls", []), coalesce(le."evidence", []),
       coalesce(p."sources", []), p."first_seen", p."last_seen", p."location", p."affiliation"
FROM "_rk_rs" rs
LEFT JOIN "_rk_person" p USING ("person_id")
LEFT JOIN "_rk_lead_ev" le ON le."role" = rs."role" AND le."person_id" = rs."person_id"''')


def write_lead_rows(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Rewrite `lead_rows` from the temp table ``source`` (a name from this
    package, never user input) holding all rows with their final ranks,
    stored sorted by (role, rank) so `shortlist` reads a pruned range."""
    run(con, 'DROP TABLE IF EXISTS "lead_rows"')
    run(con, LEAD_ROWS_DDL)
    run(con, f'INSERT INTO "lead_rows" SELECT * FROM temp."{source}" ORDER BY "role", "rank"')
    create_views(con)


DISPLAY_COLUMNS = ("name", "first_seen", "last_seen", "location", "affiliation")

# Per role, the best-ranked rows an incremental publish rewrites together in
# (role, rank) order, so `shortlist(role, n)` for n up to this many finds all
# of them in one place however many nights appended rows since the last full
# rewrite (see `update_lead_rows`).
HEAD_ROWS = 2048


def update_lead_rows(con: duckdb.DuckDBPyConnection, *, dirty: str, staged: str, keys: str) -> None:
    """Incremental publish, in place: delete the lead rows of the persons in
    temp table ``dirty`` (person_id), append their ``staged`` rows, then set
    every row's `rank` and display columns from ``keys`` (role, person_id,
    rank, name, sources, first_seen, last_seen, location, affiliation) where
    they differ.  Table names come from this package, never user input.

    Why not rewrite the sorted table: writing the wide rows (explanation,
    evidence structs) costs seconds even when only 2% of them changed, while
    ranks shift for almost everyone whenever one person moves.  Ranks of the
    unchanged persons keep their relative order, so the full run's (role,
    rank) storage order holds for them; what would scatter `shortlist`'s
    rows over many row groups is the appended rows, night after night.  So
    each role's best HEAD_ROWS rows are appended again, contiguous and
    sorted, ahead of the night's other rows: a shortlist reads one place
    (benchmarks/bench_shortlist.py --nights).  A full run rewrites the whole
    table sorted (`write_lead_rows`)."""
    run(con, f'DELETE FROM "lead_rows" WHERE "person_id" IN (SELECT "person_id" FROM temp."{dirty}")')
    _lead_changes(con, keys)
    head = 'SELECT "row" FROM "_rk_lead_changes" WHERE "head"'
    run(con, f'CREATE OR REPLACE TEMP TABLE "_rk_lead_head" AS SELECT * FROM "lead_rows" WHERE "rowid" IN ({head})')
    run(con, f'DELETE FROM "lead_rows" WHERE "rowid" IN ({head})')
    fresh = ", ".join(f'k.{_q(c)} AS {_q(c)}' for c in ("rank", "sources") + DISPLAY_COLUMNS)
    run(con, f'''
INSERT INTO "lead_rows"
SELECT s.* REPLACE ({fresh})
FROM (SELECT * FROM "_rk_lead_head" UNION ALL SELECT * FROM temp."{staged}") s
JOIN temp."{keys}" k ON k."role" = s."role" AND k."person_id" = s."person_id"
ORDER BY k."rank" > ?, s."role", k."rank"''', [HEAD_ROWS])
    for group, cols in _COLUMN_GROUPS.items():
        sets = ", ".join(f"{_q(c)} = c.{_q(c)}" for c in cols)
        run(con, f'UPDATE "lead_rows" SET {sets} FROM "_rk_lead_changes" c '
                 f'WHERE "lead_rows"."rowid" = c."row" AND c."{group}" AND NOT c."head"')


# Rank and display columns, by how often an incremental night changes them:
# `rank` and `last_seen` for most rows, the others for a few.  DuckDB's cost
# is per column written, and it rewrites a whole row (delete + insert) to
# update a list column such as `sources`: that must only happen to the few
# rows whose list changed.
_COLUMN_GROUPS = {"hot": ("rank", "last_seen"), "cold": ("name", "first_seen", "location", "affiliation"),
                  "list": ("sources",)}


def _lead_changes(con: duckdb.DuckDBPyConnection, keys: str) -> None:
    """`_rk_lead_changes`: the rowid of every lead row that is in its role's
    head (final rank <= HEAD_ROWS) or whose rank or display columns differ
    from ``keys``, with the fresh values and which column group changed;
    one join for all the updates."""
    flags = ", ".join(f'({" OR ".join(f"l.{_q(c)} IS DISTINCT FROM k.{_q(c)}" for c in cols)}) AS "{group}"'
                      for group, cols in _COLUMN_GROUPS.items())
    fresh = ", ".join(f"k.{_q(c)}" for cols in _COLUMN_GROUPS.values() for c in cols)
    run(con, f'''
CREATE OR REPLACE TEMP TABLE "_rk_lead_changes" AS
SELECT * FROM (
    SELECT l."rowid" AS "row", k."rank" <= ? AS "head", {fresh}, {flags}
    FROM "lead_rows" l JOIN temp."{keys}" k ON l."role" = k."role" AND l."person_id" = k."person_id"
) WHERE "head" OR "hot" OR "cold" OR "list"''', [HEAD_ROWS])


def _q(column: str) -> str:
    return f'"{column}"'
