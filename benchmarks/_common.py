"""Shared helpers of the benchmark scripts: machine facts, medians, peak memory.

Why these exist: every figure in benchmarks/RESULTS.md must say on what
machine, at what load and against which baseline it was measured, and a
peak-memory figure is only honest when the measured work runs in a process
of its own (``ru_maxrss`` never goes down, and a parent's memory would be
counted otherwise).
"""
from __future__ import annotations

import json
import logging
import multiprocessing
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

logger = logging.getLogger(__name__)


# --- machine ---------------------------------------------------------------------
def load_average() -> str:
    """``uptime``-style 1/5/15-minute load: other work on this shared machine skews timings."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def memory_total_gb() -> float:
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def machine() -> dict[str, Any]:
    """Date (UTC), cores, memory, versions and load, for the header of every result."""
    import duckdb

    return {
        "date_utc": subprocess.run(["date", "-u"], capture_output=True, text=True, check=False).stdout.strip(),
        "nproc": os.cpu_count(), "mem_gb": memory_total_gb(),
        "python": platform.python_version(), "duckdb": duckdb.__version__,
        "load": load_average(),
    }


def print_header(title: str, argv: list[str] | None = None) -> dict[str, Any]:
    info = machine()
    print(f"== {title}")
    print(f"   command: {' '.join(['python', *(argv if argv is not None else sys.argv)])}")
    print(f"   date: {info['date_utc']} | nproc {info['nproc']} | mem {info['mem_gb']} GB | "
          f"python {info['python']} | duckdb {info['duckdb']} | load {info['load']}")
    return info


# --- numbers ---------------------------------------------------------------------
def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def ratio(baseline: float, ours: float) -> float:
    """How many times fewer/faster ours is (``baseline / ours``)."""
    return baseline / ours if ours else float("inf")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mb(pid: str = "self") -> float:
    with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def source_processes_rss_mb() -> float:
    """RSS of this process's children that pull a source in a process of their
    own (``python -m flows.isolation``); not the sample server's.  Read from
    /proc: ``ru_maxrss`` of a child counts the parent's pages it held between
    fork and exec."""
    total = 0.0
    for pid in _child_pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if b"flows.isolation" not in fh.read():
                    continue
            total += current_rss_mb(pid)
        except (OSError, ValueError, IndexError):   # it just ended
            continue
    return total


def _child_pids() -> list[str]:
    pids = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as fh:
                pids += fh.read().split()
        except OSError:
            continue
    return pids


class RssSampler:
    """Samples this process's RSS every ``interval`` s in a thread, so each
    stage of one run gets its own peak (``ru_maxrss`` only knows the maximum);
    the sources' own processes (flows.isolation) are sampled apart, under
    ``"<stage> (source processes)"``."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval, self.stage, self.peaks = interval, "start", {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, stage = current_rss_mb(), self.stage
            self.peaks[stage] = max(self.peaks.get(stage, 0.0), rss)
            children = source_processes_rss_mb()
            if children:
                key = f"{stage} (source processes)"
                self.peaks[key] = max(self.peaks.get(key, 0.0), children)
            self._stop.wait(self.interval)

    def start(self) -> "RssSampler":
        self._thread.start()
        return self

    def enter(self, stage: str) -> None:
        self.stage = stage
        self.peaks[stage] = max(self.peaks.get(stage, 0.0), current_rss_mb())

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {k: round(v, 1) for k, v in self.peaks.items()}


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    box: dict[str, float] = {}
    started = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - started


# --- isolation -------------------------------------------------------------------
def run_isolated(fn: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
    """Run ``fn(*args)`` in a fresh (spawned) process and return its result.

    ``fn`` must be importable (module level) and should put ``peak_rss_mb()``
    into what it returns: the child's peak is then that stage's alone."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply_async(fn, args).get(timeout=timeout)


def write_json(path: str | None, payload: dict[str, Any]) -> None:
    if path:
        Path(path).write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"   results written to {path}")


def quiet_logging() -> None:
    """Benchmarks print figures; library INFO logs (one line per page) would bury them."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("prefect", "httpx", "sampleworld", "sources", "warehouse", "enrich", "talent_signals", "github"):
        logging.getLogger(name).setLevel(logging.WARNING)


def no_nagle_in_sample_server() -> None:
    """Answer without the 40 ms delayed-ACK stall the sample server shows on keep-alive
    connections (headers and body go out in two writes; measured 40 ms per request
    with a reused connection vs 3 ms without).  Sets the standard library's
    ``StreamRequestHandler.disable_nagle_algorithm`` (TCP_NODELAY) on the server's
    handler class in this process only, so wall times measure our code, not
    the test server's socket setting.  Request counts are unaffected."""
    from sampleworld import server

    server._Handler.disable_nagle_algorithm = True


def cpu_seconds() -> float:
    """User+system CPU of this process (all threads) and of its children that
    ended (a source pulled in a process of its own, flows.isolation; not the
    sample server, which runs until the end): on a shared, overloaded machine
    wall time mostly measures the queue; CPU time is printed beside it."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


# --- a sample-world server in its own process -----------------------------------------------------
def answer_commands(server: Any, conn: Any, extra: dict[str, Callable[..., Any]] | None = None) -> None:
    """Answer a benchmark's commands on ``conn`` (tuples: name, then arguments)
    for a running sample-world ``server`` until ("stop",).  Built in:
    ("counts",) its request counts, ("reset",) zero them, ("cpu",) the
    server process's own CPU seconds (its answers are part of our wall time,
    its CPU is not ours); ``extra`` adds the benchmark's own."""
    handlers: dict[str, Callable[..., Any]] = {
        "counts": lambda: dict(server.counts),
        "reset": lambda: server.reset_counts() or "ok",
        "cpu": time.process_time,
        **(extra or {}),
    }
    while True:
        name, *args = conn.recv()
        if name == "stop":
            conn.send("bye")
            return
        conn.send(handlers[name](*args))


def ask(conn: Any, *command: Any) -> Any:
    """One command to an `answer_commands` process, and its answer."""
    conn.send(command)
    return conn.recv()


@contextmanager
def server_process(target: Callable[..., Any], *args: Any) -> Iterator[tuple[Any, Any]]:
    """``target(*args, conn)`` in a spawned process (a sample-world server whose
    CPU is not ours); yields ``(conn, hello)``, hello being the first message
    it sends, and stops it (("stop",)) when the block ends."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=target, args=(*args, child), daemon=True)
    proc.start()
    try:
        yield parent, parent.recv()
    finally:
        if proc.is_alive():
            ask(parent, "stop")
        proc.join(10)
