"""Put the nightly flow on a schedule, on a real Prefect server.

Why a real server: Prefect's ephemeral API (what ``talent-signals run``
uses) cannot schedule anything, so a deployment needs ``prefect server
start`` (or Prefect Cloud) and ``PREFECT_API_URL`` pointing at it.  We check
that before doing anything, so a missing server is a one-line message rather
than a stack trace from deep inside Prefect.

The deployment runs ``flows.nightly.nightly`` by *module path*, so the
serving process (or a worker) can start from any directory as long as
talent-signals is installed.  Paths in its parameters are absolute for the
same reason.  At most one night runs at a time: two nights would share the
``<db>.building`` staging file (see ``warehouse.publish``).
"""
from __future__ import annotations

import logging
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import flows  # noqa: F401  (sets offline Prefect settings before Prefect loads)
from flows.config import ConfigError, load_config

logger = logging.getLogger("talent_signals.deploy")

FLOW_NAME = "talent-signals-nightly"
DEFAULT_CRON = "0 2 * * *"
HEALTH_TIMEOUT_SECONDS = 5.0
START_SERVER_HINT = (
    "start one with `prefect server start --host 127.0.0.1` and set "
    "PREFECT_API_URL=http://127.0.0.1:4200/api"
)


class DeployError(ConfigError):
    """A deployment cannot be made; one-line message (the CLI prints ConfigErrors as such)."""


def configured_api_url() -> str:
    """PREFECT_API_URL from the environment or the active Prefect profile."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        raise DeployError(f"no Prefect server configured (PREFECT_API_URL is not set): {START_SERVER_HINT}")
    return str(url).rstrip("/")


def check_api_health(api_url: str, timeout: float = HEALTH_TIMEOUT_SECONDS) -> None:
    """``GET {api_url}/health`` must answer ``true`` within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:
            healthy = response.status == 200 and response.read().strip() == b"true"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeployError(f"Prefect server at {api_url} is not reachable ({reason}): {START_SERVER_HINT}") from None
    if not healthy:
        raise DeployError(f"Prefect server at {api_url} is not healthy: {START_SERVER_HINT}")


def nightly_schedule(cron: str, timezone: str) -> Any:
    """A ``prefect.schedules.Cron``, after Prefect's own validation of both fields.

    Validated here because Prefect would otherwise reject them only when the
    deployment is sent, with a multi-line pydantic error.
    """
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.schedules import Cron
    from pydantic import ValidationError

    try:
        CronSchedule(cron=cron, timezone=timezone)
    except ValidationError as exc:
        error = exc.errors()[0]
        option = "--timezone" if "timezone" in error["loc"] else "--cron"
        hint = " (an IANA name such as Europe/Berlin or UTC)" if option == "--timezone" \
            else " (five fields: minute hour day-of-month month day-of-week, e.g. '0 2 * * *')"
        value = timezone if option == "--timezone" else cron
        raise DeployError(f"{option}: invalid value {value!r}{hint}") from None
    return Cron(cron, timezone=timezone)


def deployment_parameters(config_path: str | Path, db: str | Path | None) -> dict[str, Any]:
    """Absolute paths: the flow run may start in another working directory."""
    return {
        "config_path": str(Path(config_path).expanduser().resolve()),
        "db": str(Path(db).expanduser().resolve()) if db else None,
    }


def build_deployment(config_path: str | Path, *, db: str | Path | None = None, cron: str = DEFAULT_CRON,
                     timezone: str = "UTC", name: str = "nightly", work_pool: str | None = None) -> Any:
    """Validate everything, then describe the deployment (nothing is sent yet)."""
    from prefect.types.entrypoint import EntrypointType

    from flows.nightly import nightly

    if not name or not name.strip() or "/" in name:
        raise DeployError(f"--name: must be a non-empty name without '/', got {name!r}")
    load_config(config_path, db=db)
    schedule = nightly_schedule(cron, timezone)
    check_api_health(configured_api_url())
    return nightly.to_deployment(
        name=name.strip(), schedule=schedule, parameters=deployment_parameters(config_path, db),
        paused=False, concurrency_limit=1, work_pool_name=work_pool,
        description=f"talent-signals nightly: {cron} ({timezone})",
        tags=["talent-signals"], entrypoint_type=EntrypointType.MODULE_PATH,
    )


def deploy(config_path: str | Path, *, db: str | Path | None = None, cron: str = DEFAULT_CRON,
           timezone: str = "UTC", name: str = "nightly", serve: bool = True,
           work_pool: str | None = None) -> str | None:
    """Create (or update) the scheduled deployment ``talent-signals-nightly/<name>``.

    ``serve=True`` then runs until interrupted, executing the scheduled and
    manually triggered runs in subprocesses of this one (one at a time), and
    returns None when stopped.
    ``serve=False`` only registers it, for a ``prefect worker`` on
    ``work_pool`` to execute, and returns the deployment id.
    """
    deployment = build_deployment(config_path, db=db, cron=cron, timezone=timezone, name=name,
                                  work_pool=work_pool)
    if not serve:
        deployment_id = str(deployment.apply())
        logger.info("deployment %s/%s registered (%s)", FLOW_NAME, deployment.name, deployment_id)
        return deployment_id
    _serve(deployment)
    return None


def _serve(deployment: Any) -> None:
    """Long-running: polls the server for this deployment's runs and executes them.

    ``limit=1``: one night at a time.  The schedule is paused when this
    process stops (no pile-up of late runs nobody executes); serving again
    resumes it.
    """
    from prefect import serve

    logger.info("serving %s/%s; runs start at the schedule or with "
                "`prefect deployment run '%s/%s'`", FLOW_NAME, deployment.name, FLOW_NAME, deployment.name)
    serve(deployment, limit=1, pause_on_shutdown=True, print_starting_message=False)
