"""Throwaway PostgreSQL clusters for the test suite.

Contract:
- :func:`find_bin_dir` locates ``initdb`` and ``pg_ctl``: only ``$LEGATO_PG_BIN`` when set, else the
  newest ``/usr/lib/postgresql/*/bin`` (Debian's layout), else the directory of ``pg_ctl`` on
  ``PATH``. It returns ``None`` when PostgreSQL is not installed.
- :func:`start_cluster` creates a new cluster in a fresh temporary directory, listening on
  127.0.0.1 on a free port and on a Unix socket inside that directory, with durability off
  (``fsync``, ``synchronous_commit``, ``full_page_writes``) and trust authentication for the
  superuser ``postgres``. It returns once the server accepts connections. When the process runs
  as root it runs the server as the ``postgres`` system user (PostgreSQL refuses root).
  It raises :class:`PostgresUnavailable`, with the server log when there is one, if the
  binaries, the ``postgres`` user or the server start are missing or fail; nothing is left
  running or on disk in that case.
- :meth:`PostgresCluster.stop` stops the server (immediate mode) and deletes the directory; it
  is idempotent and never raises.
- :func:`create_database` / :func:`drop_database` manage databases through an autocommit
  admin connection; ``drop_database`` terminates sessions still connected to the database.

Every cluster is private to the process that started it, so parallel test workers
(pytest-xdist) each get their own.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"
BIN_DIR_ENV = "LEGATO_PG_BIN"
SYSTEM_USER = "postgres"
SUPERUSER = "postgres"
SERVER_OPTIONS = "-F -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
START_TIMEOUT_SECONDS = 60
START_ATTEMPTS = 3
_LOG_TAIL_CHARS = 4000
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed here, or a throwaway cluster could not be started."""


@dataclass
class PostgresCluster:
    """A running throwaway cluster; ``stop()`` ends it and deletes its files."""

    bin_dir: Path
    base_dir: Path
    port: int
    run_as: str | None = None
    host: str = "127.0.0.1"
    _stopped: bool = field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory (``PGDATA``)."""
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        """The directory holding the server's Unix socket."""
        return self.base_dir / "socket"

    @property
    def log_file(self) -> Path:
        """The server log written by ``pg_ctl``."""
        return self.base_dir / "server.log"

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL (psycopg 3 driver) for ``database`` as the superuser, over TCP."""
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{database}"

    @property
    def admin_url(self) -> str:
        """The SQLAlchemy URL of the ``postgres`` maintenance database."""
        return self.url("postgres")

    def conninfo(self, database: str = "postgres") -> str:
        """A libpq connection string for ``database`` (for plain ``psycopg.connect``)."""
        return f"host={self.host} port={self.port} user={SUPERUSER} dbname={database}"

    def command(self, program: str, *args: str) -> list[str]:
        """The argv running ``program`` from the cluster's bin dir as the server's user."""
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        return [*prefix, str(self.bin_dir / program), *args]

    def stop(self) -> None:
        """Stop the server and delete the cluster directory; safe to call more than once."""
        if self._stopped:
            return
        self._stopped = True
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                _run(
                    self.command(
                        "pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"
                    ),
                    timeout=60,
                    cwd=self.base_dir,
                )
        shutil.rmtree(self.base_dir, ignore_errors=True)


def find_bin_dir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or ``None`` when not installed.

    ``$LEGATO_PG_BIN``, when set, is the only place looked at.
    """
    override = os.environ.get(BIN_DIR_ENV)
    candidates = [Path(override)] if override else []
    if not override:
        candidates.extend(
            sorted(Path("/").glob(DEBIAN_BIN_GLOB.lstrip("/")), key=_version_key)[::-1]
        )
        on_path = shutil.which("pg_ctl")
        if on_path:
            candidates.append(Path(on_path).resolve().parent)
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    return None


