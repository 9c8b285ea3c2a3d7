"""Identity resolution at scale: ours (`enrich.identity.resolve`) vs a plain Splink pipeline.

Data: a generated sample world (cross-source overlaps, name variants,
namesakes, ground truth) is written straight into tables shaped like the
warehouse surface (`identities`, `identity_links`, `evidence`, as the views
present them; same identity ids and link kinds as the loaders write) in a
DuckDB file, skipping HTTP and parsing.  ``--identities N`` picks the world
size that yields about N night-1 source identities.

Each contender runs in its own spawned process on its own copy of the file:
wall time and peak RSS (``ru_maxrss``) are that process's alone.  Pairwise
and B-cubed F1 against the world's truth are computed afterwards.

* ours: ``resolve(con, scorer="rules")`` (the nightly default);
* baseline: plain Splink 5 with its defaults: one flat row per identity
  (first name, surname, affiliation, location, GitHub login, email,
  homepage from its links), `NameComparison` on first name and surname,
  exact matches on the rest, blocking on first name + surname and on each
  identifier, u by random sampling, m by EM, predict, cluster at 0.95.

  python benchmarks/bench_identity.py --identities 100000 200000 [1000000] [--skip-baseline-above N]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    cpu_seconds, load_average, peak_rss_mb, print_header, quiet_logging, ratio, run_isolated, write_json,
)

import duckdb  # noqa: E402

IDENTITIES_PER_PERSON = 2.9  # night-1 source identities per generated person (measured at 10k-100k)
LOADED = datetime(2026, 10, 31, 2, 0)


# --- data ------------------------------------------------------------------------------
def surface_rows(world) -> tuple[list, list, list, dict[str, str]]:
    """(identities, identity_links, evidence, truth) rows of the night-1 world."""
    from sampleworld.truth import visible_speaker_keys
    from sources.links import Link, classify_url, github_login_from_url, github_urls_in_text

    ids, links, ev, truth = [], [], [], {}

    def identity(iid, source, kind, key, name, affil, headline, bio, location, url, person, internal=False):
        ids.append((iid, iid, source, kind, key, name, affil, headline, bio, location, url, LOADED, LOADED, internal))
        truth[iid] = person

    def link(iid, found: Link | None):
        if found is not None and found.value:
            links.append((iid, found.kind, found.value, found.url))

    for paper in (p for p in world.papers if p.night == 1):
        url, day = f"https://arxiv.org/abs/{paper.paper_id}", date.fromisoformat(paper.published[:10])
        code_logins = {github_login_from_url(u) for u in github_urls_in_text(paper.comment)} - {None}
        for pos, author in enumerate(paper.authors, 1):
            iid = f"arxiv:{paper.paper_id}#{pos}"
            identity(iid, "arxiv", "arxiv", f"{paper.paper_id}#{pos}", author.name, author.affiliation,
                     None, None, None, url, author.person_id)
            ev.append((f"{iid}|paper:{paper.paper_id}", iid, iid, "arxiv", "paper", paper.title, url, day,
                       " ".join(x for x in (paper.abstract, paper.comment) if x), list(paper.categories), None,
                       paper.journal_ref or paper.primary_category))
            for login in code_logins:
                links.append((iid, "paper_code_github", login.lower(), f"https://github.com/{login}"))
    _github_rows(world, identity, link, ev, classify_url, Link)
    for conf in world.conferences:
        visible, talks = visible_speaker_keys(conf, 1), [t for t in conf.talks if t.night == 1]
        by_speaker: dict[str, list] = {}
        for talk in talks:
            for key in talk.speaker_keys:
                by_speaker.setdefault(key, []).append(talk)
        for s in (s for s in conf.speakers if s.night == 1 and s.key in visible):
            iid = f"{conf.source}:{s.key}"
            identity(iid, conf.source, "conference", s.key, s.name, s.affiliation, s.tagline, s.bio, None, None,
                     s.person_id)
            for sl in s.links:
                link(iid, classify_url(sl.url, sl.link_type.lower() if sl.link_type else None))
            for t in by_speaker.get(s.key, []):
                ev.append((f"{iid}|talk:{conf.source}:{t.key}", iid, iid, conf.source, "talk", t.title, None,
                           date.fromisoformat(t.starts_at[:10]), t.abstract, [t.track] if t.track else [], None,
                           conf.title))
    for p in (p for p in world.internal if p.night == 1):
        iid = f"internal:{p.email.lower()}"
        identity(iid, "internal", "internal", p.email.lower(), p.name, p.team, p.team, None, None, None,
                 p.person_id, True)
        links.append((iid, "email", p.email.lower(), f"mailto:{p.email.lower()}"))
        if p.github_login:
            links.append((iid, "github", p.github_login.lower(), f"https://github.com/{p.github_login}"))
    return ids, links, ev, truth


def _github_rows(world, identity, link, ev, classify_url, Link) -> None:
    users = {u.login.lower(): u for u in world.users if u.night == 1}
    for u in users.values():
        iid = f"github:{u.login.lower()}"
        identity(iid, "github", "github", u.login.lower(), u.name or u.login, u.company, u.bio, u.bio, u.location,
                 f"https://github.com/{u.login}", u.person_id)
        link(iid, Link("github", f"https://github.com/{u.login}", u.login.lower()))
        if u.blog:
            link(iid, classify_url(u.blog, "blog"))
        if u.twitter_username:
            link(iid, Link("x", f"https://x.com/{u.twitter_username}", u.twitter_username.lower()))
        if u.email:
            link(iid, Link("email", f"mailto:{u.email}", u.email.lower()))
        ev.append((f"{iid}|profile:github:{u.login.lower()}", iid, iid, "github", "profile",
                   f"GitHub profile {u.login}", f"https://github.com/{u.login}", None,
                   " ".join(x for x in (u.bio, u.company) if x), [], u.followers, None))
    for repo in (r for r in world.repos if r.night == 1):
        tags = list(repo.topics) + list(repo.languages)
        for c in (c for c in repo.contributors if c.night == 1 and c.login.lower() in users):
            iid = f"github:{c.login.lower()}"
            ev.append((f"{iid}|contribution:{repo.full_name.lower()}", iid, iid, "github", "contribution",
                       repo.full_name, f"https://github.com/{repo.full_name}/commits?author={c.login}",
                       date.fromisoformat(repo.pushed_at[:10]), repo.description, tags, c.contributions,
                       repo.full_name))


def build_db(path: Path, target_identities: int, seed: int = 7) -> dict:
    """Generate the world, write the surface tables and a ``truth`` table."""
    from identity_quality import SURFACE_DDL, _insert_rows
    from sampleworld.generate import generate_world

    started = time.perf_counter()
    world = generate_world(max(30, int(target_identities / IDENTITIES_PER_PERSON)), seed=seed)
    ids, links, ev, truth = surface_rows(world)
    del world
    con = duckdb.connect(str(path), config={"autoinstall_known_extensions": False})
    try:
        for ddl in SURFACE_DDL:
            con.execute(ddl)
        for table, rows in (("identities", ids), ("identity_links", links), ("evidence", ev)):
            _insert_rows(con, table, rows)
        con.execute('CREATE TABLE "truth" ("identity_id" VARCHAR, "true_person_id" VARCHAR)')
        _insert_rows(con, "truth", list(truth.items()))
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {"identities": len(ids), "links": len(links), "evidence": len(ev),
            "true_persons": len(set(truth.values())), "build_seconds": round(time.perf_counter() - started, 1)}


# --- contenders (run in spawned processes) -------------------------------------------
def run_ours(path: str, scorer: str = "rules") -> dict:
    from enrich.identity import resolve
    from flows.config import DEFAULT_MEMORY_LIMIT
    from warehouse.connection import connect

    con = connect(path, memory_limit=DEFAULT_MEMORY_LIMIT)  # as the night opens its warehouse
    try:
        started, cpu = time.perf_counter(), cpu_seconds()
        stats = resolve(con, now=LOADED, scorer=scorer)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        con.execute('CREATE OR REPLACE TABLE "predicted" AS SELECT "identity_id", "person_id" FROM "identity_person"')
    finally:
        con.close()
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": peak_rss_mb(), "persons": stats.persons,
            "candidate_pairs": stats.candidate_pairs}


SPLINK_INPUT = '''
CREATE OR REPLACE TABLE "splink_input" AS
WITH t AS (
    SELECT i."identity_id", string_split(trim(lower(i."name")), ' ') AS parts,
           lower(i."affiliation") AS "affiliation", lower(i."location") AS "location"
    FROM "identities" i
), l AS (
    SELECT "identity_id",
           min("value") FILTER (WHERE "kind" = 'github') AS "github",
           min("value") FILTER (WHERE "kind" = 'email') AS "email",
           min("value") FILTER (WHERE "kind" = 'homepage') AS "homepage"
    FROM "identity_links" GROUP BY 1
)
SELECT t."identity_id", nullif(t.parts[1], '') AS "first_name",
       CASE WHEN len(t.parts) > 1 THEN t.parts[-1] END AS "surname",
       t."affiliation", t."location", l."github", l."email", l."homepage"
FROM t LEFT JOIN l USING ("identity_id")'''


def run_splink_baseline(path: str) -> dict:
    """Plain Splink 5 with its defaults (see module docstring)."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    con = duckdb.connect(path, config={"autoinstall_known_extensions": False})
    try:
        started, cpu = time.perf_counter(), cpu_seconds()
        con.execute(SPLINK_INPUT)
        settings = SettingsCreator(
            link_type="dedupe_only", unique_id_column_name="identity_id",
            comparisons=[cl.NameComparison("first_name"), cl.NameComparison("surname"),
                         cl.ExactMatch("affiliation"), cl.ExactMatch("location"), cl.ExactMatch("github"),
                         cl.ExactMatch("email"), cl.ExactMatch("homepage")],
            blocking_rules_to_generate_predictions=[block_on("first_name", "surname"), block_on("github"),
                                                    block_on("email"), block_on("homepage")])
        db_api = DuckDBAPI(connection=con)
        linker = Linker(db_api.register("splink_input"), settings, db_api=db_api) \
            if _linker_takes_db_api() else Linker(db_api.register("splink_input"), settings)
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("github"))
        pairs = linker.inference.predict(threshold_match_probability=0.5)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, 0.95)
        cursor = con.cursor()  # Splink leaves a result open on ``con`` (DuckDB 2.0 refuses a new query there)
        cursor.execute(f'CREATE OR REPLACE TABLE "predicted" AS SELECT "identity_id", "cluster_id" AS "person_id" '
                       f'FROM {clusters.physical_name}').fetchall()
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        # the same predictions clustered at 0.5 too (not timed): the baseline is scored at its better threshold
        loose = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, 0.5)
        cursor.execute(f'CREATE OR REPLACE TABLE "predicted_050" AS SELECT "identity_id", "cluster_id" AS '
                       f'"person_id" FROM {loose.physical_name}').fetchall()
        cursor.close()
    finally:
        con.close()
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": peak_rss_mb()}


