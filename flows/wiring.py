"""The one place that maps a configured source kind to its entry point."""
from __future__ import annotations

from typing import Any, Callable, Iterator

from sources.records import Page

PullFn = Callable[[Any, dict[str, str]], Iterator[Page]]


def pull_function(kind: str) -> PullFn:
    """Source entry point for a kind; imported lazily (each pulls its own client library)."""
    if kind == "arxiv":
        from sources.arxiv import pull
    elif kind == "github":
        from sources.github import pull
    elif kind == "conference":
        from sources.conferences import pull
    elif kind == "internal":
        from sources.internal import pull
    elif kind == "huggingface":
        from sources.huggingface import pull
    else:
        raise ValueError(f"unknown source kind {kind!r}")
    return pull