def start_cluster(bin_dir: Path | None = None) -> PostgresCluster:
    """Create and start a throwaway cluster; see the module docstring for the contract.

    Raises :class:`PostgresUnavailable` when it cannot; the message says why.
    """
    bin_dir = bin_dir or find_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable(
            f"PostgreSQL is not installed: no initdb and pg_ctl in "
            f"{os.environ.get(BIN_DIR_ENV) or f'{DEBIAN_BIN_GLOB} or on PATH'}; install the "
            f"Debian package 'postgresql' (`make test` does as root) or set {BIN_DIR_ENV}"
        )
    missing = [name for name in ("initdb", "pg_ctl") if not (bin_dir / name).is_file()]
    if missing:
        raise PostgresUnavailable(f"{' and '.join(missing)} not found in {bin_dir}")
    as_root = os.geteuid() == 0
    if as_root:
        _check_system_user()

    last_error: PostgresUnavailable | None = None
    for _ in range(START_ATTEMPTS):
        base_dir = Path(tempfile.mkdtemp(prefix="legato-pg-", dir="/tmp" if as_root else None))
        cluster = PostgresCluster(
            bin_dir=bin_dir,
            base_dir=base_dir,
            port=_free_port(),
            run_as=SYSTEM_USER if as_root else None,
        )
        try:
            _init_and_start(cluster)
        except PostgresUnavailable as error:
            cluster.stop()
            last_error = error
            if "could not bind" not in str(error) and "already in use" not in str(error):
                raise
            continue  # another process took the port between probing and binding: retry
        except BaseException:
            cluster.stop()
            raise
        return cluster
    assert last_error is not None
    raise last_error


@contextlib.contextmanager
def running_cluster(bin_dir: Path | None = None) -> Iterator[PostgresCluster]:
    """Context manager form of :func:`start_cluster`: the cluster is stopped on exit."""
    cluster = start_cluster(bin_dir)
    try:
        yield cluster
    finally:
        cluster.stop()


def create_database(cluster: PostgresCluster, name: str, template: str | None = None) -> str:
    """Create database ``name`` (optionally copied from ``template``); return its URL.

    ``name`` and ``template`` must be plain lower-case identifiers. The template database must
    have no open connections (PostgreSQL refuses to copy a database in use).
    """
    _check_identifier(name)
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        _check_identifier(template)
        statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
    with psycopg.connect(cluster.conninfo(), autocommit=True) as connection:
        connection.execute(statement)
    return cluster.url(name)


def drop_database(cluster: PostgresCluster, name: str) -> None:
    """Drop database ``name`` if it exists, disconnecting any sessions still using it."""
    _check_identifier(name)
    statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(cluster.conninfo(), autocommit=True) as connection:
        connection.execute(statement)


def _init_and_start(cluster: PostgresCluster) -> None:
    cluster.data_dir.mkdir(mode=0o700)
    cluster.socket_dir.mkdir()
    if cluster.run_as:
        for path in (cluster.base_dir, cluster.data_dir, cluster.socket_dir):
            shutil.chown(path, cluster.run_as, cluster.run_as)

    initdb = _run(
        cluster.command(
            "initdb",
            "-D",
            str(cluster.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ),
        timeout=120,
        cwd=cluster.base_dir,
    )
    if initdb.returncode != 0:
        raise PostgresUnavailable(f"initdb failed:\n{_tail(initdb.stdout + initdb.stderr)}")

    options = (
        f"{SERVER_OPTIONS} -p {cluster.port} -c listen_addresses={cluster.host}"
        f" -c unix_socket_directories={cluster.socket_dir}"
    )
    start = _run(
        cluster.command(
            "pg_ctl",
            "-D",
            str(cluster.data_dir),
            "-l",
            str(cluster.log_file),
            "-o",
            options,
            "-w",
            "-t",
            str(START_TIMEOUT_SECONDS),
            "start",
        ),
        timeout=START_TIMEOUT_SECONDS + 30,
        cwd=cluster.base_dir,
    )
    if start.returncode != 0:
        raise PostgresUnavailable(
            f"pg_ctl start failed:\n{_tail(start.stdout + start.stderr)}\n"
            f"server log:\n{_server_log(cluster)}"
        )
    _wait_until_accepting(cluster)


def _wait_until_accepting(cluster: PostgresCluster) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            with psycopg.connect(cluster.conninfo(), connect_timeout=5) as connection:
                connection.execute("SELECT 1")
            return
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                raise PostgresUnavailable(
                    f"server did not accept connections: {error}\n"
                    f"server log:\n{_server_log(cluster)}"
                ) from error
            time.sleep(0.1)


def _check_system_user() -> None:
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root but 'runuser' is missing (util-linux)")
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root but there is no '{SYSTEM_USER}' system user to run the server "
            "(the Debian 'postgresql' package creates it)"
        ) from None


def _run(
    command: Sequence[str], timeout: float, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    # cwd: the server user must be able to enter the working directory (initdb checks it).
    return subprocess.run(
        list(command),
        cwd=cwd or tempfile.gettempdir(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "LC_ALL": "C"},
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_log(cluster: PostgresCluster) -> str:
    try:
        return _tail(cluster.log_file.read_text(errors="replace"))
    except OSError:
        return "(no server log)"


def _tail(text: str) -> str:
    return text[-_LOG_TAIL_CHARS:].strip()


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)


def _check_identifier(name: str) -> None:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain lower-case database name: {name!r}")
