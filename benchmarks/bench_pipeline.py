"""Whole nightly pipeline at N people (default 100k): pull+parse, load, resolve, rank, publish;
then an incremental night with ~1% new data.

A generated world is served over HTTP by the sample-world server in a
separate process (so its memory and CPU are not ours; its CPU per night is printed
beside ours: its answers are part of the wall time); the night runs the
real steps of ``flows.nightly.run_night`` *without Prefect* (no task
runner, no ephemeral API: that overhead is measured separately by the
flow's own tests).  Sources are pulled at once in threads, as the flow's
tasks run (loads take turns on the one writer connection); per source its
own wall and thread CPU are printed beside the shared ``pull`` stage.
``--sequential-sources`` pulls them one after another instead (each its own
peak memory; the earlier runs in RESULTS.md were measured that way):

  for each configured source: ``pull_function(kind)(settings, state)`` pages,
  coalesced by the flow's ``flows.nightly.PageBatcher`` into loads of up to
  ``--load-batch-records`` records (default: the flow's 5,000; 1 = one
  ``warehouse.load_page`` per page, as before) (parse vs load time split), state
  saved; ``flows.steps.resolve_identities``; ``flows.steps.rank_leads``;
  ``warehouse.runs.finish_run``; ``NightlyBuild.publish`` (checkpoint + swap).

The config is the world's own (``sampleworld.files.write_world``) with the
arXiv page size raised to 2,000 and the GitHub source's ``max_repos_per_org``
raised to its maximum (1,000; default 30) so the whole world is crawled; the
number of repositories crawled is printed.  Night 2 is the world's documented night-2
additions plus ``--new-fraction`` (default 1%) new arXiv papers (clones of
night-1 papers: same authors, new ids, published on night 2).

  python benchmarks/bench_pipeline.py --people 100000
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    RssSampler, answer_commands, ask, cpu_seconds, load_average, no_nagle_in_sample_server, print_header,
    quiet_logging, server_process, write_json,
)


# --- the server process ----------------------------------------------------------------
def add_new_papers(world, fraction: float, seed: int = 11) -> int:
    """Append ``fraction`` x night-1 papers as night-2 papers (new ids, night-2 date)."""
    from sampleworld.generate import NIGHT2_DAY

    rng = random.Random(seed)
    night1 = [p for p in world.papers if p.night == 1]
    count = max(1, int(len(night1) * fraction))
    stamp = f"{NIGHT2_DAY.isoformat()}T12:00:00Z"
    month = NIGHT2_DAY.strftime("%y%m")
    for i, src in enumerate(rng.sample(night1, count)):
        world.papers.append(dataclasses.replace(src, paper_id=f"{month}.{90_000 + i:05d}", version=1,
                                                published=stamp, updated=stamp, night=2))
    return count


def serve_world(n_people: int, fraction: float, conn) -> None:
    """Subprocess: generate, serve, answer `_common.answer_commands` plus ("night", n) and ("write", dir)."""
    quiet_logging()
    no_nagle_in_sample_server()
    from sampleworld import server as sw
    from sampleworld.files import write_world
    from sampleworld.generate import generate_world

    sw.GITHUB_LIMIT = 10**9  # a whole world's crawl is more than one hour of a token's budget
    world = generate_world(n_people, seed=7)
    added = add_new_papers(world, fraction)
    with sw.serve(world) as server:
        conn.send({"base_url": server.base_url, "new_papers": added, "world": _world_size(world)})

        def night(number: int) -> str:
            server.set_night(number)
            server.index()  # built now, not in the timed night: a real upstream is up before our first request
            server.reset_counts()
            return "ok"

        def write(directory: str) -> str:
            write_world(directory, world, base_url=server.base_url, include_world_json=False)
            return "ok"

        answer_commands(server, conn, {"night": night, "write": write})


def _world_size(world) -> dict:
    return {"people": len(world.people), "papers": len(world.papers), "github_users": len(world.users),
            "repos": len(world.repos), "speakers": sum(len(c.speakers) for c in world.conferences),
            "internal": len(world.internal)}


# --- one night -------------------------------------------------------------------------
def run_night(config, sampler: RssSampler, batch_records: int, concurrent: bool = True) -> dict:
    """The steps of the nightly flow, timed and memory-sampled per stage.

    Sources run at once in threads, as the flow runs them (Prefect's thread
    pool; loads take turns on the one writer connection, like
    ``flows.nightly.NightContext.load``), so the ``pull`` stage is the night's
    time for all of them; ``concurrent=False`` runs them one after another
    (each source its own peak memory)."""
    from flows import steps
    from flows.isolation import own_process_kinds
    from warehouse import NightlyBuild
    from warehouse.runs import finish_run, new_run_id, record_source, start_run

    now = datetime.now(timezone.utc).replace(tzinfo=None)
    stages: dict[str, dict] = {}
    build = NightlyBuild(config.warehouse_path, memory_limit=config.memory_limit)
    started, cpu = time.perf_counter(), cpu_seconds()
    with _stage(stages, sampler, "open"):
        con = build.open()
        run_id = new_run_id()
        start_run(con, run_id, str(config.path))
    lock = threading.Lock()
    own_process = own_process_kinds(config.options)
    if concurrent:
        with _stage(stages, sampler, "pull (all sources at once)"):
            with ThreadPoolExecutor(len(config.sources)) as pool:
                runs = list(pool.map(lambda spec: _pull_source(con, lock, spec, now, batch_records, own_process),
                                     config.sources))
    else:
        runs = []
        for spec in config.sources:
            sampler.enter(f"pull:{spec.name}")
            runs.append(_pull_source(con, lock, spec, now, batch_records, own_process))
    outcomes = []
    for outcome, figures in runs:
        stages[f"pull:{outcome.source}"] = figures
        outcomes.append(outcome)
    with _stage(stages, sampler, "resolve"):
        for outcome in outcomes:
            record_source(con, run_id, outcome)
        stages["resolve"]["stats"] = _small(steps.resolve_identities(con, now))
    with _stage(stages, sampler, "rank"):
        stages["rank"]["stats"] = _small(steps.rank_leads(con, config, now))
    with _stage(stages, sampler, "publish"):
        finish_run(con, run_id, outcomes)
        build.publish()
    return {"seconds": time.perf_counter() - started, "cpu_seconds": cpu_seconds() - cpu, "stages": stages}


def _pull_source(con, lock: threading.Lock, spec, now: datetime, batch_records: int,
                 own_process: tuple[str, ...] = ()):
    """One source pulled and loaded (its loads hold ``lock``); its outcome and figures.
    CPU is this thread's own (``time.thread_time``; a source in a process of its
    own, ``[flow] own_process``, shows only its receiving and loading here)."""
    from flows.nightly import PageBatcher, _pull
    from sources.records import GithubRepo
    from warehouse.runs import SourceOutcome
    from warehouse.state import read_state, save_state

    outcome, t0, c0 = SourceOutcome(spec.name), time.perf_counter(), time.thread_time()
    checkpoint, timer, repos = {}, _LoadTimer(con, now, lock), 0
    batcher = PageBatcher(timer.load, batch_records)
    with lock, contextlib.closing(con.cursor()) as cursor:
        state = read_state(cursor, spec.name)
    for page in _pull(spec, state, own_process):  # as the flow pulls it (flows.nightly._pull)
        batcher.add(page.records, page.seen)
        outcome.pages += 1
        repos += sum(isinstance(r, GithubRepo) for r in page.records)
        checkpoint.update(page.checkpoint)
    batcher.flush()
    with lock, contextlib.closing(con.cursor()) as cursor:
        save_state(cursor, spec.name, checkpoint)
    outcome.records, outcome.status = timer.records, "success"
    total = time.perf_counter() - t0
    figures = {"seconds": total, "cpu_seconds": time.thread_time() - c0,  # this thread's: not its request workers
               "fetch_parse_seconds": total - timer.seconds,
               "load_seconds": timer.seconds, "records": outcome.records, "pages": outcome.pages, "loads": timer.loads}
    if spec.kind == "github":
        figures["repos_crawled"] = repos
    return outcome, figures


class _LoadTimer:
    """``load_page`` (one at a time, under ``lock``) with the time spent in it, the records and the number of loads."""

    def __init__(self, con, now: datetime, lock: threading.Lock) -> None:
        self.con, self.now, self.lock = con, now, lock
        self.seconds, self.records, self.loads = 0.0, 0, 0

    def load(self, records: list, seen: dict | None = None) -> int:
        from warehouse import load_page

        with self.lock:
            t0 = time.perf_counter()
            with contextlib.closing(self.con.cursor()) as cursor:
                load_page(cursor, records, now=self.now, seen=seen)
            self.seconds += time.perf_counter() - t0
        self.records += len(records)
        self.loads += 1
        return len(records)


class _stage:
    def __init__(self, stages: dict, sampler: RssSampler, name: str) -> None:
        self.stages, self.sampler, self.name = stages, sampler, name

    def __enter__(self):
        self.sampler.enter(self.name)
        self.t0, self.c0 = time.perf_counter(), cpu_seconds()
        self.stages[self.name] = {}

    def __exit__(self, *exc):
        self.stages[self.name]["seconds"] = time.perf_counter() - self.t0
        self.stages[self.name]["cpu_seconds"] = cpu_seconds() - self.c0


def _small(stats: dict) -> dict:
    return {k: v for k, v in stats.items() if isinstance(v, (int, float, str))}


def warehouse_rows(db: Path) -> dict:
    from warehouse import connect

    con = connect(db, read_only=True)
    try:
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                for t in ("identities", "evidence", "people", "lead_rows", "raw_github_repos")}
    finally:
        con.close()


def write_config(workdir: Path, conn) -> Path:
    ask(conn, "write", str(workdir))
    path = workdir / "talent-signals.toml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^page_size = 100$", "page_size = 2000", text, count=1)
    # the whole world: the default 30 repositories per org left ~40% of them uncrawled at 10k people
    text = text.replace("[sources.github]\n", "[sources.github]\nmax_repos_per_org = 1000\n", 1)
    path.write_text(text, encoding="utf-8")
    return path


def print_night(label: str, night: dict, peaks: dict, counts: dict) -> None:
    print(f"   {label}: total {night['seconds']:.1f} s (CPU {night['cpu_seconds']:.1f} s, this process; the sample "
          f"server's own CPU {night.get('server_cpu_seconds', 0):.1f} s) | upstream requests {counts}")
    for name, st in night["stages"].items():
        extra = (f" (fetch+parse {st['fetch_parse_seconds']:.1f} s, load {st['load_seconds']:.1f} s, "
                 f"{st['records']} records, {st['pages']} pages, {st['loads']} loads"
                 + (f", {st['repos_crawled']} repos crawled" if "repos_crawled" in st else "") + ")"
                 if "records" in st else "")
        if "stats" in st:
            extra = " (" + ", ".join(f"{k} {st['stats'][k]}" for k in _STAGE_STATS if k in st["stats"]) + ")"
        children = peaks.get(f"{name} (source processes)")
        if children:
            extra += f" (sources in their own process, [flow] own_process: peak RSS {children:.0f} MB)"
        print(f"     {name:28s} {st['seconds']:7.1f} s (CPU {st['cpu_seconds']:6.1f} s)  peak RSS {peaks.get(name, 0):7.0f} MB{extra}")


# what an incremental night did, printed beside the resolve and rank stages
_STAGE_STATS = ("mode", "changed", "identities", "context", "persons", "scanned_rows", "recomputed_people")


def _workdir(keep: str | None):
    """A temporary directory, or ``--keep DIR`` (created, emptied of a previous warehouse)."""
    if not keep:
        return tempfile.TemporaryDirectory()
    path = Path(keep)
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.duckdb*"):
        old.unlink()
    return contextlib.nullcontext(str(path))


def run_nights(conn, hello: dict, args, batch_records: int) -> dict:
    """Night 1, then the incremental night, against the served world; the figures of both."""
    from flows.config import load_config

    print(f"   world {hello['world']} ({hello['new_papers']} night-2 papers added) at {hello['base_url']}")
    print(f"   loads coalesce up to {batch_records} records; GitHub max_repos_per_org = 1000 "
          f"(world: {hello['world']['repos']} repositories)")
    results = {"world": hello["world"], "new_papers": hello["new_papers"], "load_batch_records": batch_records,
               "sources": "one after another" if args.sequential_sources else "at once, as the flow runs them"}
    print(f"   sources pulled {results['sources']}")
    with _workdir(args.keep) as tmp:
        config = load_config(write_config(Path(tmp), conn), db=Path(tmp) / "warehouse.duckdb")
        for night in (1, 2):
            ask(conn, "night", night)
            sampler = RssSampler().start()
            load = load_average()
            server_cpu = ask(conn, "cpu")
            result = run_night(config, sampler, batch_records, concurrent=not args.sequential_sources)
            result["server_cpu_seconds"] = ask(conn, "cpu") - server_cpu
            peaks = sampler.stop()
            counts = {k: v for k, v in ask(conn, "counts").items() if ":" not in k or k.endswith(":not_modified")}
            result.update(peaks_mb=peaks, upstream=counts, load=load, rows=warehouse_rows(config.warehouse_path),
                          db_mb=round(config.warehouse_path.stat().st_size / 1024 / 1024, 1))
            results[f"night{night}"] = result
            if args.keep:
                shutil.copy(config.warehouse_path, Path(tmp) / f"night{night}.duckdb")
            print_night(f"night {night} (load {load}; rows {result['rows']}; {result['db_mb']} MB)", result,
                        peaks, counts)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--new-fraction", type=float, default=0.01)
    parser.add_argument("--load-batch-records", type=int, default=None,
                        help="records per coalesced load (default: the flow's; 1 = page by page, the old behaviour)")
    parser.add_argument("--keep", metavar="DIR",
                        help="work in DIR and keep its warehouse after each night (night1.duckdb, night2.duckdb) "
                             "for profiling resolve and rank on it")
    parser.add_argument("--sequential-sources", action="store_true",
                        help="pull the sources one after another (each its own time and peak memory) instead of "
                             "at once, as the flow does")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)   # each night's figures as soon as it ends, also into a file
    quiet_logging()
    info = print_header(f"nightly pipeline at {args.people} people, then an incremental night", argv)
    from flows.nightly import DEFAULT_LOAD_BATCH_RECORDS

    batch_records = args.load_batch_records or DEFAULT_LOAD_BATCH_RECORDS

    with server_process(serve_world, args.people, args.new_fraction) as (conn, hello):
        results = run_nights(conn, hello, args, batch_records)
    n1, n2 = results["night1"]["seconds"], results["night2"]["seconds"]
    results["incremental_fraction"] = n2 / n1
    print(f"   incremental night = {100 * n2 / n1:.0f}% of the first ({n2:.1f} s vs {n1:.1f} s)")
    write_json(args.json, {"machine": info, **results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
