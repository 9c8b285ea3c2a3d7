"""The scheduled nightly deployment, end to end on a real local Prefect server.

What an operator relies on: `deploy` refuses bad cron/time-zone/server
settings with one line; on a running server it registers
``talent-signals-nightly/<name>`` with the cron in the asked time zone; the
serving process picks up a triggered run, which completes and publishes the
warehouse (rows + a ``runs`` row with status success + the summary artifact).

The server is started here (random free port, its own PREFECT_HOME), so the
test needs nothing but the installed packages; the arXiv source is fed a
real Atom response by a tiny local http.server.
"""
from __future__ import annotations

import http.server
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from flows.deploy import FLOW_NAME, DeployError, check_api_health, deploy, nightly_schedule

REPO = Path(__file__).resolve().parents[1]
FEED = "arxiv-api-rs_search_all_RAG_max3_2026.xml"  # 3 real entries
SERVER_START_SECONDS = 90  # 4-20 s measured; a busy CI box is slower
RUN_SECONDS = 120


# --- validation: no server needed ------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    ({"cron": "0 2 * *"}, "--cron: invalid value '0 2 * *'"),
    ({"cron": "61 2 * * *"}, "--cron: invalid value '61 2 * * *'"),
    ({"timezone": "Mars/Olympus"}, "--timezone: invalid value 'Mars/Olympus'"),
    ({"timezone": "utc"}, "--timezone: invalid value 'utc'"),
    ({"name": "a/b"}, "--name: must be a non-empty name without '/'"),
])
def test_bad_cron_timezone_or_name_is_a_one_line_error(tmp_path, kwargs, message):
    config = _write_config(tmp_path, "http://127.0.0.1:9/api/query")
    with pytest.raises(DeployError) as info:
        deploy(config, serve=False, **kwargs)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_schedule_keeps_the_time_zone():
    schedule = nightly_schedule("30 1 * * 1-5", "Europe/Berlin")
    assert (schedule.cron, schedule.timezone) == ("30 1 * * 1-5", "Europe/Berlin")


def test_unreachable_server_error_says_how_to_start_one():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DeployError) as info:
        check_api_health(f"http://127.0.0.1:{port}/api", timeout=2)
    assert "prefect server start --host 127.0.0.1" in str(info.value)
    assert "PREFECT_API_URL=http://127.0.0.1:4200/api" in str(info.value)


def test_no_configured_server_is_refused_before_anything_is_sent(tmp_path):
    config = _write_config(tmp_path, "http://127.0.0.1:9/api/query")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    code = f"from flows.deploy import deploy; deploy({str(config)!r}, serve=False)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "DeployError: no Prefect server configured (PREFECT_API_URL is not set)" in done.stderr


