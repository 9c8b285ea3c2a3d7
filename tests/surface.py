"""The warehouse surface (`identities`, `evidence`) as plain tables, with
exactly the contract's columns (docs/ARCHITECTURE.md, "Warehouse surface"):
enrich/ tests build small worlds on these without the warehouse loaders."""

IDENTITIES_DDL = '''CREATE TABLE "identities" ("identity_id" VARCHAR, "person_id" VARCHAR, "source" VARCHAR,
    "source_kind" VARCHAR, "source_key" VARCHAR, "name" VARCHAR, "affiliation" VARCHAR,
    "headline" VARCHAR, "bio" VARCHAR, "location" VARCHAR, "url" VARCHAR,
    "first_seen" TIMESTAMP, "last_seen" TIMESTAMP, "is_internal" BOOLEAN)'''

EVIDENCE_DDL = '''CREATE TABLE "evidence" ("evidence_id" VARCHAR, "identity_id" VARCHAR, "person_id" VARCHAR,
    "source" VARCHAR, "kind" VARCHAR, "title" VARCHAR, "url" VARCHAR, "happened_on" DATE,
    "text" VARCHAR, "tags" VARCHAR[], "amount" INTEGER, "venue" VARCHAR)'''
