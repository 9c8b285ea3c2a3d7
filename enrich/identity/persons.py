"""Stable person ids and the writes to identity_pairs / identity_person /
person_aliases.

Why stable: recruiters bookmark and annotate people; a person must keep
their id when a new record joins them on a later night. A cluster takes the
oldest person id its members already had (oldest first decision, then
lexicographic); a brand-new cluster gets ``p_`` + 12 hex of sha1 of its
smallest identity_id, so the same data always gives the same ids. When two
existing persons merge, the younger id is recorded in person_aliases.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from enrich.identity.steps import run
from warehouse import quote_ident


@dataclass
class Assignment:
    # identity_id, person_id, confidence, linked_to, reason: the reason of the best pair linking the identity
    # (to linked_to), None when none did; the text is composed in SQL (write_persons), a million Python
    # strings fewer
    rows: list[tuple[str, str, float, str | None, str | None]]
    aliases: list[tuple[str, str]]             # old_person_id, person_id
    new_persons: int


def new_person_id(smallest_identity_id: str) -> str:
    return "p_" + hashlib.sha1(smallest_identity_id.encode("utf-8")).hexdigest()[:12]


def ensure_aliases_table(con: duckdb.DuckDBPyConnection) -> None:
    """person_aliases belongs to the warehouse migrations; created here only
    when missing (e.g. on a bare test connection)."""
    run(con, '''CREATE TABLE IF NOT EXISTS "person_aliases" (
        "old_person_id" VARCHAR PRIMARY KEY, "person_id" VARCHAR NOT NULL, "merged_at" TIMESTAMP)''')


def existing_persons(con: duckdb.DuckDBPyConnection, scope: str | None = None
                     ) -> tuple[dict[str, str], dict[str, tuple]]:
    """identity -> current person id, and person id -> (first decided_at, id) for age order.

    ``scope`` (a table of ``identity_id``s) keeps the persons those identities
    belong to, all their members included: an incremental night re-decides a
    few thousand identities, and reading all of `identity_person` into Python
    cost 0.9 s at 100k people."""
    where = "" if scope is None else (
        ' WHERE "person_id" IN (SELECT "person_id" FROM "identity_person" '
        f'WHERE "identity_id" IN (SELECT "identity_id" FROM {quote_ident(scope)}))')
    rows = con.execute(f'SELECT "identity_id", "person_id", "decided_at" FROM "identity_person"{where}').fetchall()
    current = {i: p for i, p, _ in rows}
    age: dict[str, tuple] = {}
    for _, p, decided in rows:
        key = (decided or datetime.max, p)
        if p not in age or key < age[p]:
            age[p] = key
    return current, age


def _groups(identity_ids: list[str], roots: dict[str, str]) -> list[list[str]]:
    by_root: dict[str, list[str]] = {}
    for identity_id in identity_ids:
        by_root.setdefault(roots.get(identity_id, identity_id), []).append(identity_id)
    groups = [sorted(m) for m in by_root.values()]
    groups.sort(key=lambda m: (-len(m), m[0]))   # deterministic claim order
    return groups


def person_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every person id in use: a fresh id must not collide with one."""
    return {r[0] for r in con.execute('SELECT DISTINCT "person_id" FROM "identity_person"').fetchall()}


def assign(identity_ids: list[str], roots: dict[str, str], kept: list[tuple],
           current: dict[str, str], age: dict[str, tuple], taken: set[str] | None = None) -> Assignment:
    """Person id per identity, aliases for absorbed ids, per-identity reason.
    ``taken``: person ids a fresh one must not equal (default: those in ``current``)."""
    best: dict[str, tuple[float, str, str]] = {}
    for a, b, conf, reason, _ in kept:
        for me, other in ((a, b), (b, a)):
            if me not in best or conf > best[me][0]:
                best[me] = (conf, other, reason)
    claimed: set[str] = set()
    taken = set(current.values()) if taken is None else set(taken)  # ids a fresh id must not collide with
    rows, alias_candidates, new = [], [], 0
    for members in _groups(identity_ids, roots):
        olds = sorted({current[m] for m in members if m in current}, key=lambda p: age.get(p, (datetime.max, p)))
        free = [p for p in olds if p not in claimed]
        if free:
            pid = free[0]
        else:
            pid, new = _fresh_id(members[0], taken), new + 1
        claimed.add(pid)
        taken.add(pid)
        alias_candidates += [(old, pid) for old in free[1:]]
        for m in members:
            conf, other, reason = best.get(m, _UNMATCHED)
            rows.append((m, pid, conf, other, reason))
    aliases = [(old, pid) for old, pid in alias_candidates if old not in claimed]
    return Assignment(rows, aliases, new)


