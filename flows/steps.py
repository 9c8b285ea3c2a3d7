"""Post-load steps of a night: identity resolution, features and ranking.

Kept apart from the flow so the same steps can be re-run on a warehouse by
hand without pulling any source. Both are incremental by default (only what
changed since the last night); ``full=True`` recomputes everything.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flows.config import AppConfig

logger = logging.getLogger("talent_signals.steps")


def resolve_identities(con: Any, now: datetime, full: bool = False) -> dict[str, Any]:
    from enrich.identity import resolve

    stats = resolve(con, now=now, mode="full" if full else "auto")
    logger.info("identity resolution: %s", stats)
    return _as_dict(stats)


def rank_leads(con: Any, config: AppConfig, now: datetime, full: bool = False) -> dict[str, Any]:
    from enrich.rank import rank
    from enrich.rank.profiles import load_profiles

    profiles = load_profiles(config.roles_path)
    stats = rank(con, profiles=profiles, now=now, full=full)
    logger.info("ranking: %s", stats)
    return _as_dict(stats)


def new_leads_per_role(con: Any, since: datetime, top: int = 50) -> dict[str, int]:
    """People in a role's top ``top`` whose first record arrived this night."""
    rows = con.execute(
        'SELECT "role", count(*) FROM "leads" WHERE "rank" <= ? AND "first_seen" >= ? GROUP BY "role" ORDER BY "role"',
        [top, since],
    ).fetchall()
    return dict(rows)


def enrich(con: Any, config: AppConfig, now: datetime, full: bool = False) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    stats["identity"] = resolve_identities(con, now, full)
    stats["ranking"] = rank_leads(con, config, now, full)
    stats["new_leads"] = new_leads_per_role(con, now)
    return stats


def _as_dict(stats: Any) -> dict[str, Any]:
    if isinstance(stats, dict):
        return stats
    if hasattr(stats, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(stats)
    return {"result": str(stats)}
