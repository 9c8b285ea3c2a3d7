"""arXiv harvest of N entries (default 100,000): page size 2,000 vs 100 (the arxiv client's default).

The sample world's server speaks the arXiv Atom API; a small generated
world's papers are cloned (new ids, same text, authors and categories) until
one query matches ``--entries`` of them.  Our real source
(``sources.arxiv.pull``: the ``arxiv`` client with our session) harvests them
with ``delay_seconds = 0`` against the local server; the figure that matters
is the request count, and the wall time it implies at arXiv's 3 s per
request.

  python benchmarks/bench_arxiv_harvest.py --entries 100000 --repeats 3
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    load_average, median, no_nagle_in_sample_server, print_header, quiet_logging, ratio, write_json,
)

from sampleworld.generate import generate_world  # noqa: E402
from sampleworld.model import World  # noqa: E402
from sampleworld.server import serve  # noqa: E402
from sources.arxiv import ArxivSettings, pull  # noqa: E402

ARXIV_DELAY = 3.0  # arXiv terms of use: one request every 3 s
BASELINE_PAGE_SIZE = 100  # arxiv.Client default


def world_with_entries(entries: int, seed: int = 7) -> tuple[World, str]:
    """A world whose papers are ``entries`` clones of a small world's papers, and
    a query (an OR of every primary category) that matches all of them."""
    base = generate_world(2000, seed=seed)
    papers = []
    for i in range(entries):
        src = base.papers[i % len(base.papers)]
        month = 2400 + (i // 90_000) * 1 + 1  # 2401, 2402, ...: ids stay valid and unique
        papers.append(dataclasses.replace(src, paper_id=f"{month}.{10_000 + i % 90_000:05d}", night=1))
    world = dataclasses.replace(base, papers=papers)
    categories = sorted({p.primary_category for p in papers})
    return world, " OR ".join(f"cat:{c}" for c in categories)


def harvest(server, query: str, page_size: int, entries: int) -> dict:
    settings = ArxivSettings(queries=(query,), base_url=server.base_url + "/arxiv/api/query",
                             page_size=page_size, max_results=entries, delay_seconds=0.0)
    server.reset_counts()
    started, loaded = time.perf_counter(), 0
    for page in pull(settings, {}):
        loaded += len(page.records)
    return {"seconds": time.perf_counter() - started, "entries": loaded, "requests": server.counts.get("arxiv", 0)}


def run(entries: int, repeats: int, baseline_repeats: int) -> dict:
    world, query = world_with_entries(entries)
    out: dict = {"entries_target": entries}
    with serve(world) as server:
        for label, size, n in (("ours", 2000, repeats), ("baseline", BASELINE_PAGE_SIZE, baseline_repeats)):
            runs = [harvest(server, query, size, entries) for _ in range(n)]
            requests = runs[-1]["requests"]
            out[label] = {"page_size": size, "runs": n, "entries": runs[-1]["entries"], "requests": requests,
                          "counts_identical": all(r["requests"] == requests for r in runs),
                          "median_seconds_local": median([r["seconds"] for r in runs]),
                          "implied_seconds_at_3s": requests * ARXIV_DELAY}
    out["fewer_requests_x"] = ratio(out["baseline"]["requests"], out["ours"]["requests"])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-repeats", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    quiet_logging()
    no_nagle_in_sample_server()
    info = print_header(f"arXiv harvest of {args.entries} entries: page size 2000 vs {BASELINE_PAGE_SIZE}", argv)
    r = run(args.entries, args.repeats, args.baseline_repeats)
    for label in ("ours", "baseline"):
        x = r[label]
        print(f"   {label:8s} page size {x['page_size']:4d}: {x['entries']} entries, {x['requests']} requests "
              f"(identical over {x['runs']} runs: {x['counts_identical']}), implied at 3 s/request "
              f"{x['implied_seconds_at_3s'] / 60:.1f} min; local wall median {x['median_seconds_local']:.1f} s")
    print(f"   {r['fewer_requests_x']:.0f}x fewer requests | load at start {info['load']}, at end {load_average()}")
    write_json(args.json, {"machine": info, "result": r})
    return 0


if __name__ == "__main__":
    sys.exit(main())
