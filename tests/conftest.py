"""Shared fixtures and test-run settings for every test in the project.

Databases (each test gets its own, already migrated to the newest Alembic revision):

- ``db_url`` (function scope, parametrized ``[sqlite]`` and ``[postgresql]``): the SQLAlchemy
  URL of a fresh, empty database at head, so a test using it runs once per backend. The
  PostgreSQL case carries the ``postgres`` marker (``-m "not postgres"`` runs SQLite only).
  SQLite: a file in ``tmp_path``. PostgreSQL: ``CREATE DATABASE ... TEMPLATE`` from a database
  migrated once per session, dropped (connections and all) after the test.
- ``sqlite_url`` (function): a fresh migrated SQLite file only, for tests that need one backend.
- ``postgres_url`` (function): a fresh migrated PostgreSQL database only.
- ``engine`` (function): ``data.db.make_engine(db_url)``, disposed after the test.
- ``session`` (function): a ``sqlalchemy.orm.Session`` on ``engine`` from
  ``data.db.make_session_factory`` (``expire_on_commit=False``, like the app), closed after.
- ``postgres_server`` (session): the admin URL
  ``postgresql+psycopg://postgres@127.0.0.1:PORT/postgres`` of a throwaway PostgreSQL cluster
  (see ``tests/postgres.py``) started once per test session (once per xdist worker).
- ``postgres_cluster`` (session): the same cluster as a ``tests.postgres.PostgresCluster``
  (port, ``url(name)``, ``conninfo()``), for tests that create databases of their own.
- ``redis_server`` (session): a throwaway ``redis-server`` (``tests.redis_server.RedisServer``:
  ``url(db)``), the Celery broker of the scale-out tests; tests using it are marked ``redis``.

When PostgreSQL is not installed or its server cannot start, the tests that need it are
skipped with the reason, unless ``LEGATO_REQUIRE_POSTGRES=1`` (``make test`` and CI set it
whenever PostgreSQL is installed), which turns the skip into a failure. Likewise for
``redis_server`` when ``redis-server`` is missing or cannot start (``LEGATO_REQUIRE_REDIS=1``,
set by ``make test`` whenever redis-server is installed).

Browser tests (dash[testing]'s ``dash_duo`` / ``dash_br`` fixtures):

- run in headless Chromium (``/usr/bin/chromium`` when present) through the chromedriver on
  ``PATH``, with the options of ``pytest_setup_options`` below; set ``LEGATO_BROWSER_HEADED=1``
  to watch them in a window instead;
- are marked ``browser`` automatically (so are all tests under ``tests/browser/``), and are
  skipped when Chromium or chromedriver is missing, unless ``LEGATO_REQUIRE_BROWSER=1``;
- under pytest-xdist each worker serves its Dash apps on its own range of ports.

Environment: every test runs with ``APP_ENV=test``, ``INSTANCE_PATH`` pointing into its own
``tmp_path`` and no ``DATABASE_URL`` or ``JOBS_IN_PROCESS`` from the developer's shell, so no
test can touch a real database, the ``instance/`` folder or start the job scheduler by accident.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests import postgres
from tests import redis_server as throwaway_redis

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

REQUIRE_POSTGRES_ENV = "LEGATO_REQUIRE_POSTGRES"
REQUIRE_BROWSER_ENV = "LEGATO_REQUIRE_BROWSER"
REQUIRE_REDIS_ENV = "LEGATO_REQUIRE_REDIS"
HEADED_ENV = "LEGATO_BROWSER_HEADED"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
BROWSER_FIXTURES = frozenset({"dash_duo", "dash_br", "dash_duo_mp"})
POSTGRES_FIXTURES = frozenset({"postgres_server", "postgres_cluster", "postgres_url"})
REDIS_FIXTURES = frozenset({"redis_server"})
CHROME_ARGUMENTS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1440,900",
)
DASH_FIRST_TEST_PORT = 58050
DASH_PORTS_PER_WORKER = 200


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _chromium_binary() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def _browser_problem() -> str | None:
    """Why browser tests cannot run here, or ``None`` when Chromium and chromedriver exist."""
    missing = []
    if _chromium_binary() is None:
        missing.append("Chromium (Debian package 'chromium')")
    if shutil.which("chromedriver") is None:
        missing.append("chromedriver (Debian package 'chromium-driver')")
    if missing:
        return f"browser test needs {' and '.join(missing)}; `make test` as root installs them"
    return None


def _xdist_worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... under xdist
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0


# --------------------------------------------------------------------------- pytest hooks


def pytest_configure(config: pytest.Config) -> None:
    """Run dash[testing] browsers headless by default and give each xdist worker its ports."""
    if hasattr(config.option, "headless") and not _env_flag(HEADED_ENV):
        config.option.headless = True
    try:
        from dash.testing.application_runners import BaseDashRunner
    except ImportError:  # dash[testing] not installed: no browser fixtures to configure
        return
    # dash's ThreadedRunner hands out ports from a class counter starting at 58050; parallel
    # workers would all start there, so move each worker to its own block of ports.
    BaseDashRunner._next_port = DASH_FIRST_TEST_PORT + DASH_PORTS_PER_WORKER * _xdist_worker_index()


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which PostgreSQL and browser the run will use (or why it cannot)."""
    bin_dir = postgres.find_bin_dir()
    browser_problem = _browser_problem()
    return [
        f"postgresql: {bin_dir or 'not installed'}"
        f" (required: {'yes' if _env_flag(REQUIRE_POSTGRES_ENV) else 'no'})",
        f"browser: {browser_problem or _chromium_binary()}"
        f" (required: {'yes' if _env_flag(REQUIRE_BROWSER_ENV) else 'no'},"
        f" headless: {'no' if _env_flag(HEADED_ENV) else 'yes'})",
        f"redis-server: {throwaway_redis.find_redis_server() or 'not installed'}"
        f" (required: {'yes' if _env_flag(REQUIRE_REDIS_ENV) else 'no'})",
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by what they need: ``browser``, ``postgres`` and ``redis``."""
    browser_dir = Path(__file__).resolve().parent / "browser"
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & BROWSER_FIXTURES or browser_dir in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
        if fixtures & POSTGRES_FIXTURES:
            item.add_marker(pytest.mark.postgres)
        if fixtures & REDIS_FIXTURES:
            item.add_marker(pytest.mark.redis)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or, when required, fail) browser tests on a machine without a browser."""
    if item.get_closest_marker("browser") is None:
        return
    problem = _browser_problem()
    if problem is None:
        return
    if _env_flag(REQUIRE_BROWSER_ENV):
        pytest.fail(f"{problem} ({REQUIRE_BROWSER_ENV}=1)", pytrace=False)
    pytest.skip(problem)


@pytest.hookimpl(optionalhook=True)
def pytest_setup_options() -> Any:
    """Chrome options for dash[testing]'s webdriver (a hook its pytest plugin calls).

    Returns a new ``selenium`` ``ChromeOptions`` per call (dash adds its own arguments to it).
    """
    from selenium.webdriver.chrome.options import Options

    options = Options()
    binary = _chromium_binary()
    if binary:
        options.binary_location = binary
    if not _env_flag(HEADED_ENV):
        options.add_argument("--headless=new")
    for argument in CHROME_ARGUMENTS:
        options.add_argument(argument)
    return options


# --------------------------------------------------------------------------- environment


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the developer's shell settings and ``instance/`` out of every test."""
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("JOBS_IN_PROCESS", raising=False)


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[postgres.PostgresCluster]:
    """A throwaway PostgreSQL cluster for this session (skips or fails when unavailable)."""
    try:
        cluster = postgres.start_cluster()
    except postgres.PostgresUnavailable as error:
        problem = str(error)
    else:
        problem = None
    if problem is not None:
        if _env_flag(REQUIRE_POSTGRES_ENV):
            pytest.fail(f"PostgreSQL required ({REQUIRE_POSTGRES_ENV}=1): {problem}", pytrace=False)
        pytest.skip(f"PostgreSQL unavailable: {problem}")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_server(postgres_cluster: postgres.PostgresCluster) -> str:
    """Admin URL ``postgresql+psycopg://postgres@127.0.0.1:PORT/postgres`` of the cluster."""
    return postgres_cluster.admin_url


@pytest.fixture(scope="session")
def _postgres_template(postgres_cluster: postgres.PostgresCluster) -> str:
    """Name of a database migrated to head once per session, copied by each test."""
    from data.migrate import upgrade

    name = "legato_template"
    upgrade(postgres.create_database(postgres_cluster, name))
    return name


@pytest.fixture
def postgres_url(
    postgres_cluster: postgres.PostgresCluster, _postgres_template: str
) -> Iterator[str]:
    """URL of a fresh PostgreSQL database at head, dropped after the test."""
    name = f"legato_test_{uuid.uuid4().hex[:16]}"
    url = postgres.create_database(postgres_cluster, name, template=_postgres_template)
    try:
        yield url
    finally:
        postgres.drop_database(postgres_cluster, name)


# --------------------------------------------------------------------------- Redis


@pytest.fixture(scope="session")
def redis_server() -> Iterator[throwaway_redis.RedisServer]:
    """A throwaway redis-server for this session (skips or fails when unavailable)."""
    try:
        server = throwaway_redis.start_server()
    except throwaway_redis.RedisUnavailable as error:
        problem = str(error)
    else:
        problem = None
    if problem is not None:
        if _env_flag(REQUIRE_REDIS_ENV):
            pytest.fail(f"redis-server required ({REQUIRE_REDIS_ENV}=1): {problem}", pytrace=False)
        pytest.skip(f"redis-server unavailable: {problem}")
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- SQLite


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session, copied by each test."""
    from data.migrate import upgrade

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """URL of a fresh SQLite database file at head inside ``tmp_path``."""
    path = tmp_path / "legato.db"
    shutil.copyfile(_sqlite_template, path)
    wal = Path(f"{_sqlite_template}-wal")  # normally checkpointed away when migrations close
    if wal.exists():
        shutil.copyfile(wal, f"{path}-wal")
    return f"sqlite:///{path}"


# --------------------------------------------------------------------------- both backends


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest) -> str:
    """URL of a fresh, empty database at head; the test runs once per backend."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An Engine on ``db_url`` made by ``data.db.make_engine``; disposed after the test."""
    from data.db import make_engine

    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A Session on ``engine`` (``expire_on_commit=False``, as in the app); closed after."""
    from data.db import make_session_factory

    with make_session_factory(engine)() as session:
        yield session
