"""Upstream rate limits shared by every task and process, as Prefect primitives.

arXiv asks for at most one request every 3 s from a client. Inside one night
that is one task, but a backfill run, a second deployment or a manual
`talent-signals run` beside the nightly one would each pace themselves
alone; a Prefect global concurrency limit with slot decay ("rate limit")
paces all of them together.
"""
from __future__ import annotations

import logging
from typing import Callable

logger = logging.getLogger("talent_signals.limits")

ARXIV_LIMIT = "talent-signals-arxiv-requests"


def ensure_rate_limit(name: str, seconds_between: float) -> bool:
    """Create (or re-tune) a global limit releasing one slot every ``seconds_between`` s."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectNotFound

    decay = 1.0 / seconds_between
    try:
        with get_client(sync_client=True) as client:
            try:
                client.read_global_concurrency_limit_by_name(name)
                client.update_global_concurrency_limit(
                    name, GlobalConcurrencyLimitUpdate(limit=1, slot_decay_per_second=decay))
            except ObjectNotFound:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=1, slot_decay_per_second=decay))
        return True
    except Exception as exc:  # no API reachable: the client's own delay still paces requests
        logger.warning("could not set up the Prefect rate limit %s (%s); pacing locally", name, exc)
        return False


def arxiv_gate(delay_seconds: float) -> Callable[[], None] | None:
    """A ``before_request`` hook for the arXiv client, or None when no pacing is asked."""
    if delay_seconds <= 0 or not ensure_rate_limit(ARXIV_LIMIT, delay_seconds):
        return None
    from prefect.concurrency.sync import rate_limit

    def gate() -> None:
        rate_limit(ARXIV_LIMIT, occupy=1, strict=True)

    return gate
