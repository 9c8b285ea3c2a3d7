"""A source's page generator run in a process of its own.

Why: the night pulls every source at once in threads of one process, and
Python runs one thread's bytecode at a time.  A quiet night is thousands of
conditional GitHub requests (≈ 1 ms of our CPU each: header parsing, pool
bookkeeping) interleaved with the conference parsers and the arXiv feed
parser, so the whole pull stage was bound to one core while the other
waited.  In a process of its own the GitHub source uses the second core
(at 100k people the incremental night's pull went from 12.5 s to ≈ 8 s,
benchmarks/RESULTS.md).

Only what crosses the pipe changes: the child imports the source, runs
``pull_function(kind)(settings, state)`` and sends each `Page` back as it is
yielded (the pipe's buffer is the back-pressure: the child waits while the
night loads).  The child's log records are re-emitted by the parent under
their own logger names, so they reach the Prefect run log.  An exception in
the child is raised again in the parent with its own type (a `RateLimited`
still stops the source cleanly); a child that dies without a word is a
`SourceError` naming its exit code.  Pages received before a failure have
been yielded already, so they are loaded as with a thread.  When the
consumer stops early the child is terminated.

The token never crosses the pipe: settings only name the environment
variable that holds it (`sources.github.settings`), which the child
inherits.  Configured by ``[flow] own_process`` (source kinds; default
``["github"]``; ``[]`` runs every source in a thread).
"""
from __future__ import annotations

import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from flows.wiring import SOURCE_MODULES, pull_function
from sources.errors import SourceError
from sources.records import Page

logger = logging.getLogger(__name__)

DEFAULT_OWN_PROCESS = ("github",)
_JOIN_SECONDS = 10
_GRACE_SECONDS = 0.5
_LENGTH = struct.Struct(">Q")


def own_process_kinds(options: dict[str, Any]) -> tuple[str, ...]:
    """``[flow] own_process``: the source kinds pulled in a process of their own.

    arXiv sources share one request gate across threads (arXiv allows one
    request every 3 s per client), so they cannot leave the process."""
    value = options.get("flow", {}).get("own_process", list(DEFAULT_OWN_PROCESS))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"flow.own_process: expected a list of source kinds, got {value!r}")
    unknown = [v for v in value if v not in SOURCE_MODULES]
    if unknown:
        raise ValueError(f"flow.own_process: unknown source kind {unknown[0]!r} (one of {', '.join(SOURCE_MODULES)})")
    if "arxiv" in value:
        raise ValueError("flow.own_process: arxiv sources share a request gate with each other and stay in threads")
    return tuple(value)


def pull_in_own_process(kind: str, settings: Any, state: dict[str, str], name: str = "") -> Iterator[Page]:
    """The pages of ``pull_function(kind)(settings, state)``, pulled in a child process.

    The child is ``python -m flows.isolation`` rather than a multiprocessing
    spawn: a spawn re-imports the parent's ``__main__`` (the CLI, hence
    Prefect: ≈ 2 s of CPU) before it starts."""
    name = name or kind
    process = subprocess.Popen([sys.executable, "-m", "flows.isolation"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, env=_child_environment())
    finished = False
    try:
        try:
            _write_frame(process.stdin, (kind, settings, state, _log_level(kind)))
            process.stdin.close()
        except BrokenPipeError:   # it ended before reading: _receive reports how
            pass
        yield from _receive(process, name)
        finished = True
    finally:
        _stop(process, finished)


def _log_level(kind: str) -> int:
    """The lowest level the parent would show for the source's records (the
    parent filters each record again by its logger)."""
    return min(logging.getLogger(name).getEffectiveLevel() for name in ("", "sources", SOURCE_MODULES.get(kind, "sources")))


def _child_environment() -> dict[str, str]:
    """Ours, with this checkout first on the path (the child imports the same code)."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    return env


def _receive(process: subprocess.Popen, name: str) -> Iterator[Page]:
    while True:
        frame = _read_frame(process.stdout)
        if frame is None:
            try:
                code = process.wait(_JOIN_SECONDS)
            except subprocess.TimeoutExpired:
                code = None
            raise SourceError(f"{name}: its process ended without finishing (exit code {code})")
        message, value = frame
        if message == "page":
            yield value
        elif message == "log":
            target = logging.getLogger(value.name)
            if target.isEnabledFor(value.levelno):
                target.handle(value)
        elif message == "error":
            raise value
        else:  # "done"
            return


def _stop(process: subprocess.Popen, finished: bool) -> None:
    """Wait for a child that finished; one that failed, or that the night stopped
    reading from, gets a moment to end (it notices the closed pipe), then is killed."""
    process.stdout.close()
    try:
        process.wait(_JOIN_SECONDS if finished else _GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(_JOIN_SECONDS)


# --- frames: an 8-byte length, then a pickle ---------------------------------------------------
def _frame(value: Any) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def _write_frame(stream: BinaryIO, value: Any) -> None:
    stream.write(_frame(value))
    stream.flush()


class _Frames:
    """The child's frame stream; the GitHub source logs from its worker threads
    while the main thread sends pages, so whole frames take turns."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.lock = stream, threading.Lock()

    def send(self, value: Any) -> None:
        frame = _frame(value)   # pickled outside the lock
        try:
            with self.lock:
                self.stream.write(frame)
                self.stream.flush()
        except OSError as exc:
            raise _PipeClosed from exc


class _PipeClosed(Exception):
    """A write to the parent failed (its cause says how): the night stopped
    listening.  Apart from the source's own OSErrors, which go to the parent."""


def _read_frame(stream: BinaryIO) -> Any | None:
    """The next value, or None at the end of the stream (a torn frame is an end too)."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    return pickle.loads(data) if len(data) == size else None


# --- in the child -------------------------------------------------------------------------
def _child_main() -> int:
    """Read (kind, settings, state, log level) on stdin; write frames on stdout.

    Anything else written to stdout (a stray print) would corrupt the frames,
    so the frames get the original stdout and fd 1 becomes stderr."""
    frames = _Frames(os.fdopen(os.dup(1), "wb"))
    os.dup2(2, 1)
    kind, settings, state, level = _read_frame(sys.stdin.buffer)
    root = logging.getLogger()
    root.handlers[:] = [_PipeHandler(frames)]
    root.setLevel(level)
    try:
        for page in pull_function(kind)(settings, state):
            frames.send(("page", page))
        frames.send(("done", None))
    except _PipeClosed as closed:   # the night stopped listening: nothing left to tell
        return 0 if isinstance(closed.__cause__, BrokenPipeError) else 1
    except BaseException as exc:  # every failure is the parent's to handle, with its type
        _send_quietly(frames, ("error", _portable(exc)))
    return 0


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling, else a SourceError with its text
    (the traceback goes to the log either way: the parent only sees the message)."""
    logging.getLogger(__name__).debug("source process failed:\n%s", "".join(traceback.format_exception(exc)))
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return SourceError(f"{type(exc).__name__}: {exc}")


def _send_quietly(frames: _Frames, message: Any) -> None:
    try:
        frames.send(message)
    except _PipeClosed:
        pass


class _PipeHandler(logging.Handler):
    """Log records to the parent, message formatted here (arguments may not pickle)."""

    def __init__(self, frames: _Frames) -> None:
        super().__init__()
        self.frames = frames

    def emit(self, record: logging.LogRecord) -> None:
        try:
            record.msg, record.args = record.getMessage(), None
            if record.exc_info:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            self.frames.send(("log", record))
        except _PipeClosed:
            pass
        except Exception:
            self.handleError(record)


if __name__ == "__main__":
    sys.exit(_child_main())
