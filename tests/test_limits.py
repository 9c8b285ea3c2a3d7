"""The arXiv rate limit shared through Prefect: created with the right decay, applied per request."""
from __future__ import annotations

from prefect.client.orchestration import get_client

from flows.limits import ARXIV_LIMIT, arxiv_gate, ensure_rate_limit


def test_no_gate_when_no_pacing_is_asked():
    assert arxiv_gate(0) is None


def test_gate_creates_a_global_limit_releasing_one_slot_per_delay(prefect_harness):
    gate = arxiv_gate(3.0)
    assert gate is not None
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(ARXIV_LIMIT)
    assert limit.limit == 1 and abs(limit.slot_decay_per_second - 1 / 3) < 1e-9
    assert ensure_rate_limit(ARXIV_LIMIT, 0.05)  # re-tuning an existing limit works
    gate = arxiv_gate(0.05)
    for _ in range(3):
        gate()  # takes a slot each time; no error against a real Prefect API


def test_arxiv_client_calls_the_gate_before_every_request(monkeypatch):
    from sources.arxiv.client import build_client
    from sources.arxiv.settings import ArxivSettings

    calls = []
    settings = ArxivSettings.from_dict("arxiv", {"queries": ["all:x"], "base_url": "http://127.0.0.1:9/api/query",
                                                  "delay_seconds": 3.0, "num_retries": 0, "timeout_seconds": 1})
    client = build_client(settings, before_request=lambda: calls.append(1))
    assert client.delay_seconds == 0.0  # the shared gate paces instead of the client
    try:
        client._session.request("GET", "http://127.0.0.1:9/api/query?x")
    except Exception:
        pass  # nothing listens on port 9: the gate was still consulted first
    assert calls == [1]
