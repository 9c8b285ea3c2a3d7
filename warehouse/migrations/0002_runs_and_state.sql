-- Bookkeeping: one row per nightly run, one per source within it, and the
-- incremental state (high-water marks, ETags) each source asked to keep.

CREATE TABLE IF NOT EXISTS "runs" (
    "run_id"      VARCHAR PRIMARY KEY,
    "started_at"  TIMESTAMP NOT NULL,
    "ended_at"    TIMESTAMP,
    "status"      VARCHAR NOT NULL,      -- running | success | partial | failed
    "config_path" VARCHAR,
    "counts"      JSON,                  -- {"source": {"records": n, "pages": n}}
    "errors"      JSON                   -- {"source": "message"}
);

CREATE TABLE IF NOT EXISTS "source_runs" (
    "run_id"     VARCHAR NOT NULL,
    "source"     VARCHAR NOT NULL,
    "status"     VARCHAR NOT NULL,       -- success | failed | rate_limited
    "pages"      INTEGER NOT NULL DEFAULT 0,
    "records"    INTEGER NOT NULL DEFAULT 0,
    "error"      VARCHAR,
    "started_at" TIMESTAMP,
    "ended_at"   TIMESTAMP,
    PRIMARY KEY ("run_id", "source")
);

CREATE TABLE IF NOT EXISTS "source_state" (
    "source"     VARCHAR NOT NULL,
    "key"        VARCHAR NOT NULL,
    "value"      VARCHAR,
    "updated_at" TIMESTAMP NOT NULL,
    PRIMARY KEY ("source", "key")
);
