"""Progress bars for long pulls on the CLI (Prefect logs carry the same progress)."""
from __future__ import annotations

import sys
import threading


class ProgressBars:
    """One tqdm bar per source, updated from the source tasks' threads.

    Disabled when stderr is not a terminal (CI, cron) or when asked: then
    the per-page log lines are the progress report.
    """

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and sys.stderr.isatty()
        self._bars: dict[str, object] = {}
        self._lock = threading.Lock()

    def update(self, source: str, pages: int, records: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        with self._lock:
            bar = self._bars.get(source)
            if bar is None:
                bar = self._bars[source] = tqdm(desc=source, unit=" records", position=len(self._bars), leave=True)
            bar.n = records
            bar.set_postfix(pages=pages)
            bar.refresh()

    def __enter__(self) -> "ProgressBars":
        return self

    def __exit__(self, *exc) -> None:
        for bar in self._bars.values():
            bar.close()
