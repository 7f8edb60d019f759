"""Scale-out mode (``CELERY_BROKER_URL`` set) end to end, with real parts only: a throwaway
``redis-server`` (broker and result backend), the Procfile's ``worker`` command
(``flask --app app jobs worker``, a Celery worker with embedded beat) as a subprocess on a
migrated SQLite file, and the web side as a Flask app in this process on the same file and
broker. Jobs sent by the admin console's "Run now" and the Export page's background
callback both run on the worker, never in the web process."""

from __future__ import annotations

import base64
import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from dash import CeleryManager
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from app import create_app
from app.background import CELERY_EXTENSION_KEY, JOB_QUEUE_EXTENSION_KEY
from app.celery_app import BEAT_SCHEDULE_FILE, SKIPPED, job_task_name
from app.dash_app import EXTENSION_KEY as DASH_EXTENSION_KEY
from app.database import get_database
from app.jobs.console import EXTENSION_KEY as JOB_CONSOLE_KEY
from app.jobs.console import QUEUED
from app.jobs.registry import JOBS
from app.jobs.scheduler import EXTENSION_KEY as SCHEDULER_KEY
from data.db import make_engine, make_session_factory, utcnow
from data.models import JobLock, JobRun, WriterDaily
from data.writes import insert_events
from tests.factories import ACCOUNTS, WRITER_PASSWORD, build_small_platform
from tests.integration.conftest import dash_csrf_headers
from tests.integration.test_export_access import request_payload
from tests.integration.test_export_access import run_job as run_export_job
from tests.redis_server import RedisServer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "test-secret-key"
WORKER_START_SECONDS = 90
JOB_SECONDS = 60
LOG_TAIL_CHARS = 6000
#: The Procfile's ``worker`` command, with one solo process (jobs run one at a time).
WORKER_COMMAND = (
    sys.executable, "-m", "flask", "--app", "app", "jobs", "worker",
    "--pool", "solo", "--concurrency", "1",
)  # fmt: skip
TODAY = datetime.now(UTC).date()
#: A day the small platform has no events on: the rollup job must create its rows.
QUIET_DAY = TODAY - timedelta(days=20)

T = TypeVar("T")

# Dash registers each background callback as a *shared* Celery task, so every Celery app
# built later in a process (here: one per test app) gets the first app's callable under the
# same name, and Celery warns. Only the worker (one app) runs them; web apps send by name.
pytestmark = [
    pytest.mark.slow,  # a worker start (~10 s) and several round trips through Redis
    pytest.mark.filterwarnings(
        "ignore:Task name 'background_callback_:celery.exceptions.DuplicateTaskNameWarning"
    ),
]


@dataclass
class CeleryStack:
    """The worker subprocess and what it shares with the web side."""

    database_url: str
    broker_url: str
    worker_instance: Path
    worker: subprocess.Popen[bytes]
    log_file: Path

    def log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-LOG_TAIL_CHARS:]
        except OSError:
            return "(no worker log)"


