"""Prefect flows, config and the CLI: wiring only.

Prefect settings that keep a night offline are set here, before Prefect is
imported anywhere: no telemetry calls, and a generous start-up timeout for
the ephemeral API on a busy 2-core machine.
"""
import os

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_LOGGING_LOG_PRINTS", "false")
# Our own loggers (source progress, loads, resolution) also go to the Prefect UI.
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "talent_signals,sources,warehouse,enrich,flows")
# ... and outside a flow run (CLI exports, tests) they simply stay local.
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
