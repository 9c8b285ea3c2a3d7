"""Sample-world generator at scale: wall time, peak RSS, identities, namesakes.

Why: benchmarks and identity-resolution measurements at 10^5-10^6 people are
only meaningful if the generator runs there (time, memory) and its names are
as shared as real names are (not every person a namesake of a dozen others).
Each scale runs in a fresh spawned process, so the peak RSS is that world's
alone.  Printed per scale: people, seconds, peak MB, identities (arXiv
authorships + GitHub users + speakers + internal), the share of people whose
exact given+family name someone else also has (non-East-Asian and East Asian
names apart) and the largest same-name block.

  python benchmarks/bench_generate.py --people 10000 100000 1000000
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import peak_rss_mb, print_header, quiet_logging, run_isolated, write_json  # noqa: E402

ROW = "{people:>9} {seconds:>8.1f} {peak_mb:>8.0f} {identities:>10} {western:>8.1%} {east_asian:>8.1%} {block:>6}  {name}"
HEAD = (f"{'people':>9} {'seconds':>8} {'peak MB':>8} {'identities':>10} {'W shared':>8} {'EA shared':>8} "
        f"{'block':>6}  largest block name")


def measure(n_people: int, seed: int) -> dict:
    """Generate one world in this (spawned) process and describe it."""
    from sampleworld.generate import generate_world
    from sampleworld.truth import iter_identities, namesake_stats

    started = time.perf_counter()
    world = generate_world(n_people, seed)
    seconds = time.perf_counter() - started
    identities = sum(1 for _ in iter_identities(world))
    stats = namesake_stats(world)
    return {"n_people": n_people, "seed": seed, "seconds": round(seconds, 2), "peak_mb": peak_rss_mb(),
            "identities": identities, **stats}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    quiet_logging()
    info = print_header("sample-world generator at scale", argv)
    print(HEAD)
    rows = []
    for n_people in args.people:
        row = run_isolated(measure, n_people, args.seed)
        rows.append(row)
        print(ROW.format(people=row["people"], seconds=row["seconds"], peak_mb=row["peak_mb"],
                         identities=row["identities"], western=row["western_shared"],
                         east_asian=row["east_asian_shared"], block=row["largest_block"],
                         name=row["largest_block_name"]), flush=True)
    write_json(args.json, {"machine": info, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
