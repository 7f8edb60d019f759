"""The write gate: ingest write transactions on one SQLite file take turns, without polling.

SQLite allows one writer at a time; a second writer waits in SQLite's busy handler, which
sleeps in growing steps (up to 100 ms) and so leaves the lock idle after it is released.
Under sustained ingest that idle time costs more than the writes themselves. The gate
queues the writers of every process in the kernel instead (``fcntl.flock`` on a file next
to the database, plus a thread lock within a process): a waiting request starts writing as
soon as the previous one commits. Other writers (the rollup job, the CLI) do not take the
gate; against them SQLite's own busy timeout still applies.

Contract of :meth:`WriteGate.hold`: while it is held, no other ingest request on the same
database file is between its first write and its commit. Waiting longer than ``timeout``
seconds raises :class:`GateTimeout` (the service answers 503 with ``Retry-After``). The
lock is released on exit, and by the kernel when a process dies (a SIGKILLed worker never
leaves it held). For PostgreSQL (row-level locking) :data:`NO_GATE` is used: it does nothing.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

POLL_SECONDS = 0.0005


class GateTimeout(TimeoutError):
    """The gate was not free within the timeout."""


class WriteGate:
    """See the module docstring. One per app; safe to use from several threads."""

    def __init__(self, path: str | None, timeout: float = 5.0) -> None:
        self.path = path
        self.timeout = timeout
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _descriptor(self) -> int:
        # One descriptor per process: flock locks belong to the open file description, which
        # a forked child would share with its parent.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # type: ignore[arg-type]
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the gate for the body (see the module docstring)."""
        if self.path is None:
            yield
            return
        deadline = time.monotonic() + self.timeout
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise GateTimeout("the ingest write gate is busy")
        try:
            fd = self._descriptor()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise GateTimeout("the ingest write gate is busy") from None
                    time.sleep(POLL_SECONDS)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


NO_GATE = WriteGate(None)


def gate_for(database_url: str, timeout: float = 5.0) -> WriteGate:
    """The gate for ``database_url``: a lock file beside a SQLite file, else :data:`NO_GATE`."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return NO_GATE
    return WriteGate(f"{url.database}.ingest-lock", timeout)
