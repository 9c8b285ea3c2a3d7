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

from flows.config import AppConfig, SourceSpec, load_config
from flows.feedback import merge_feedback
from flows.privacy import apply_suppressions, night_privacy
from flows.wiring import pull_function
from sources.errors import RateLimited, SourceError
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
    source's first page is loaded), ``enrich``, ``publish``.  Unset: a no-op."""
    if os.environ.get(PAUSE_ENV) == step:
        logger.warning("test pause at %s", step)
        time.sleep(600)


@dataclass
class NightContext:
    """What the tasks of one night share: the single writer connection and a lock.

    DuckDB allows one writer; sources fetch concurrently but load one page at
    a time through ``load`` (network, not the warehouse, is the bottleneck).
    """

    con: Any
    run_id: str
    now: datetime
    progress: ProgressFn | None = None
    outcomes: dict[str, SourceOutcome] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def outcome(self, source: str) -> SourceOutcome:
        with self.lock:
            return self.outcomes.setdefault(source, SourceOutcome(source))

    def load(self, records: list) -> int:
        with self.lock:
            cursor = self.con.cursor()
            try:
                load_page(cursor, records, now=self.now)
            finally:
                cursor.close()
        return len(records)

    def state(self, source: str) -> dict[str, str]:
        with self.lock:
            return read_state(self.con, source)

    def save_state(self, source: str, checkpoint: dict[str, str]) -> None:
        with self.lock:
            save_state(self.con, source, checkpoint)


def _pull(spec: SourceSpec, state: dict[str, str]):
    """The source's page generator, with shared rate limits where the upstream asks for one."""
    pull = pull_function(spec.kind)
    if spec.kind == "arxiv":
        from flows.limits import arxiv_gate

        return pull(spec.settings, state, before_request=arxiv_gate(spec.settings.delay_seconds))
    return pull(spec.settings, state)


def _pull_into_warehouse(ctx: NightContext, spec: SourceSpec) -> SourceOutcome:
    outcome = ctx.outcome(spec.name)
    checkpoint: dict[str, str] = {}
    for page in _pull(spec, ctx.state(spec.name)):
        if page.records:
            outcome.records += ctx.load(page.records)
        outcome.pages += 1
        checkpoint.update(page.checkpoint)
        if outcome.pages == 1:
            pause_for_tests(f"pull:{spec.name}")
        logger.info("%s: page %d loaded, %d records so far", spec.name, outcome.pages, outcome.records)
        if ctx.progress:
            ctx.progress(spec.name, outcome.pages, outcome.records)
    ctx.save_state(spec.name, checkpoint)
    outcome.status, outcome.error = "success", None
    return outcome


@task(name="pull-source", cache_policy=NO_CACHE, persist_result=False, log_prints=False)
def pull_source(ctx: NightContext, spec: SourceSpec) -> SourceOutcome:
    """Pull one source page by page into the night's warehouse.

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


def _enrich(con: Any, config: AppConfig, now: datetime) -> dict[str, Any]:
    """Identity resolution then ranking, when those packages are installed."""
    from flows import steps

    return steps.enrich(con, config, now)


class NightFailed(RuntimeError):
    """Every source failed: the night is published (its `runs` row says why) but
    the flow run ends Failed, so Prefect alerts and automations fire."""

    def __init__(self, summary: "NightSummary"):
        errors = "; ".join(f"{o.source}: {o.error}" for o in summary.outcomes if o.error)
        super().__init__(f"night {summary.run_id} failed: {errors}"[:2000])
        self.summary = summary


@flow(name="talent-signals-nightly", log_prints=False)
def nightly(config_path: str, db: str | None = None, progress: ProgressFn | None = None) -> NightSummary:
    """Run one night for the sources in ``config_path`` and publish the warehouse."""
    config = load_config(config_path, db=db)
    summary = run_night(config, progress=progress)
    if summary.status == "failed":
        raise NightFailed(summary)
    return summary


def run_night(config: AppConfig, progress: ProgressFn | None = None) -> NightSummary:
    """The body of the flow (callable from a running flow)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    build = NightlyBuild(config.warehouse_path)
    con = build.open()
    try:
        ctx = NightContext(con, new_run_id(), now, progress)
        start_run(con, ctx.run_id, str(config.path) if config.path else None)
        # quote: Prefect must not walk ctx for futures while running tasks mutate its outcomes dict
        futures = {s.name: _source_task(s, config.options.get("flow", {})).submit(quote(ctx), s)
                   for s in config.sources}
        outcomes = _collect(ctx, futures)
        for outcome in outcomes:
            record_source(con, ctx.run_id, outcome)
        privacy_stats = night_privacy(con, config, now)  # suppressions + retention, before enrich
        pause_for_tests("enrich")
        enrich_stats = _enrich(con, config, now)
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
