"""The warehouse loader's cost per page, and a GitHub-shaped crawl loaded page by page vs coalesced.

Why: the nightly GitHub crawl yields one small page per repository (a repo
and a handful of contributors), and each ``load_page`` pays a fixed cost
(a transaction, one upsert per raw table).  Two measurements, side by side
against the previous behaviour, in one file warehouse prefilled with
``--prefill`` GitHub profiles so the indexes have a realistic size:

1. median seconds per page of 5 / 50 / 500 / 5,000 records, for pages of
   new keys (night 1) and the same page again (matched keys, night 2):
   ours = ``warehouse.load_page`` (Python-side dedupe + ``MERGE INTO``);
   baseline = the loader before this change (``INSERT .. SELECT .. QUALIFY
   row_number() .. ON CONFLICT DO UPDATE``), reproduced below.
2. a crawl of ``--crawl-pages`` pages of ~10 records: baseline = one
   ``load_page`` per page with the previous loader (what the flow did);
   ours = ``flows.nightly.PageBatcher`` coalescing up to 5,000 records per
   load with today's loader.  Rows are compared after both.

  python benchmarks/bench_load.py --json /tmp/bench/load.json
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, print_header, quiet_logging, write_json  # noqa: E402

import pyarrow as pa  # noqa: E402

from flows.nightly import PageBatcher  # noqa: E402
from sources.records import GithubContribution, GithubRepo, GithubUser  # noqa: E402
from warehouse import connect, load_page, migrate  # noqa: E402
from warehouse import load as wl  # noqa: E402
from warehouse.connection import quote_ident  # noqa: E402

NOW = datetime(2026, 12, 1, 3, 0)
RAW = ("raw_github_repos", "raw_github_contributions", "raw_github_users")


# --- the previous loader (as of commit d40e34e), for the side-by-side baseline -------------
def legacy_upsert_sql(spec: wl.TableSpec, batch: str) -> str:
    cols = [quote_ident(c) for c, _ in spec.columns]
    keys = [quote_ident(k) for k in spec.key]
    updates = [f"{c} = excluded.{c}" for c in cols if c not in keys] + ['"last_seen" = excluded."last_seen"']
    return (
        f"INSERT INTO {quote_ident(spec.name)} ({', '.join(cols)}, \"first_seen\", \"last_seen\") "
        f"SELECT {', '.join(cols)}, $now, $now FROM {quote_ident(batch)} "
        f"QUALIFY row_number() OVER (PARTITION BY {', '.join(keys)} ORDER BY \"_ord\" DESC) = 1 "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(updates)}"
    )


def legacy_load_page(con, records, now=NOW) -> None:
    grouped = wl.rows_by_table(records)
    con.execute("BEGIN TRANSACTION")
    try:
        for spec, rows in grouped.items():
            table = pa.Table.from_pylist(rows, schema=spec.schema)
            table = table.append_column("_ord", pa.array(range(len(rows)), pa.int64()))
            con.register("_batch", table)
            try:
                con.execute(legacy_upsert_sql(spec, "_batch"), {"now": now})
            finally:
                con.unregister("_batch")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def ours_load_page(con, records, now=NOW) -> None:
    load_page(con, records, now=now)


LOADERS = {"baseline": legacy_load_page, "ours": ours_load_page}


# --- data ----------------------------------------------------------------------------------
def crawl_page(tag: str, size: int) -> list:
    """A repository, its contributors and their profiles: ``size`` records in all."""
    repo = f"org-{tag}/repo"
    records: list = [GithubRepo(repo, f"https://github.com/{repo}", "LLM serving toolkit", ("mlops", "llm"),
                                (("Python", 12_000), ("Go", 300)), stars=42, forks=3,
                                pushed_at=datetime(2026, 11, 1, tzinfo=timezone.utc))]
    for j in range((size - 1) // 2 + (size - 1) % 2):
        login = f"u-{tag}-{j}"
        records.append(GithubContribution(repo, login, j + 1))
        if len(records) < size:
            records.append(GithubUser(login, f"https://github.com/{login}", name=f"Person {tag} {j}",
                                      company="Acme AI", blog=f"https://{login}.dev", location="Berlin",
                                      bio="ML engineer working on model serving and evaluation."))
    return records


def prefilled(folder: Path, people: int) -> Path:
    path = folder / "template.duckdb"
    con = connect(path)
    migrate(con)
    for start in range(0, people, 5_000):
        load_page(con, crawl_page(f"pre{start}", min(5_000, people - start) * 2 + 1))
    con.execute("CHECKPOINT")
    con.close()
    return path


def fresh_copy(template: Path, name: str) -> Path:
    path = template.with_name(name)
    shutil.copyfile(template, path)
    return path


# --- 1. per page -----------------------------------------------------------------------------
def per_page(template: Path, sizes: list[int], repeats: int) -> dict:
    """Median seconds per page, new keys then the same page again; loaders interleaved."""
    cons = {name: connect(fresh_copy(template, f"{name}.duckdb")) for name in LOADERS}
    out: dict = {}
    for size in sizes:
        times = {(name, kind): [] for name in LOADERS for kind in ("new", "matched")}
        for r in range(repeats):
            page = crawl_page(f"s{size}r{r}", size)
            for name, loader in LOADERS.items():
                for kind in ("new", "matched"):
                    t0 = time.perf_counter()
                    loader(cons[name], page)
                    times[(name, kind)].append(time.perf_counter() - t0)
        out[size] = {f"{n}_{k}": median(v) for (n, k), v in times.items()}
    for con in cons.values():
        con.close()
    return out


# --- 2. a crawl ------------------------------------------------------------------------------
def crawl(template: Path, pages: int, page_size: int, batch_records: int) -> dict:
    data = [crawl_page(f"c{i}", page_size) for i in range(pages)]
    base = connect(fresh_copy(template, "crawl_baseline.duckdb"))
    t0 = time.perf_counter()
    for page in data:
        legacy_load_page(base, page)
    baseline_s = time.perf_counter() - t0
    ours = connect(fresh_copy(template, "crawl_ours.duckdb"))
    loads = []

    def load(records: list) -> int:
        load_page(ours, records, now=NOW)
        return len(records)

    batcher = PageBatcher(load, batch_records, lambda p, r: loads.append(r))
    t0 = time.perf_counter()
    for page in data:
        batcher.add(page)
    batcher.flush()
    ours_s = time.perf_counter() - t0
    same = all(rows(base, t) == rows(ours, t) for t in RAW)
    base.close()
    ours.close()
    return {"pages": pages, "records": pages * page_size, "baseline_seconds": baseline_s,
            "ours_seconds": ours_s, "ours_loads": len(loads), "same_rows": same}


def rows(con, table: str) -> list:
    return sorted(map(repr, con.execute(f'SELECT * FROM "{table}"').fetchall()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 50, 500, 5000])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--prefill", type=int, default=20_000, help="GitHub profiles already in the warehouse")
    parser.add_argument("--crawl-pages", type=int, default=825)
    parser.add_argument("--crawl-page-size", type=int, default=10)
    parser.add_argument("--batch-records", type=int, default=5_000)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    quiet_logging()
    info = print_header("warehouse load cost per page, and a crawl page by page vs coalesced", argv)
    with tempfile.TemporaryDirectory() as tmp:
        template = prefilled(Path(tmp), args.prefill)
        pages = per_page(template, args.sizes, args.repeats)
        print(f"   per page (median of {args.repeats}; prefill {args.prefill} profiles), seconds:")
        print("     records   baseline new   ours new   faster | baseline matched   ours matched   faster")
        for size, m in pages.items():
            print(f"     {size:7d}   {m['baseline_new']:12.4f}   {m['ours_new']:8.4f}   {m['baseline_new'] / m['ours_new']:5.2f}x"
                  f" | {m['baseline_matched']:16.4f}   {m['ours_matched']:12.4f}   "
                  f"{m['baseline_matched'] / m['ours_matched']:5.2f}x")
        result = crawl(template, args.crawl_pages, args.crawl_page_size, args.batch_records)
    print(f"   crawl of {result['pages']} pages x {args.crawl_page_size} records: baseline page by page "
          f"{result['baseline_seconds']:.2f} s; ours coalesced ({result['ours_loads']} loads of <= "
          f"{args.batch_records}) {result['ours_seconds']:.2f} s = "
          f"{result['baseline_seconds'] / result['ours_seconds']:.0f}x faster; same rows: {result['same_rows']}")
    write_json(args.json, {"machine": info, "per_page": pages, "crawl": result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