# --- a real server ----------------------------------------------------------
@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    """``prefect server start`` on 127.0.0.1:<free port>; yields (api_url, env)."""
    if importlib.util.find_spec("prefect") is None:
        pytest.skip("prefect is not installed")
    home = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = _prefect_env(home, api_url)
    log = open(home / "server.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env={k: v for k, v in env.items() if k != "PREFECT_API_URL"}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_healthy(api_url, server, home / "server.log")
        yield api_url, env
    finally:
        _stop(server)
        log.close()


@pytest.fixture(scope="module")
def arxiv_feed(real_data):
    """A local export.arxiv.org stand-in answering every query with a real Atom response."""
    body = (real_data / "arxiv" / FEED).read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api/query"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.server
def test_deploy_registers_the_cron_schedule_in_its_time_zone(prefect_server, tmp_path):
    api_url, _ = prefect_server
    config = _write_config(tmp_path, "http://127.0.0.1:9/api/query")
    with _api(api_url):
        deployment_id = deploy(config, db="night.duckdb", cron="0 2 * * *", timezone="Europe/Berlin",
                               name="registered", serve=False)
        deployment = _client_call(lambda c: c.read_deployment_by_name(f"{FLOW_NAME}/registered"))
        assert str(deployment.id) == deployment_id
        assert deployment.entrypoint == "flows.nightly.nightly"
        assert deployment.parameters == {"config_path": str(config.resolve()),
                                         "db": str(Path("night.duckdb").resolve())}
        assert deployment.paused is False
        assert deployment.global_concurrency_limit.limit == 1
        (schedule,) = deployment.schedules
        assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == \
            ("0 2 * * *", "Europe/Berlin", True)
        upcoming = _wait_for_scheduled_runs(deployment.id)
    berlin = [run.expected_start_time.astimezone(ZoneInfo("Europe/Berlin")) for run in upcoming]
    assert berlin and all((t.hour, t.minute) == (2, 0) for t in berlin)


@pytest.mark.server
def test_served_deployment_runs_a_night_and_publishes_the_warehouse(prefect_server, arxiv_feed, tmp_path):
    api_url, env = prefect_server
    config = _write_config(tmp_path, arxiv_feed)
    db = tmp_path / "out" / "night.duckdb"
    server_log = tmp_path / "serve.log"
    served = _start_serving(config, db, "e2e", env, server_log)
    try:
        with _api(api_url):
            deployment = _wait_for_deployment(f"{FLOW_NAME}/e2e", served, server_log)
            assert deployment.schedules[0].schedule.timezone == "UTC"
            run = _client_call(lambda c: c.create_flow_run_from_deployment(deployment.id))
            finished = _wait_for_final_state(run.id, served, server_log)
            assert finished.state.is_completed(), f"{finished.state}\n{server_log.read_text()[-3000:]}"
            artifacts = _client_call(lambda c: c.read_artifacts())
            assert any(a.key == "night-summary" and a.flow_run_id == run.id for a in artifacts)
    finally:
        _stop(served)
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute('SELECT "status", "config_path" FROM "runs"').fetchall()
        papers = con.execute('SELECT count(*) FROM "raw_arxiv_papers"').fetchone()[0]
    assert runs == [("success", str(config.resolve()))]
    assert papers == 3
    assert not Path(str(db) + ".building").exists()


# --- helpers ------------------------------------------------------------------
def _write_config(tmp_path: Path, base_url: str) -> Path:
    config = tmp_path / "nightly.toml"
    config.write_text(
        '[warehouse]\npath = "out/night.duckdb"\n\n[sources.arxiv]\n'
        f'base_url = "{base_url}"\nqueries = ["all:RAG"]\npage_size = 3\nmax_results = 3\n'
        "delay_seconds = 0\ntimeout_seconds = 10\nnum_retries = 0\n",
        "utf-8",
    )
    return config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prefect_env(home: Path, api_url: str) -> dict[str, str]:
    """Offline, isolated Prefect settings; fast polling so the test takes seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({
        "PREFECT_HOME": str(home), "PREFECT_API_URL": api_url, "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
        "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(home / "results"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    })
    return env


def _wait_healthy(api_url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"prefect server exited during start-up:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                if response.read().strip() == b"true":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"prefect server not healthy after {SERVER_START_SECONDS}s:\n{log.read_text()[-3000:]}")


def _start_serving(config: Path, db: Path, name: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """The long-running serve process: the CLI once `deploy` is wired, else the function."""
    from flows import cli

    if "deploy" in cli.COMMANDS:
        command = [sys.executable, "-m", "flows.cli", "deploy", "--config", str(config), "--db", str(db),
                   "--name", name]
    else:
        code = f"from flows.deploy import deploy; deploy({str(config)!r}, db={str(db)!r}, name={name!r})"
        command = [sys.executable, "-c", code]
    with open(log, "wb") as out:
        return subprocess.Popen(command, env=env, cwd=config.parent, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM first (Prefect's runner and server shut down cleanly), then the whole group.

    Not SIGINT: a process started from a non-interactive shell may ignore it.
    """
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # leftovers such as a flow-run subprocess
    except ProcessLookupError:
        pass
    process.wait(timeout=15)


class _api:
    """Point this process's Prefect client at the test server."""

    def __init__(self, api_url: str):
        from prefect.settings import PREFECT_API_URL, temporary_settings

        self._context = temporary_settings(updates={PREFECT_API_URL: api_url})

    def __enter__(self):
        return self._context.__enter__()

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)


def _client_call(call):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return call(client)


def _poll(what: str, seconds: float, check, served: subprocess.Popen | None = None, log: Path | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if served is not None and served.poll() is not None:
            pytest.fail(f"serve process exited ({served.returncode}):\n{log.read_text()[-3000:]}")
        result = check()
        if result:
            return result
        time.sleep(0.5)
    tail = f":\n{log.read_text()[-3000:]}" if log else ""
    pytest.fail(f"{what} not seen within {seconds}s{tail}")


def _wait_for_deployment(name: str, served: subprocess.Popen, log: Path):
    from prefect.exceptions import ObjectNotFound

    def check():
        try:
            return _client_call(lambda c: c.read_deployment_by_name(name))
        except ObjectNotFound:
            return None

    return _poll(f"deployment {name}", 60, check, served, log)


def _wait_for_final_state(flow_run_id, served: subprocess.Popen, log: Path):
    def check():
        run = _client_call(lambda c: c.read_flow_run(flow_run_id))
        return run if run.state is not None and run.state.is_final() else None

    return _poll("a final state of the triggered run", RUN_SECONDS, check, served, log)


def _wait_for_scheduled_runs(deployment_id) -> list:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    def check():
        runs = _client_call(lambda c: c.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))))
        return [r for r in runs if r.state is not None and r.state.is_scheduled()]

    return _poll("the scheduler's upcoming runs", 30, check)
