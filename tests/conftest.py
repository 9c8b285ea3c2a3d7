"""Shared fixtures: ../shared data, an offline Prefect, the sample world."""
from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TALENT_SIGNALS_SHARED", REPO.parent / "shared"))
REAL = SHARED / "data" / "real"

# Prefect must never write into the user's ~/.prefect nor reuse cached results
# between test runs; set before anything imports prefect.
_PREFECT_HOME = Path(tempfile.mkdtemp(prefix="ts-prefect-"))
os.environ["PREFECT_HOME"] = str(_PREFECT_HOME)
os.environ["PREFECT_RESULTS_LOCAL_STORAGE_PATH"] = str(_PREFECT_HOME / "results")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """Path of ../shared/data/real; skips the test where it is absent."""
    if not REAL.is_dir():
        pytest.skip(f"real public data not found at {REAL} (needs ../shared next to the repo)")
    return REAL


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the whole session (starting one costs seconds)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def con():
    """An in-memory warehouse with every migration applied (a test file may define its own ``con``)."""
    from warehouse import connect, migrate

    connection = connect()
    migrate(connection)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def server():
    """The default generated sample world, served on 127.0.0.1 for one test
    module (a module needing another world defines its own ``server``)."""
    from sampleworld.generate import generate_world
    from sampleworld.server import serve

    with serve(generate_world()) as srv:
        yield srv


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy",
                   "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def network_environment(monkeypatch, *, proxy: str | None = None, ca_bundle: str | None = None) -> None:
    """The environment `requests` reads: no proxy variables and no CA bundle,
    then ``HTTPS_PROXY`` and ``REQUESTS_CA_BUNDLE`` when given (a corporate network)."""
    for name in (*PROXY_VARIABLES, "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    if proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy)
    if ca_bundle:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_bundle)


@contextlib.contextmanager
def local_http_server(handler_class, poll_interval: float = 0.02):
    """Serve ``handler_class`` on a free 127.0.0.1 port in a daemon thread; yields the base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
