"""The recruiter-facing SQL surface: the `leads` view and `shortlist(role, n)`.

`leads` reads one precomputed table, `lead_rows`, stored sorted by
(role, rank): `SELECT * FROM shortlist('mlops_engineer', 25)` is then a
zone-map-pruned scan plus a top-n, with no aggregation at query time, so it
stays fast at a million people.  `create_views` is idempotent and works on a
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
    """Per (role, person): the evidence behind every feature that moved the
    score, strongest feature first, most recent first, at most EVIDENCE_PER_LEAD."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_rk_lead_ev" AS
WITH used AS (
    SELECT rs."role", rs."person_id", c."feature", abs(c."contribution") AS "weight"
    FROM (SELECT "role", "person_id", unnest("contributions") AS c FROM "role_scores") rs
), ev AS (
    SELECT u."role", u."person_id", e."evidence_id", e."title", e."url", e."kind", e."happened_on",
           max(u."weight") AS "weight"
    FROM used u
    JOIN "feature_evidence" fe ON fe."person_id" = u."person_id" AND fe."feature" = u."feature"
    JOIN "_rk_ev" e ON e."evidence_id" = fe."evidence_id"
    GROUP BY ALL
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY "role", "person_id"
                                 ORDER BY "weight" DESC, "happened_on" DESC NULLS LAST, "evidence_id") AS "rn"
    FROM ev
)
SELECT "role", "person_id",
       list("url" ORDER BY "rn") FILTER (WHERE "url" IS NOT NULL) AS "evidence_urls",
       list({'title': "title", 'url': "url", 'kind': "kind", 'happened_on': "happened_on"} ORDER BY "rn") AS "evidence"
FROM ranked WHERE "rn" <= ?
GROUP BY "role", "person_id"''', [EVIDENCE_PER_LEAD])


def materialise_leads(con: duckdb.DuckDBPyConnection) -> None:
    """Rewrite `lead_rows` from role_scores + person profiles, sorted by (role, rank)."""
    lead_evidence(con)
    run(con, 'DROP TABLE IF EXISTS "lead_rows"')
    run(con, LEAD_ROWS_DDL)
    run(con, '''
INSERT INTO "lead_rows"
SELECT rs."role", rs."rank", rs."person_id", coalesce(p."name", rs."person_id"), rs."score",
       rs."headline", rs."explanation", rs."red_flags",
       coalesce(le."evidence_urls", []), coalesce(le."evidence", []),
       coalesce(p."sources", []), p."first_seen", p."last_seen", p."location", p."affiliation"
FROM "role_scores" rs
LEFT JOIN "_rk_person" p USING ("person_id")
LEFT JOIN "_rk_lead_ev" le ON le."role" = rs."role" AND le."person_id" = rs."person_id"
ORDER BY rs."role", rs."rank"''')
    create_views(con)
