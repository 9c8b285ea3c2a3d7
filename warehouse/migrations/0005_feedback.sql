-- Recruiter feedback: one current decision per (person, role) plus an
-- append-only history of every decision.
--
-- The source of truth is the sidecar file `<db>.feedback.duckdb` written by
-- `talent-signals mark` (see flows/feedback.py): the night replaces the
-- warehouse file, so a write into it while a night builds a copy would be lost.
-- These tables are the nightly mirror of the sidecar (refreshed by
-- flows.feedback.merge_feedback just before publish), so SQL users can join
-- feedback with leads; the sidecar has the same columns.
--
-- Decisions are keyed by the person_id they were made about. Identity
-- resolution may later merge that person into another one; it then records
-- old -> new in person_aliases (flattened: old ids always point at the
-- current id), and feedback_current follows it.

CREATE TABLE IF NOT EXISTS "feedback" (
    "person_id"  VARCHAR NOT NULL,
    "role"       VARCHAR NOT NULL,
    "status"     VARCHAR NOT NULL
                 CHECK ("status" IN ('interested', 'contacted', 'not_a_fit', 'hired')),
    "note"       VARCHAR,
    "decided_at" TIMESTAMP NOT NULL,
    "decided_by" VARCHAR,
    PRIMARY KEY ("person_id", "role")
);

CREATE TABLE IF NOT EXISTS "feedback_history" (
    "history_id" VARCHAR PRIMARY KEY,       -- uuid, so nightly mirroring is idempotent
    "person_id"  VARCHAR NOT NULL,
    "role"       VARCHAR NOT NULL,
    "status"     VARCHAR NOT NULL
                 CHECK ("status" IN ('interested', 'contacted', 'not_a_fit', 'hired')),
    "note"       VARCHAR,
    "decided_at" TIMESTAMP NOT NULL,
    "decided_by" VARCHAR
);

-- The decision that applies to each current person and role. When decisions
-- were made about two ids that have since merged, the latest one wins.
CREATE OR REPLACE VIEW "feedback_current" AS
SELECT coalesce(a."person_id", f."person_id") AS "person_id",
       f."role", f."status", f."note", f."decided_at", f."decided_by",
       f."person_id" AS "decided_person_id"
FROM "feedback" f
LEFT JOIN "person_aliases" a ON a."old_person_id" = f."person_id"
QUALIFY row_number() OVER (
    PARTITION BY coalesce(a."person_id", f."person_id"), f."role"
    ORDER BY f."decided_at" DESC, f."person_id") = 1;
