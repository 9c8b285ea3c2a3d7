"""Identity resolution on small hand-built warehouse surfaces.

The tables have exactly the contract's columns (docs/ARCHITECTURE.md,
"Warehouse surface"), so these tests do not depend on warehouse/ loaders.
"""
from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from enrich.identity import resolve
from enrich.identity.persons import new_person_id

NIGHT1 = datetime(2025, 1, 1, 2, 0)
NIGHT2 = datetime(2025, 1, 2, 2, 0)

SURFACE_DDL = [
    '''CREATE TABLE "identities" ("identity_id" VARCHAR, "person_id" VARCHAR, "source" VARCHAR,
        "source_kind" VARCHAR, "source_key" VARCHAR, "name" VARCHAR, "affiliation" VARCHAR,
        "headline" VARCHAR, "bio" VARCHAR, "location" VARCHAR, "url" VARCHAR,
        "first_seen" TIMESTAMP, "last_seen" TIMESTAMP, "is_internal" BOOLEAN)''',
    'CREATE TABLE "identity_links" ("identity_id" VARCHAR, "kind" VARCHAR, "value" VARCHAR, "url" VARCHAR)',
    '''CREATE TABLE "evidence" ("evidence_id" VARCHAR, "identity_id" VARCHAR, "person_id" VARCHAR,
        "source" VARCHAR, "kind" VARCHAR, "title" VARCHAR, "url" VARCHAR, "happened_on" DATE,
        "text" VARCHAR, "tags" VARCHAR[], "amount" INTEGER, "venue" VARCHAR)''',
    '''CREATE TABLE "identity_person" ("identity_id" VARCHAR PRIMARY KEY, "person_id" VARCHAR NOT NULL,
        "confidence" DOUBLE, "reason" VARCHAR, "decided_at" TIMESTAMP)''',
    '''CREATE TABLE "identity_pairs" ("identity_a" VARCHAR NOT NULL, "identity_b" VARCHAR NOT NULL,
        "confidence" DOUBLE NOT NULL, "reason" VARCHAR NOT NULL, "method" VARCHAR NOT NULL)''',
]
KIND = {"arxiv": "arxiv", "github": "github", "internal": "internal"}


class Surface:
    """Builder for the three input tables."""

    def __init__(self) -> None:
        self.con = duckdb.connect(config={"autoinstall_known_extensions": False})
        for ddl in SURFACE_DDL:
            self.con.execute(ddl)

    def identity(self, identity_id: str, name: str, affiliation: str | None = None,
                 location: str | None = None) -> str:
        source, key = identity_id.split(":", 1)
        self.con.execute('INSERT INTO "identities" VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, NULL, ?, ?, ?)',
                         [identity_id, identity_id, source, KIND.get(source, "conference"), key, name,
                          affiliation, location, NIGHT1, NIGHT1, source == "internal"])
        return identity_id

    def link(self, identity_id: str, kind: str, value: str) -> None:
        self.con.execute('INSERT INTO "identity_links" VALUES (?, ?, ?, ?)',
                         [identity_id, kind, value, f"https://example.org/{value}"])

    def work(self, identity_id: str, work_key: str, title: str, tags: list[str],
             kind: str = "paper", on: date | None = None) -> None:
        source = identity_id.split(":", 1)[0]
        self.con.execute('INSERT INTO "evidence" VALUES (?, ?, ?, ?, ?, ?, NULL, ?, NULL, ?, NULL, NULL)',
                         [f"{identity_id}|{work_key}", identity_id, identity_id, source, kind, title,
                          on, tags])

    def persons(self) -> dict[str, str]:
        return dict(self.con.execute('SELECT "identity_id", "person_id" FROM "identity_person"').fetchall())

    def same(self, a: str, b: str) -> bool:
        p = self.persons()
        return p[a] == p[b]


@pytest.fixture
def s() -> Surface:
    return Surface()


def test_initials_with_shared_affiliation_and_topic_join(s: Surface) -> None:
    s.identity("arxiv:2401.00001#1", "J. Smith", "ETH Zurich")
    s.identity("arxiv:2402.00002#2", "John Smith", "ETH Zürich")
    s.identity("arxiv:2402.00002#1", "Anna Other", "MIT")
    s.work("arxiv:2401.00001#1", "paper:2401.00001", "Sparse attention for long documents", ["cs.lg", "cs.cl"])
    s.work("arxiv:2402.00002#2", "paper:2402.00002", "Efficient transformers survey", ["cs.lg", "cs.cl"])
    s.work("arxiv:2402.00002#1", "paper:2402.00002", "Efficient transformers survey", ["cs.lg", "cs.cl"])
    resolve(s.con, now=NIGHT1)
    assert s.same("arxiv:2401.00001#1", "arxiv:2402.00002#2")
    assert not s.same("arxiv:2402.00002#1", "arxiv:2402.00002#2")
