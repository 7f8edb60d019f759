"""Throwaway Redis servers for the test suite (the Celery broker and result backend).

Contract:
- :func:`find_redis_server` returns the ``redis-server`` binary: ``$LEGATO_REDIS_SERVER``
  when set, else the one on ``PATH`` (Debian package ``redis-server``); ``None`` when
  there is none.
- :func:`start_server` runs ``redis-server`` in the foreground as a child process in a fresh
  temporary directory, listening on 127.0.0.1 on a free port, with persistence off
  (``--save ''``, ``--appendonly no``), and returns once it answers ``PING``. It raises
  :class:`RedisUnavailable`, with the server's log, when the binary is missing or the
  server does not start; nothing is left running or on disk in that case.
- :meth:`RedisServer.stop` ends the server and deletes its directory; it is idempotent and
  never raises.

Every server is private to the process that started it, so parallel test workers
(pytest-xdist) each get their own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

BINARY_ENV = "LEGATO_REDIS_SERVER"
START_TIMEOUT_SECONDS = 20
START_ATTEMPTS = 3
_LOG_TAIL_CHARS = 4000


class RedisUnavailable(RuntimeError):
    """redis-server is not installed here, or a throwaway server could not be started."""


@dataclass
class RedisServer:
    """A running throwaway server; ``stop()`` ends it and deletes its files."""

    process: subprocess.Popen[bytes]
    base_dir: Path
    port: int
    host: str = "127.0.0.1"
    _stopped: bool = field(default=False, repr=False)

    def url(self, database: int = 0) -> str:
        """A ``redis://`` URL of logical database ``database`` (0-15)."""
        return f"redis://{self.host}:{self.port}/{database}"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "redis.log"

    def stop(self) -> None:
        """Stop the server and delete its directory; safe to call more than once."""
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.base_dir, ignore_errors=True)


def find_redis_server() -> str | None:
    """The ``redis-server`` binary to run, or ``None`` when not installed."""
    override = os.environ.get(BINARY_ENV)
    if override:
        return override if Path(override).is_file() else None
    return shutil.which("redis-server")


def start_server(binary: str | None = None) -> RedisServer:
    """Start a throwaway server; see the module docstring for the contract.

    Raises :class:`RedisUnavailable` when it cannot; the message says why.
    """
    binary = binary or find_redis_server()
    if binary is None:
        raise RedisUnavailable(
            f"redis-server is not installed ({os.environ.get(BINARY_ENV) or 'not on PATH'}); "
            f"install the Debian package 'redis-server' (`make test` does as root) or set "
            f"{BINARY_ENV}"
        )
    last_error: RedisUnavailable | None = None
    for _ in range(START_ATTEMPTS):
        base_dir = Path(tempfile.mkdtemp(prefix="legato-redis-"))
        port = _free_port()
        log_file = base_dir / "redis.log"
        command = [
            binary,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--dir", str(base_dir),
            "--logfile", str(log_file),
        ]  # fmt: skip
        process = subprocess.Popen(
            command,
            cwd=base_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        server = RedisServer(process=process, base_dir=base_dir, port=port)
        try:
            _wait_until_answering(server)
        except RedisUnavailable as error:
            server.stop()
            last_error = error
            if "Address already in use" not in str(error):
                raise
            continue  # another process took the port between probing and binding: retry
        except BaseException:
            server.stop()
            raise
        return server
    assert last_error is not None
    raise last_error


def _wait_until_answering(server: RedisServer) -> None:
    client = redis.Redis(host=server.host, port=server.port, socket_connect_timeout=1)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    try:
        while True:
            if server.process.poll() is not None:
                raise RedisUnavailable(
                    f"redis-server exited with status {server.process.returncode}:\n"
                    f"{_server_log(server)}"
                )
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    return
            if time.monotonic() > deadline:
                raise RedisUnavailable(
                    f"redis-server did not answer PING within {START_TIMEOUT_SECONDS} s:\n"
                    f"{_server_log(server)}"
                )
            time.sleep(0.05)
    finally:
        client.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_log(server: RedisServer) -> str:
    try:
        return server.log_file.read_text(errors="replace")[-_LOG_TAIL_CHARS:].strip()
    except OSError:
        return "(no server log)"
