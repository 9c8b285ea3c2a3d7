-- Incremental identity resolution (enrich/identity/incremental.py).
--
-- identity_fingerprints: per identity, a hash of everything resolution reads
-- about it (name, affiliation, location, links, works, tags) as of the last
-- resolution. A night compares it with today's: only identities whose
-- fingerprint moved, and the name blocks, identifiers, works and persons they
-- touch, are resolved again.
-- identity_topic_df: topic-token document frequencies of the last full
-- resolution, so an incremental one judges "specific" vs "noise" topics by the
-- whole warehouse, not by the few identities it re-resolves.
-- identity_resolution_state: last full run, its settings' fingerprint.

CREATE TABLE IF NOT EXISTS "identity_fingerprints" (
    "identity_id" VARCHAR PRIMARY KEY,
    "fingerprint" UBIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS "identity_topic_df" (
    "token" VARCHAR PRIMARY KEY,
    "df"    BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS "identity_resolution_state" (
    "key"   VARCHAR PRIMARY KEY,
    "value" VARCHAR NOT NULL
);