def _linker_takes_db_api() -> bool:
    import inspect

    from splink import Linker
    return "db_api" in inspect.signature(Linker.__init__).parameters


# --- scoring ---------------------------------------------------------------------------
def score(path: Path) -> dict:
    """Pairwise/B-cubed scores of ``predicted``; where ``predicted_050`` exists too
    (the baseline clustered at 0.5), the better of the two by pairwise F1."""
    from identity_quality import score_clusters

    con = duckdb.connect(str(path), read_only=True)
    try:
        truth = dict(con.execute('SELECT * FROM "truth"').fetchall())
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'predicted%'")
                  .fetchall()]
        scored = {}
        for table in sorted(tables):
            predicted = dict(con.execute(f'SELECT "identity_id", "person_id"::VARCHAR FROM "{table}"').fetchall())
            scored[table] = {k: (round(v, 4) if isinstance(v, float) else v)
                             for k, v in score_clusters(predicted, truth).items()}
    finally:
        con.close()
    best = max(scored, key=lambda t: scored[t]["pairwise_f1"])
    others = {f"{t}_pairwise_f1": r["pairwise_f1"] for t, r in scored.items()}
    return {**scored[best], "scored_table": best, **others}


def contend(fn, source: Path, tmp: Path, label: str, timeout: float) -> dict:
    copy = tmp / f"{label}.duckdb"
    shutil.copyfile(source, copy)
    load = load_average()
    try:
        result = run_isolated(fn, str(copy), timeout=timeout)
    except Exception as exc:  # a contender that fails or times out is reported, not fatal
        return {"error": f"{type(exc).__name__}: {exc}"[:300], "load": load}
    result.update(score(copy), load=load)
    copy.unlink()
    return result


