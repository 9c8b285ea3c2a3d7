"""The nightly Prefect flow: pull every source concurrently, load, resolve, rank, publish.

Wiring only: sources, warehouse and enrich do the work.  Each source is its
own Prefect task with its own retries, so one failing source does not fail
the others: the run is then recorded as ``partial`` with the error, and
everything that loaded is still published (atomically, see
``warehouse.publish``).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from flows.config import (  # noqa: F401 - the batch setting is re-exported for callers of the flow
    DEFAULT_LOAD_BATCH_RECORDS, MAX_LOAD_BATCH_RECORDS, AppConfig, ConfigError, SourceSpec, load_batch_records, load_config,
)
from flows.feedback import merge_feedback
from flows.privacy import apply_suppressions, night_privacy
from flows.isolation import DEFAULT_OWN_PROCESS, own_process_kinds, pull_in_own_process
from flows.wiring import pull_function
from sources.errors import RateLimited, SourceError
from sources.records import merge_seen
from warehouse import NightlyBuild, load_page
from warehouse.runs import SourceOutcome, finish_run, new_run_id, record_source, start_run
from warehouse.state import read_state, save_state

logger = logging.getLogger("talent_signals.nightly")

ProgressFn = Callable[[str, int, int], None]  # (source, pages, records)
PAUSE_ENV = "TALENT_SIGNALS_TEST_PAUSE_AT"


def pause_for_tests(step: str) -> None:
    """Test hook (tests/test_kill.py): with ``TALENT_SIGNALS_TEST_PAUSE_AT=<step>``
    the night logs "test pause at <step>" and sleeps there, so a test can
    SIGKILL it at a known point.  Steps: ``pull:<source>`` (after that
    source's first load of coalesced pages), ``enrich``, ``publish``.  Unset: a no-op."""
    if os.environ.get(PAUSE_ENV) == step:
        logger.warning("test pause at %s", step)
        time.sleep(600)


Seen = dict[str, tuple[str, ...]]  # `sources.records.Page.seen`: kind -> keys confirmed unchanged


class PageBatcher:
    """Coalesces the records of consecutive pages of one source into fewer loads.

    Holds at most ``max_records`` (plus one oversized page) before calling
    ``load(records) -> int``, or ``load(records, seen) -> int`` when the
    buffered pages carry `Page.seen` keys (data the upstream confirmed
    unchanged: its rows' ``last_seen`` moves with the same load, so a page
    with only seen keys is buffered and applied too; each key counts
    towards the cap like a record).  Page boundaries are kept: if a
    coalesced load fails, the pages are loaded again one by one, so every
    page before the bad one lands and the bad page's error is raised, as
    page-by-page loading did.  ``on_load(pages, records)`` is called after each load.
    """

    def __init__(self, load: Callable[..., int], max_records: int,
                 on_load: Callable[[int, int], None] | None = None) -> None:
        self._load, self.max_records, self._on_load = load, max_records, on_load
        self._pages: list[tuple[list, Seen]] = []
        self.buffered = 0  # records buffered (what progress reports)
        self._size = 0  # records + seen keys buffered (what the cap bounds)

    def add(self, records: list, seen: Seen | None = None) -> None:
        """Buffer one page's records and seen keys; loads first/after when the cap is reached."""
        size = len(records) + sum(len(keys) for keys in (seen or {}).values())
        if not size:
            return
        if self._size and self._size + size > self.max_records:
            self.flush()
        self._pages.append((records, dict(seen or {})))
        self.buffered += len(records)
        self._size += size
        if self._size >= self.max_records:
            self.flush()

    def flush(self) -> int:
        """Load what is buffered (a no-op when empty); returns the records loaded."""
        pages, self._pages, self.buffered, self._size = self._pages, [], 0, 0
        if not pages:
            return 0
        try:
            loaded = self._call_load([r for records, _ in pages for r in records], merge_seen(seen for _, seen in pages))
        except Exception:
            if len(pages) == 1:
                raise
            logger.warning("a load of %d coalesced pages failed: loading them one by one", len(pages))
            return sum(self._load_one(*page) for page in pages)  # raises at the bad page
        self._loaded(len(pages), loaded)
        return loaded

    def _call_load(self, records: list, seen: Seen) -> int:
        return self._load(records, seen) if seen else self._load(records)

    def _load_one(self, records: list, seen: Seen) -> int:
        loaded = self._call_load(records, seen)
        self._loaded(1, loaded)
        return loaded

    def _loaded(self, pages: int, records: int) -> None:
        if self._on_load:
            self._on_load(pages, records)


@dataclass
class NightContext:
    """What the tasks of one night share: the single writer connection and a lock.

    DuckDB allows one writer; sources fetch concurrently but load one batch at
    a time through ``load`` (network, not the warehouse, is the bottleneck).
    """

    con: Any
    run_id: str
    now: datetime
    progress: ProgressFn | None = None
    outcomes: dict[str, SourceOutcome] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    load_batch_records: int = DEFAULT_LOAD_BATCH_RECORDS
    own_process: tuple[str, ...] = DEFAULT_OWN_PROCESS   # source kinds pulled in a process of their own

    def outcome(self, source: str) -> SourceOutcome:
        with self.lock:
            return self.outcomes.setdefault(source, SourceOutcome(source))

    def load(self, records: list, seen: Seen | None = None) -> int:
        with self.lock:
            cursor = self.con.cursor()
            try:
                load_page(cursor, records, now=self.now, seen=seen)
            finally:
                cursor.close()
        return len(records)

    def state(self, source: str) -> dict[str, str]:
        with self.lock:
            return read_state(self.con, source)

    def save_state(self, source: str, checkpoint: dict[str, str]) -> None:
        with self.lock:
            save_state(self.con, source, checkpoint)


def _pull(spec: SourceSpec, state: dict[str, str], own_process: tuple[str, ...] = ()):
    """The source's page generator, with shared rate limits where the upstream asks
    for one, in a process of its own for the kinds in ``own_process`` (flows.isolation)."""
    if spec.kind in own_process:
        return pull_in_own_process(spec.kind, spec.settings, state, spec.name)
    pull = pull_function(spec.kind)
    if spec.kind == "arxiv":
        from flows.limits import arxiv_gate

        return pull(spec.settings, state, before_request=arxiv_gate(spec.settings.delay_seconds))
    return pull(spec.settings, state)


def _batcher(ctx: NightContext, spec: SourceSpec, outcome: SourceOutcome) -> PageBatcher:
    """A batcher whose loads count records, log, and fire the ``pull:<source>`` test hook once."""
    loads = 0

    def loaded(pages: int, records: int) -> None:
        nonlocal loads
        loads += 1
        outcome.records += records
        logger.info("%s: loaded %d records of %d pages (%d pages pulled, %d records loaded so far)",
                    spec.name, records, pages, outcome.pages, outcome.records)
        if loads == 1:
            pause_for_tests(f"pull:{spec.name}")

    return PageBatcher(ctx.load, ctx.load_batch_records, loaded)


def _pull_into_warehouse(ctx: NightContext, spec: SourceSpec) -> SourceOutcome:
    """Pull pages, load them coalesced, save the checkpoint once the source finished.

    A page's ``seen`` keys (data the upstream confirmed unchanged) go with its
    records into the same load, even when it has no records.

    If the source fails half-way, what it yielded so far is loaded before the
    error propagates (its checkpoint is not saved, so next night re-reads it).
    """
    outcome = ctx.outcome(spec.name)
    checkpoint: dict[str, str] = {}
    batcher = _batcher(ctx, spec, outcome)
    try:
        for page in _pull(spec, ctx.state(spec.name), ctx.own_process):
            outcome.pages += 1
            checkpoint.update(page.checkpoint)
            batcher.add(page.records, page.seen)
            if ctx.progress:
                ctx.progress(spec.name, outcome.pages, outcome.records + batcher.buffered)
    except Exception:
        batcher.flush()
        raise
    batcher.flush()
    ctx.save_state(spec.name, checkpoint)
    outcome.status, outcome.error = "success", None
    return outcome


@task(name="pull-source", cache_policy=NO_CACHE, persist_result=False, log_prints=False)
def pull_source(ctx: NightContext, spec: SourceSpec) -> SourceOutcome:
    """Pull one source into the night's warehouse (consecutive pages loaded together).

    A ``RateLimited`` source stops cleanly with what it has (no retry: the
    budget will not come back within the night's patience); other
    ``SourceError``s are re-raised so Prefect retries the task with backoff.
    """
    outcome = ctx.outcome(spec.name)
    try:
        return _pull_into_warehouse(ctx, spec)
    except RateLimited as exc:
        outcome.status, outcome.error = "rate_limited", str(exc)
        logger.warning("%s: stopped by rate limit after %d records: %s", spec.name, outcome.records, exc)
        return outcome
    except SourceError as exc:
        outcome.status, outcome.error = "failed", str(exc)
        logger.error("%s: %s", spec.name, exc)
        raise


def _source_task(spec: SourceSpec, options: dict[str, Any]):
    retries = int(options.get("retries", 2))
    delays = options.get("retry_delay_seconds", [5, 30, 120])
    return pull_source.with_options(name=f"pull-{spec.name}", retries=retries, retry_delay_seconds=delays)


def _collect(ctx: NightContext, futures: dict[str, Any]) -> list[SourceOutcome]:
    outcomes = []
    for name, future in futures.items():
        state = future.wait() or future.state
        outcome = ctx.outcome(name)
        if not future.state.is_completed() and outcome.status == "success":
            outcome.status = "failed"
            outcome.error = outcome.error or f"task ended in state {future.state.name}"
            try:
                future.result(raise_on_failure=True)
            except Exception as exc:  # unexpected bug in a source: recorded, others go on
                outcome.error = f"{type(exc).__name__}: {exc}"
                logger.exception("%s: unexpected error", name)
        outcome.ended_at = datetime.now(timezone.utc).replace(tzinfo=None)
        outcomes.append(outcome)
    return outcomes


@dataclass
class NightSummary:
    run_id: str
    status: str
    warehouse: Path
    outcomes: list[SourceOutcome]
    enrich: dict[str, Any] = field(default_factory=dict)


def _enrich(con: Any, config: AppConfig, now: datetime, full: bool = False) -> dict[str, Any]:
    """Identity resolution then ranking, when those packages are installed."""
    from flows import steps

    return steps.enrich(con, config, now, full=full)


class NightFailed(RuntimeError):
    """Every source failed: the night is published (its `runs` row says why) but
    the flow run ends Failed, so Prefect alerts and automations fire."""

    def __init__(self, summary: "NightSummary"):
        errors = "; ".join(f"{o.source}: {o.error}" for o in summary.outcomes if o.error)
        super().__init__(f"night {summary.run_id} failed: {errors}"[:2000])
        self.summary = summary


@flow(name="talent-signals-nightly", log_prints=False)
def nightly(config_path: str, db: str | None = None, progress: ProgressFn | None = None,
            full: bool = False) -> NightSummary:
    """Run one night for the sources in ``config_path`` and publish the warehouse.
    ``full``: resolve and rank everything, not only what changed."""
    config = load_config(config_path, db=db)
    summary = run_night(config, progress=progress, full=full)
    if summary.status == "failed":
        raise NightFailed(summary)
    return summary


def run_night(config: AppConfig, progress: ProgressFn | None = None, full: bool = False) -> NightSummary:
    """The body of the flow (callable from a running flow)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    batch_records = load_batch_records(config.options)
    build = NightlyBuild(config.warehouse_path, memory_limit=config.memory_limit)
    con = build.open()
    try:
        ctx = NightContext(con, new_run_id(), now, progress, load_batch_records=batch_records,
                           own_process=own_process_kinds(config.options))
        start_run(con, ctx.run_id, str(config.path) if config.path else None)
        # quote: Prefect must not walk ctx for futures while running tasks mutate its outcomes dict
        futures = {s.name: _source_task(s, config.options.get("flow", {})).submit(quote(ctx), s)
                   for s in config.sources}
        outcomes = _collect(ctx, futures)
        for outcome in outcomes:
            record_source(con, ctx.run_id, outcome)
        privacy_stats = night_privacy(con, config, now)  # suppressions + retention, before enrich
        pause_for_tests("enrich")
        enrich_stats = _enrich(con, config, now, full)
        enrich_stats["privacy"] = privacy_stats
        status = finish_run(con, ctx.run_id, outcomes)
        merge_feedback(con, config.warehouse_path)
        apply_suppressions(con, config.warehouse_path)  # a forget made during the night
        pause_for_tests("publish")
        build.publish()
    except BaseException:
        build.abort()
        raise
    from flows import report
    summary = NightSummary(ctx.run_id, status, config.warehouse_path, outcomes, enrich_stats)
    report.publish_artifact(summary)
    return summary
