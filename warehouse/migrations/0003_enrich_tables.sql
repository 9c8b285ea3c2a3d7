-- Tables that enrich/ writes. Created empty here so the views below work
-- before identity resolution has ever run: then every identity is its own person.

CREATE TABLE IF NOT EXISTS "identity_person" (
    "identity_id" VARCHAR PRIMARY KEY,
    "person_id"   VARCHAR NOT NULL,
    "confidence"  DOUBLE,
    "reason"      VARCHAR,
    "decided_at"  TIMESTAMP
);

CREATE TABLE IF NOT EXISTS "identity_pairs" (
    "identity_a" VARCHAR NOT NULL,
    "identity_b" VARCHAR NOT NULL,
    "confidence" DOUBLE NOT NULL,
    "reason"     VARCHAR NOT NULL,
    "method"     VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS "person_aliases" (
    "old_person_id" VARCHAR PRIMARY KEY,
    "person_id"     VARCHAR NOT NULL,
    "merged_at"     TIMESTAMP
);
