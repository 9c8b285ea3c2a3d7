"""Shared fixtures: where ../shared lives, and a skip when it is absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TALENT_SIGNALS_SHARED", REPO.parent / "shared"))
REAL = SHARED / "data" / "real"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """Path of ../shared/data/real; skips the test where it is absent."""
    if not REAL.is_dir():
        pytest.skip(f"real public data not found at {REAL} (needs ../shared next to the repo)")
    return REAL
