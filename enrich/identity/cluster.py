"""Connected components over accepted pairs, with guards against chaining.

Why a guard: A~B and B~C can each look right while A and C are two people
(two GitHub accounts, two ORCIDs, or two co-authors of the same paper).
Pairs are merged strongest first; a merge that would put two exclusive
identifiers, or two people of the same work, into one cluster is refused.
The union-find runs over accepted pairs only (a small fraction of
identities), so a Python loop is cheap; candidate generation and scoring
stay in SQL.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from enrich.identity.steps import run


_NONE: frozenset = frozenset()


@dataclass(slots=True)
class _Cluster:
    """A root's exclusive keys. Slotted, with one shared empty set: at a
    million identities most clusters carry no key, and three empty sets
    each would cost more memory than the identifiers themselves."""

    logins: frozenset[str] = _NONE
    orcids: frozenset[str] = _NONE
    works: frozenset[int] = _NONE   # numbered shared works (source, work key)
    members: list[str] = field(default_factory=list)


class GuardedUnionFind:
    """Union-find whose roots carry the cluster's exclusive keys.

    ``exclusive`` holds each identity's keys as loaded (logins, orcids,
    works); a `_Cluster` is built only when a union first reaches the
    identity: at a million identities most candidates never merge, and an
    object per candidate was most of the loading time."""

    def __init__(self, exclusive: dict[str, tuple]):   # see load_exclusive_keys
        self.parent: dict[str, str] = {}
        self.keys = exclusive
        self.data: dict[str, _Cluster] = {}   # root -> cluster, for identities a union has reached

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def _cluster(self, root: str) -> _Cluster:
        cluster = self.data.get(root)
        if cluster is None:
            _, logins, orcids, works = self.keys.pop(root, (root, None, None, None))
            cluster = self.data[root] = _Cluster(_keys(logins), _keys(orcids), _keys(works), [root])
        return cluster

    def conflict(self, ra: str, rb: str) -> str | None:
        """Why clusters ra and rb must not merge, or None."""
        a, b = self._cluster(ra), self._cluster(rb)
        if a.logins and b.logins and a.logins != b.logins:
            return "different GitHub logins"
        if a.orcids and b.orcids and a.orcids != b.orcids:
            return "different ORCIDs"
        if a.works & b.works:
            return "co-authors/co-speakers of the same work"
        return None

    def union(self, x: str, y: str) -> bool:
        """Merge unless a guard forbids it; True when merged or already one."""
        ra, rb = self.find(x), self.find(y)
        if ra == rb:
            return True
        if self.conflict(ra, rb):
            return False
        a, b = self._cluster(ra), self._cluster(rb)
        if len(a.members) < len(b.members):
            ra, rb, a, b = rb, ra, b, a
        self.parent[rb] = ra
        if b.logins:
            a.logins = a.logins | b.logins
        if b.orcids:
            a.orcids = a.orcids | b.orcids
        if b.works:
            a.works = a.works | b.works
        a.members.extend(b.members)
        del self.data[rb]
        return True


def load_exclusive_keys(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """Exclusive keys of identities that can be merged: those in accepted
    pairs or in name-block candidates (the cluster rounds draw from these).

    One row per identity with its keys as lists, works numbered: at a
    million identities nearly every arXiv authorship has co-authors, and a
    row (and a string) per authorship was most of this step's time."""
    rows = con.execute('''
WITH ids AS (SELECT "identity_a" AS "identity_id" FROM "_ir_accepted"
             UNION SELECT "identity_b" FROM "_ir_accepted" UNION SELECT "identity_id" FROM "_ir_seed"
             UNION SELECT "identity_a" FROM "_ir_cand" UNION SELECT "identity_b" FROM "_ir_cand"),
l AS (
    SELECT "identity_id", list(DISTINCT "login") AS "logins" FROM (
        SELECT ids."identity_id", lower(n."source_key") AS "login" FROM ids JOIN "_ir_names" n USING ("identity_id")
        WHERE n."source_kind" = 'github'
        UNION ALL
        SELECT ids."identity_id", s."value" FROM ids JOIN "_ir_strong" s USING ("identity_id")
        JOIN "_ir_names" n USING ("identity_id")
        WHERE s."kind" = 'github' AND n."source_kind" = 'internal')
    GROUP BY 1
), o AS (
    SELECT ids."identity_id", list(DISTINCT s."value") AS "orcids"
    FROM ids JOIN "_ir_strong" s USING ("identity_id") WHERE s."kind" = 'orcid' GROUP BY 1
), shared AS (
    SELECT "source", "work_key", row_number() OVER () AS "work_no"
    FROM (SELECT DISTINCT "source", "work_key" FROM "_ir_works" WHERE "n_people" > 1)
), w AS (
    SELECT ids."identity_id", list(DISTINCT s."work_no") AS "works"
    FROM ids JOIN "_ir_works" wk USING ("identity_id") JOIN shared s USING ("source", "work_key")
    GROUP BY 1
)
SELECT "identity_id", l."logins", o."orcids", w."works"
FROM l FULL JOIN o USING ("identity_id") FULL JOIN w USING ("identity_id")''').fetchall()
    return {row[0]: row for row in rows}   # identity_id -> (identity_id, logins, orcids, works)


def _keys(values: list | None) -> frozenset:
    return frozenset(values) if values else _NONE


def combine_pairs(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """One row per pair: best confidence, every reason, method of the best."""
    union = " UNION ALL ".join(
        f'SELECT "identity_a", "identity_b", "confidence", "reason", "method" FROM "{t}"' for t in tables)
    run(con, f'''
CREATE OR REPLACE TEMP TABLE "_ir_accepted" AS
SELECT "identity_a", "identity_b", max("confidence") AS "confidence",
       string_agg("reason", ' | ' ORDER BY "confidence" DESC, "method") AS "reason",
       arg_max("method", "confidence") AS "method"
FROM ({union}) GROUP BY "identity_a", "identity_b"''')


def cluster(con: duckdb.DuckDBPyConnection) -> tuple[GuardedUnionFind, list[tuple], int]:
    """Union the accepted pairs strongest first; return (union-find, pairs, refused).

    On an incremental night the persons nothing changed in start as they
    are (`_ir_seed`, incremental.py): they passed the guards when they were
    formed, and any subset of a guard-free group is guard-free."""
    pairs = con.execute('''SELECT "identity_a", "identity_b", "confidence", "reason", "method"
                           FROM "_ir_accepted"
                           ORDER BY "confidence" DESC, "identity_a", "identity_b"''').fetchall()
    uf = GuardedUnionFind(load_exclusive_keys(con))
    seed_groups(con, uf)
    refused = sum(0 if uf.union(a, b) else 1 for a, b, *_ in pairs)
    return uf, pairs, refused


def seed_groups(con: duckdb.DuckDBPyConnection, uf: GuardedUnionFind) -> None:
    """Union the members of each seeded person (none on a full night)."""
    previous: tuple[str, str] | None = None
    for identity_id, person_id in con.execute(
            'SELECT "identity_id", "person_id" FROM "_ir_seed" ORDER BY "person_id", "identity_id"').fetchall():
        if previous and previous[1] == person_id:
            uf.union(previous[0], identity_id)
        previous = (identity_id, person_id)


def finish(uf: GuardedUnionFind, pairs: list[tuple]) -> tuple[dict[str, str], list[tuple]]:
    """(identity -> root, the pairs that lie inside a final cluster)."""
    roots = {x: uf.find(x) for x in list(uf.parent)}
    kept = [p for p in pairs if roots.get(p[0], p[0]) == roots.get(p[1], p[1])]
    return roots, kept
