"""The night's summary: on the terminal and as a Prefect markdown artifact."""
from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("talent_signals.report")


def summary_rows(summary: Any) -> list[tuple[str, str, int, int, str]]:
    return [(o.source, o.status, o.pages, o.records, o.error or "") for o in summary.outcomes]


def summary_markdown(summary: Any) -> str:
    lines = [
        f"# talent-signals night `{summary.run_id}`: **{summary.status}**",
        "", f"Warehouse: `{summary.warehouse}`", "",
        "| source | status | pages | records | error |", "|---|---|---:|---:|---|",
    ]
    for source, status, pages, records, error in summary_rows(summary):
        lines.append(f"| {source} | {status} | {pages} | {records} | {error.replace('|', '/')[:200]} |")
    new_leads = summary.enrich.get("new_leads") or {}
    if new_leads:
        lines += ["", "| role | new leads in top 50 |", "|---|---:|"]
        lines += [f"| {role} | {count} |" for role, count in new_leads.items()]
    privacy = summary.enrich.get("privacy") or {}
    purged = privacy.get("purged") or {}
    lines += ["", f"Retention purged {sum(purged.values())} rows"
              f" (older than {privacy.get('retention_days', '?')} days); "
              f"suppression removed {privacy.get('suppressed_rows', 0)} rows."]
    return "\n".join(lines)


def summary_text(summary: Any) -> str:
    width = max([len(s.source) for s in summary.outcomes] + [6])
    lines = [f"Night {summary.run_id}: {summary.status.upper()}  ->  {summary.warehouse}"]
    for source, status, pages, records, error in summary_rows(summary):
        tail = f"  {error[:160]}" if error else ""
        lines.append(f"  {source:<{width}}  {status:<12} {pages:>5} pages {records:>7} records{tail}")
    purged = (summary.enrich.get("privacy") or {}).get("purged") or {}
    suppressed = (summary.enrich.get("privacy") or {}).get("suppressed_rows") or 0
    lines.append(f"  privacy: {sum(purged.values())} rows purged by retention, {suppressed} suppressed rows removed")
    new_leads = summary.enrich.get("new_leads") or {}
    if new_leads:
        lines.append("  new leads (top 50): " + ", ".join(f"{r} {n}" for r, n in new_leads.items()))
    return "\n".join(lines)


def publish_artifact(summary: Any) -> None:
    """Attach the summary to the Prefect flow run (skipped outside a flow run)."""
    try:
        from prefect.artifacts import create_markdown_artifact
        from prefect.context import FlowRunContext

        if FlowRunContext.get() is None:
            return
        create_markdown_artifact(markdown=summary_markdown(summary), key="night-summary",
                                 description=f"talent-signals night {summary.run_id}")
    except Exception as exc:  # an artifact must never fail a published night
        logger.warning("could not create the summary artifact: %s", exc)
