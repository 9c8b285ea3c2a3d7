"""Recruiter query ``SELECT * FROM shortlist(role, 50)`` at 1M people vs a plain ``leads`` scan.

The warehouse is built with the real migrations and the real ranking surface
(`enrich.rank.sql_surface`: the `lead_rows` DDL, its (role, rank) storage
order, the `leads` view and the `shortlist` macro); the `lead_rows` content
is synthetic at the requested scale (one row per person per role, as
`rank()` writes: explanation, red flags, up to 10 evidence structs, sources),
because a full nightly at 1M people does not fit this benchmark's budget.

Compared, each on a fresh read-only connection to the published file
(what a recruiter's session opens), median of ``--runs`` runs after one warm-up:

* ours: ``SELECT * FROM shortlist(role, 50)``;
* baseline: ``SELECT * FROM leads WHERE role = ? ORDER BY score DESC LIMIT 50`` on a
  copy of the same rows stored in arrival order (a plain leads table scan
  ordered by score, no precomputed rank order);
* also: the same score-ordered query on our rank-ordered table.

``--nights K`` then publishes K incremental nights the way an incremental
rank does (`update_lead_rows`: 2% of persons re-scored, their rows deleted
and appended, every rank and most `last_seen` values updated in place, so the
table is no longer one sorted run) and times the same queries again.

  python benchmarks/bench_shortlist.py --people 1000000 --runs 25 --nights 7
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load_average, median, print_header, quiet_logging, ratio, write_json  # noqa: E402

import duckdb  # noqa: E402

from enrich.rank.sql_surface import LEAD_ROWS_DDL, create_views, update_lead_rows  # noqa: E402
from warehouse.connection import connect  # noqa: E402
from warehouse.migrate import migrate  # noqa: E402

ROLES = ("ai_product_manager", "ai_ux_designer", "ml_engineer", "mlops_engineer")

SYNTHETIC_ROWS = '''
WITH p AS (
    SELECT i, 'p' || lpad(i::VARCHAR, 7, '0') AS person_id,
           ['Maria', 'Wei', 'José', 'Priya', 'Robert', 'Olu', 'Sofia', 'Tomás'][1 + i % 8] || ' ' ||
           ['Jensen', 'Zhang', 'Álvarez', 'Raman', 'Miller', 'Adeyemi', 'Lindqvist', 'Novak'][1 + (i // 8) % 8] ||
           ' ' || (i % 997)::VARCHAR AS name,
           ['Helio Cloud', 'Northgate University', 'Inferlabs', 'Obs Stack'][1 + i % 4] AS affiliation,
           ['Berlin, Germany', 'Lagos, Nigeria', 'Toronto, Canada', 'Seoul, Korea'][1 + i % 4] AS location
    FROM range(?) t(i)
), r AS (
    SELECT unnest(?::VARCHAR[]) AS role
), s AS (
    SELECT r.role, p.*, hash(p.i, r.role) % 1000000 / 1000000.0 * 3 AS score,
           (1 + hash(r.role, p.i) % 10)::BIGINT AS n_ev
    FROM p, r
)
SELECT role, row_number() OVER (PARTITION BY role ORDER BY score DESC, person_id) AS rank,
       person_id, name, score,
       'Senior engineer at ' || affiliation AS headline,
       'recent_work 0.8 x 1.5; platform_terms 0.6 x 1.2; talks 0.4 x 1.0; ' || n_ev || ' pieces of evidence' AS explanation,
       CASE WHEN i % 17 = 0 THEN ['research_only'] ELSE []::VARCHAR[] END AS red_flags,
       [ 'https://arxiv.org/abs/2510.' || lpad((i * 7 + k)::VARCHAR, 5, '0') FOR k IN range(n_ev)] AS evidence_urls,
       [ {'title': 'Reliable model serving at scale, part ' || k, 'url': 'https://arxiv.org/abs/2510.' ||
          lpad((i * 7 + k)::VARCHAR, 5, '0'), 'kind': 'paper', 'happened_on': DATE '2026-10-01' - (k * 30)::INTEGER}
         FOR k IN range(n_ev)] AS evidence,
       ['arxiv', 'github'] AS sources, TIMESTAMP '2026-10-31' AS first_seen, TIMESTAMP '2026-11-01' AS last_seen,
       location, affiliation
FROM s'''


def build(path: Path, people: int) -> dict:
    """Write the warehouse: lead_rows in (role, rank) order as `materialise_leads`
    does, and `baseline_leads` with the same rows in arrival (person) order."""
    started = time.perf_counter()
    con = connect(path)
    try:
        migrate(con)
        con.execute('DROP TABLE IF EXISTS "lead_rows"')
        con.execute(LEAD_ROWS_DDL)
        con.execute(f'CREATE TEMP TABLE "_syn" AS {SYNTHETIC_ROWS}', [people, list(ROLES)])
        con.execute('INSERT INTO "lead_rows" SELECT * FROM "_syn" ORDER BY "role", "rank"')
        con.execute('CREATE TABLE "baseline_leads" AS SELECT * FROM "_syn" ORDER BY "person_id", "role"')
        create_views(con)
        rows = con.execute('SELECT count(*) FROM "lead_rows"').fetchone()[0]
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {"rows": rows, "build_seconds": time.perf_counter() - started,
            "file_mb": round(path.stat().st_size / 1024 / 1024, 1)}


NIGHT_SQL = {
    # 2% of persons (a different 2% each night) get a new score in every role
    "_bn_dirty": '''SELECT DISTINCT "person_id" FROM "lead_rows" WHERE hash("person_id", ?) % 50 = 0''',
    "_bn_scores": '''
SELECT l."role", l."person_id",
       CASE WHEN d."person_id" IS NULL THEN l."score" ELSE hash(l."person_id", l."role", ?) % 1000000 / 1000000.0 * 3
       END AS "score", d."person_id" IS NOT NULL AS "dirty"
FROM "lead_rows" l LEFT JOIN "_bn_dirty" d USING ("person_id")''',
    # the final ranks and display columns; last_seen moves for 80% of persons
    "_bn_keys": '''
SELECT s."role", s."person_id",
       row_number() OVER (PARTITION BY s."role" ORDER BY s."score" DESC, s."person_id") AS "rank",
       l."name", l."sources", l."first_seen",
       l."last_seen" + CASE WHEN hash(s."person_id", ?) % 5 = 0 THEN INTERVAL 0 DAY ELSE INTERVAL 1 DAY END
           AS "last_seen", l."location", l."affiliation"
FROM "_bn_scores" s JOIN "lead_rows" l USING ("role", "person_id")''',
    "_bn_staged": '''
SELECT l.* REPLACE (s."score" AS "score")
FROM "lead_rows" l JOIN "_bn_scores" s USING ("role", "person_id") WHERE s."dirty"''',
}


def incremental_nights(path: Path, nights: int) -> dict:
    """Publish ``nights`` incremental nights into `lead_rows` with the code an
    incremental rank uses; returns the seconds the publishing took."""
    con = connect(path)
    seconds = []
    try:
        for night in range(1, nights + 1):
            for table, sql in NIGHT_SQL.items():
                con.execute(f'CREATE OR REPLACE TEMP TABLE "{table}" AS {sql}', [night] * sql.count("?"))
            started = time.perf_counter()
            con.execute("BEGIN TRANSACTION")
            update_lead_rows(con, dirty="_bn_dirty", staged="_bn_staged", keys="_bn_keys")
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
            seconds.append(time.perf_counter() - started)
    finally:
        con.close()
    return {"nights": nights, "publish_seconds": seconds}


def timed(path: Path, sql: str, params: list, runs: int) -> dict:
    """First run (cold connection) and the median of ``runs`` more, in ms."""
    con = duckdb.connect(str(path), read_only=True, config={"autoinstall_known_extensions": False})
    try:
        times = []
        for _ in range(runs + 1):
            started = time.perf_counter()
            rows = con.execute(sql, params).fetchall()
            times.append((time.perf_counter() - started) * 1000)
    finally:
        con.close()
    return {"first_ms": times[0], "median_ms": median(times[1:]), "max_ms": max(times[1:]), "rows": len(rows)}


def measure(path: Path, args: argparse.Namespace) -> dict:
    results = {}
    for role in ROLES:
        ours = timed(path, 'SELECT * FROM shortlist(?, ?)', [role, args.n], args.runs)
        base = timed(path, 'SELECT * FROM "baseline_leads" WHERE "role" = ? ORDER BY "score" DESC LIMIT ?',
                     [role, args.n], args.runs)
        by_score = timed(path, 'SELECT * FROM "leads" WHERE "role" = ? ORDER BY "score" DESC LIMIT ?',
                         [role, args.n], args.runs)
        results[role] = {"ours": ours, "baseline_unsorted_scan": base, "leads_by_score": by_score,
                         "faster_x": ratio(base["median_ms"], ours["median_ms"])}
        print(f"   {role:20s} shortlist median {ours['median_ms']:6.1f} ms (first {ours['first_ms']:.0f}) | "
              f"baseline scan by score {base['median_ms']:6.1f} ms | leads by score {by_score['median_ms']:6.1f} ms"
              f" | {results[role]['faster_x']:.1f}x | load {load_average()}")
    overall = median([r["ours"]["median_ms"] for r in results.values()])
    print(f"   median over roles: shortlist {overall:.1f} ms vs baseline "
          f"{median([r['baseline_unsorted_scan']['median_ms'] for r in results.values()]):.1f} ms")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--nights", type=int, default=0,
                        help="then publish this many incremental nights and time again")
    parser.add_argument("--db", help="keep the built warehouse here (default: a temp dir)")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    quiet_logging()
    info = print_header(f"shortlist(role, {args.n}) at {args.people} people", argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "shortlist.duckdb"
        built = build(path, args.people)
        print(f"   built {built['rows']} lead rows in {built['build_seconds']:.0f} s ({built['file_mb']} MB)")
        results = measure(path, args)
        if args.nights:
            nights = incremental_nights(path, args.nights)
            print(f"   {args.nights} incremental nights published in "
                  + ", ".join(f"{t:.1f}" for t in nights["publish_seconds"]) + " s")
            results = {"sorted": results, "after_nights": measure(path, args), **nights}
    write_json(args.json, {"machine": info, "people": args.people, "runs": args.runs, "build": built,
                           "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