def _wait_for(what: str, stack: CeleryStack, probe: Callable[[], T | None], seconds: float) -> T:
    """Poll ``probe`` until it returns something other than ``None`` (or fail with the
    worker's log)."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found is not None:
            return found
        if stack.worker.poll() is not None:
            pytest.fail(
                f"the Celery worker exited ({stack.worker.returncode}) while waiting for "
                f"{what}:\n{stack.log_tail()}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {seconds} s; worker log:\n{stack.log_tail()}")
        time.sleep(0.2)


def _stop(worker: subprocess.Popen[bytes]) -> None:
    """End the worker and everything it started (embedded beat): its process group."""
    if worker.poll() is not None:
        return
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=20)


@pytest.fixture(scope="module")
def celery_stack(
    redis_server: RedisServer,
    _sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CeleryStack]:
    """A migrated SQLite file with the small platform, and the Procfile's worker on it."""
    base = tmp_path_factory.mktemp("celery-stack")
    database = base / "legato.db"
    shutil.copyfile(_sqlite_template, database)
    database_url = f"sqlite:///{database}"
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        build_small_platform(session, TODAY)
    engine.dispose()

    broker_url = redis_server.url(1)
    worker_instance = base / "worker-instance"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("JOBS_IN_PROCESS", "CELERY_RESULT_BACKEND", "FLASK_APP")
    }
    env.update(
        APP_ENV="test",
        DATABASE_URL=database_url,
        INSTANCE_PATH=str(worker_instance),
        SECRET_KEY=SECRET_KEY,
        CELERY_BROKER_URL=broker_url,
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    log_file = base / "worker.log"
    with log_file.open("wb") as log:
        worker = subprocess.Popen(
            WORKER_COMMAND,
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, ended as a whole below
        )
    stack = CeleryStack(database_url, broker_url, worker_instance, worker, log_file)
    try:
        yield stack
    finally:
        _stop(worker)


@pytest.fixture
def app(celery_stack: CeleryStack, tmp_path: Path) -> Iterator[Flask]:
    """The web side: an app on the stack's database and broker (``client`` and ``login``
    of tests/integration/conftest.py use it). Waits until the worker answers."""
    flask_app = create_app(
        {
            "APP_ENV": "test",
            "DATABASE_URL": celery_stack.database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": SECRET_KEY,
            "LOG_LEVEL": "WARNING",
            "TESTING": True,
            "CELERY_BROKER_URL": celery_stack.broker_url,
            "JOBS_IN_PROCESS": True,  # ignored with a broker: the web process runs no jobs
        }
    )
    celery_app = flask_app.extensions[CELERY_EXTENSION_KEY]
    _wait_for(
        "answer from the Celery worker",
        celery_stack,
        lambda: celery_app.control.ping(timeout=0.5) or None,
        WORKER_START_SECONDS,
    )
    yield flask_app
    get_database(flask_app).engine.dispose()


def _runs(flask_app: Flask, job_name: str) -> list[JobRun]:
    with get_database(flask_app).session() as session:
        return list(
            session.scalars(select(JobRun).where(JobRun.job_name == job_name).order_by(JobRun.id))
        )


def _finished_run(flask_app: Flask, stack: CeleryStack, job_name: str, trigger: str) -> JobRun:
    def probe() -> JobRun | None:
        runs = [run for run in _runs(flask_app, job_name) if run.trigger == trigger]
        return runs[-1] if runs and runs[-1].status != "running" else None

    return _wait_for(f"finished {trigger} run of {job_name}", stack, probe, JOB_SECONDS)


def test_the_web_process_sends_work_to_celery(app: Flask) -> None:
    assert SCHEDULER_KEY not in app.extensions  # JOBS_IN_PROCESS=true did not start one
    dash_app = app.extensions[DASH_EXTENSION_KEY]
    assert isinstance(dash_app._background_manager, CeleryManager)
    celery_app = app.extensions[CELERY_EXTENSION_KEY]
    assert dash_app._background_manager.handle is celery_app  # one Celery app for both
    names = set(celery_app.tasks)
    assert {job_task_name(name) for name in JOBS} <= names
    assert any(name.startswith("background_callback_") for name in names)


def test_the_worker_registers_jobs_and_background_callbacks(
    app: Flask, celery_stack: CeleryStack
) -> None:
    celery_app = app.extensions[CELERY_EXTENSION_KEY]
    registered = celery_app.control.inspect(timeout=5).registered() or {}
    assert len(registered) == 1, registered
    (tasks,) = registered.values()
    assert {job_task_name(name) for name in JOBS} <= set(tasks)
    web_callbacks = {name for name in celery_app.tasks if name.startswith("background_callback_")}
    assert web_callbacks <= set(tasks)  # the same callbacks, under the same names


def test_the_procfile_worker_runs_beat(app: Flask, celery_stack: CeleryStack) -> None:
    schedule = celery_stack.worker_instance / BEAT_SCHEDULE_FILE

    def beat_started() -> bool | None:
        return True if list(schedule.parent.glob(f"{BEAT_SCHEDULE_FILE}*")) else None

    assert _wait_for("beat schedule file", celery_stack, beat_started, WORKER_START_SECONDS)
    assert "beat: Starting" in celery_stack.log_tail()


def test_run_now_runs_the_job_on_the_worker(app: Flask, celery_stack: CeleryStack) -> None:
    with get_database(app).session() as session:
        assert session.get(WriterDaily, (1, QUIET_DAY)) is None
        stamp = datetime.combine(QUIET_DAY, datetime.min.time()) + timedelta(hours=9)
        insert_events(
            session,
            [
                {
                    "source": "test",
                    "message_id": f"celery-{reader}",
                    "event_type": "chapter_start",
                    "event_name": "chapter_start",
                    "user_id": f"r{reader}",
                    "reader_id": reader,
                    "writer_id": 1,
                    "story_id": 10,
                    "chapter_id": 100,
                    "occurred_at": stamp,
                    "received_at": stamp,
                }
                for reader in (1, 2)
            ],
        )
        session.commit()
    console = app.extensions[JOB_CONSOLE_KEY]
    assert console.start("rollups", requested_by="Admin") == QUEUED
    run = _finished_run(app, celery_stack, "rollups", "console")
    assert run.status == "succeeded", run.error
    assert run.params == {"requested_by": "Admin"}
    with get_database(app).session() as session:
        day = session.get(WriterDaily, (1, QUIET_DAY))
        assert day is not None
        assert day.chapter_views == 2
        assert session.scalar(select(JobLock).where(JobLock.job_name == "rollups")) is None
    console.join(timeout=JOB_SECONDS)  # the queued task's result is in the backend too


def test_a_queued_job_reports_its_result(app: Flask, celery_stack: CeleryStack) -> None:
    queue = app.extensions[JOB_QUEUE_EXTENSION_KEY]
    queued = queue.enqueue("experiment_exposures", trigger="celery")
    result = app.extensions[CELERY_EXTENSION_KEY].AsyncResult(queued.task_id)
    summary: dict[str, Any] = result.get(timeout=JOB_SECONDS)
    assert queued.done()
    assert (summary["job"], summary["status"], summary["error"]) == (
        "experiment_exposures",
        "succeeded",
        None,
    )
    (run,) = [run for run in _runs(app, "experiment_exposures") if run.id == summary["run_id"]]
    assert (run.trigger, run.status) == ("celery", "succeeded")
    assert run.rows_written == summary["rows_written"]


def test_a_held_lock_is_a_skip_not_a_failure(app: Flask, celery_stack: CeleryStack) -> None:
    now = utcnow()
    with get_database(app).session() as session:
        session.add(
            JobLock(
                job_name="experiment_analysis",
                holder="elsewhere:1",
                acquired_at=now,
                expires_at=now + timedelta(minutes=5),
            )
        )
        session.commit()
    try:
        celery_app = app.extensions[CELERY_EXTENSION_KEY]
        result = celery_app.send_task(
            job_task_name("experiment_analysis"), kwargs={"trigger": "celery"}
        )
        summary = result.get(timeout=JOB_SECONDS)
        assert result.state == "SUCCESS"
        assert summary["status"] == SKIPPED
        assert "already running" in summary["reason"]
        # Nothing recorded for it (a beat run before the lock may have left a "beat" row).
        assert [run for run in _runs(app, "experiment_analysis") if run.trigger == "celery"] == []
    finally:
        with get_database(app).session() as session:
            session.execute(delete(JobLock).where(JobLock.job_name == "experiment_analysis"))
            session.commit()


def test_the_export_background_callback_runs_on_the_worker(
    app: Flask, client: FlaskClient, login
) -> None:
    login(ACCOUNTS.writer_email, WRITER_PASSWORD)
    headers = dash_csrf_headers(client)
    issued = client.post("/_dash-update-component", json=request_payload(2), headers=headers)
    assert issued.status_code == 200, issued.get_data(as_text=True)
    ticket = issued.get_json()["response"]["export-ticket"]["data"]
    result = run_export_job(client, headers, ticket)
    download = result["export-download"]["data"]
    assert download["filename"].startswith("legato-writer-1-daily-")
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(download["content"]).decode())))
    assert len(rows) == 7
    assert sum(float(row["revenue"]) for row in rows) == 1698  # writer 2's $100 tip absent
    assert "Downloaded" in str(result["export-result"]["children"])
