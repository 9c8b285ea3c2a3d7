"""The one place that maps a configured source kind to its entry point."""
from __future__ import annotations

import importlib
from typing import Any, Callable, Iterator

from sources.records import Page

PullFn = Callable[[Any, dict[str, str]], Iterator[Page]]

# kind -> the module whose ``pull`` is its entry point (and whose loggers it logs under)
SOURCE_MODULES = {
    "arxiv": "sources.arxiv",
    "github": "sources.github",
    "conference": "sources.conferences",
    "internal": "sources.internal",
    "huggingface": "sources.huggingface",
}


def pull_function(kind: str) -> PullFn:
    """Source entry point for a kind; imported lazily (each pulls its own client library)."""
    if kind not in SOURCE_MODULES:
        raise ValueError(f"unknown source kind {kind!r}")
    return importlib.import_module(SOURCE_MODULES[kind]).pull