def bench(target: int, tmp: Path, baseline: bool, timeout: float) -> dict:
    source = tmp / f"surface_{target}.duckdb"
    data = build_db(source, target)
    print(f"-- ~{target}: {data['identities']} identities, {data['links']} links, {data['evidence']} evidence rows, "
          f"{data['true_persons']} true persons (built in {data['build_seconds']} s)", flush=True)
    out = {"data": data, "ours": contend(run_ours, source, tmp, "ours", timeout)}
    _print("ours (rules)", out["ours"])
    if baseline:
        out["baseline"] = contend(run_splink_baseline, source, tmp, "splink", timeout)
        _print("plain Splink", out["baseline"])
        if "seconds" in out["baseline"] and "seconds" in out["ours"]:
            out["faster_x"] = ratio(out["baseline"]["seconds"], out["ours"]["seconds"])
            print(f"   ours {out['faster_x']:.1f}x faster; F1 {out['ours']['pairwise_f1']:.3f} vs "
                  f"{out['baseline']['pairwise_f1']:.3f}")
    source.unlink()
    return out


def _print(label: str, r: dict) -> None:
    if "error" in r:
        print(f"   {label:14s} FAILED: {r['error']} (load {r['load']})", flush=True)
        return
    print(f"   {label:14s} wall {r['seconds']:7.1f} s (CPU {r.get('cpu_seconds', 0):.1f} s) | peak RSS {r['peak_rss_mb'] / 1024:5.2f} GB | pairwise "
          f"P {r['pairwise_precision']:.3f} R {r['pairwise_recall']:.3f} F1 {r['pairwise_f1']:.3f} | B3 F1 "
          f"{r['bcubed_f1']:.3f} ({r['scored_table']}) | load {r['load']}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--identities", type=int, nargs="+", default=[100_000])
    parser.add_argument("--skip-baseline-above", type=int, default=10**9,
                        help="do not run the Splink baseline above this many identities")
    parser.add_argument("--timeout", type=float, default=3600.0, help="per contender, seconds")
    parser.add_argument("--tmp", help="directory for the DuckDB files (default: a temp dir)")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    quiet_logging()
    info = print_header("identity resolution: ours vs plain Splink", argv)
    results = []
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for target in args.identities:
            results.append(bench(target, Path(tmp), target <= args.skip_baseline_above, args.timeout))
            write_json(args.json, {"machine": info, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
