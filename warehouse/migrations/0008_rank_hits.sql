-- Keyword and venue matches per evidence row, cached across ranking runs
-- (enrich/rank/hits.py; the same DDL is created there for warehouses built
-- by hand). A match depends only on the row's content and the role
-- profiles' patterns, so a night regex-scans only new or changed rows.

-- One row per scanned evidence row; "hits" is [] when nothing matched.
-- "fingerprint" is DuckDB hash(kind, title, text, tags, venue) of the row.
CREATE TABLE IF NOT EXISTS "rank_hits" (
    "evidence_id" VARCHAR NOT NULL,
    "fingerprint" UBIGINT NOT NULL,
    "hits"        STRUCT("feature" VARCHAR, "matched" VARCHAR)[] NOT NULL
);

-- The digest of the matchers (keyword patterns, kinds, fields, venues) the
-- cache was built with: a different digest empties "rank_hits".
CREATE TABLE IF NOT EXISTS "rank_hits_profile" (
    "fingerprint" VARCHAR NOT NULL,
    "updated_at"  TIMESTAMP NOT NULL
);