_UNMATCHED = (1.0, None, None)


def only_decided(result: Assignment, fresh: set[str], kept: list[tuple], current: dict[str, str]) -> Assignment:
    """Incremental night: the rows tonight decided -- fresh identities, those
    in a pair kept tonight, those whose person changed. A seeded identity
    whose person stands keeps its row (and the reason it was linked for)."""
    linked = {a for a, *_ in kept} | {b for _, b, *_ in kept}
    rows = [r for r in result.rows if r[0] in fresh or r[0] in linked or current.get(r[0]) != r[1]]
    return Assignment(rows, result.aliases, result.new_persons)


def _fresh_id(smallest: str, taken: set[str]) -> str:
    pid, n = new_person_id(smallest), 1
    while pid in taken:
        pid, n = new_person_id(f"{smallest}#{n}"), n + 1
    return pid


def write_pairs(con: duckdb.DuckDBPyConnection, kept: list[tuple], scope: list[str] | None = None) -> None:
    """Rewrite identity_pairs with the pairs that define the clusters: all of
    them, or (incremental night) those touching the re-decided ``scope``."""
    if scope is None:
        run(con, 'DELETE FROM "identity_pairs"')
    else:
        con.register("_ir_scope_arrow", pa.table({"identity_id": pa.array(scope, pa.string())}))
        run(con, '''DELETE FROM "identity_pairs"
                    WHERE "identity_a" IN (SELECT "identity_id" FROM "_ir_scope_arrow")
                       OR "identity_b" IN (SELECT "identity_id" FROM "_ir_scope_arrow")''')
        con.unregister("_ir_scope_arrow")
    if kept:
        table = pa.table({k: [p[i] for p in kept] for i, k in enumerate(
            ["identity_a", "identity_b", "confidence", "reason", "method"])})
        con.register("_ir_kept_arrow", table)
        run(con, 'INSERT INTO "identity_pairs" ("identity_a", "identity_b", "confidence", "reason", "method") '
                 'SELECT "identity_a", "identity_b", "confidence", "reason", "method" FROM "_ir_kept_arrow"')
        con.unregister("_ir_kept_arrow")


def write_persons(con: duckdb.DuckDBPyConnection, result: Assignment, now: datetime) -> None:
    """Upsert identity_person; decided_at moves only when the person changes."""
    columns = list(zip(*result.rows)) or [()] * 5
    table = pa.table({
        "identity_id": pa.array(columns[0], pa.string()), "person_id": pa.array(columns[1], pa.string()),
        "confidence": pa.array([float(c) for c in columns[2]], pa.float64()),
        "linked_to": pa.array(columns[3], pa.string()), "reason": pa.array(columns[4], pa.string())})
    con.register("_ir_assign_arrow", table)
    run(con, '''
INSERT INTO "identity_person" ("identity_id", "person_id", "confidence", "reason", "decided_at")
SELECT "identity_id", "person_id", "confidence",
       CASE WHEN "linked_to" IS NULL THEN 'no other record matched'
            ELSE 'linked to ' || "linked_to" || ': ' || "reason" END,
       ?::TIMESTAMP
FROM "_ir_assign_arrow"
ON CONFLICT ("identity_id") DO UPDATE SET
    "decided_at" = CASE WHEN "identity_person"."person_id" = excluded."person_id"
                        THEN "identity_person"."decided_at" ELSE excluded."decided_at" END,
    "person_id" = excluded."person_id",
    "confidence" = excluded."confidence",
    "reason" = excluded."reason"''', [now])
    con.unregister("_ir_assign_arrow")


def write_aliases(con: duckdb.DuckDBPyConnection, aliases: list[tuple[str, str]], now: datetime) -> None:
    """Record absorbed person ids; earlier aliases pointing at them follow."""
    for old, pid in aliases:
        run(con, 'UPDATE "person_aliases" SET "person_id" = ? WHERE "person_id" = ?', [pid, old])
        run(con, '''INSERT INTO "person_aliases" ("old_person_id", "person_id", "merged_at") VALUES (?, ?, ?)
                    ON CONFLICT ("old_person_id") DO UPDATE SET "person_id" = excluded."person_id",
                    "merged_at" = excluded."merged_at"''', [old, pid, now])
