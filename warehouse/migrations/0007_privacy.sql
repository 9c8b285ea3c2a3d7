-- Privacy: the salt and the suppression list of people who asked to be
-- forgotten (GDPR Art. 17/21; see docs/PRIVACY.md and flows/privacy.py).
--
-- The source of truth is the sidecar file `<db>.privacy.duckdb` written by
-- `talent-signals forget` (the night replaces the warehouse file, so a write
-- into it while a night builds a copy would be undone at the swap). These
-- tables are the nightly mirror of the sidecar, refreshed by
-- flows.privacy.apply_suppressions; the sidecar has the same columns.
--
-- No identifier is stored in plain text: key_hash is the hex SHA-256 of
-- salt || 0x1F || '<kind>:<normalised value>' (e.g. 'github:<login>',
-- 'email:<address>', 'name:<folded name>|<folded affiliation>'). A hash can
-- only confirm an identifier someone already has; it cannot be read back.

CREATE TABLE IF NOT EXISTS "privacy_salt" (
    "salt"       VARCHAR NOT NULL,        -- 64 hex chars, random per install
    "created_at" TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS "suppressions" (
    "key_hash"       VARCHAR PRIMARY KEY,
    "kind"           VARCHAR NOT NULL,     -- github, email, orcid, name, id ... (no value)
    "suppression_id" VARCHAR NOT NULL,     -- one per forget request (uuid), for the audit trail
    "created_at"     TIMESTAMP NOT NULL,
    "reason"         VARCHAR               -- free text from `forget --reason` (no identifiers, please)
);
