-- Per-person fingerprints for incremental ranking (enrich/rank/people.py;
-- the same DDL is created there for warehouses built by hand). A person's
-- features, scores and lead rows depend only on their own evidence rows and
-- identity records, the role profiles and the reference date (the start of
-- the week), so a night recomputes only persons whose fingerprint changed,
-- new persons and vanished ones, then renumbers every rank.

-- One row per person ranked by the last run: DuckDB hash over the sorted
-- hashes of the person's evidence rows and identity records.
CREATE TABLE IF NOT EXISTS "rank_people" (
    "person_id"   VARCHAR NOT NULL,
    "fingerprint" UBIGINT NOT NULL
);

-- The reference date and the digest of the role profiles (plus code and
-- DuckDB version) the stored ranking was computed with: a different value
-- makes the next run a full one.
CREATE TABLE IF NOT EXISTS "rank_people_state" (
    "reference"           DATE NOT NULL,
    "profile_fingerprint" VARCHAR NOT NULL,
    "updated_at"          TIMESTAMP NOT NULL
);
