"""The job tasks of the Celery app, run in this process (``Task.apply``: Celery's own task
execution without a broker), and the settings that pick Celery: every job is a task that
runs through the runner with the app's database, a held lock is a skip, the web process
starts no in-process scheduler, and ``flask jobs worker``'s Celery options need a broker.
The same tasks on a real worker and broker: tests/integration/test_celery_jobs.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.background import CELERY_EXTENSION_KEY, JOB_QUEUE_EXTENSION_KEY
from app.celery_app import SKIPPED, CeleryJobQueue, job_task_name
from app.database import get_database
from app.jobs.console import ALREADY_RUNNING, UNKNOWN
from app.jobs.console import EXTENSION_KEY as JOB_CONSOLE_KEY
from app.jobs.registry import JOBS
from app.jobs.scheduler import EXTENSION_KEY as SCHEDULER_KEY
from data.db import utcnow
from data.models import JobLock, JobRun

#: Never contacted: ``apply`` runs tasks in this process and stores no result.
UNREACHABLE_BROKER = "redis://127.0.0.1:9/0"

# Dash registers each background callback as a shared Celery task, so each Celery app
# built later in this process gets the first one's callable too (and Celery warns).
pytestmark = pytest.mark.filterwarnings(
    "ignore:Task name 'background_callback_:celery.exceptions.DuplicateTaskNameWarning"
)


def _app(sqlite_url: str, tmp_path: Path, **extra: object) -> Flask:
    return create_app(
        {
            "APP_ENV": "test",
            "DATABASE_URL": sqlite_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret-key",
            "LOG_LEVEL": "WARNING",
            "TESTING": True,
            **extra,
        }
    )


@pytest.fixture
def celery_app_server(sqlite_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app in scale-out mode (with JOBS_IN_PROCESS=true, which the broker overrides)."""
    server = _app(sqlite_url, tmp_path, CELERY_BROKER_URL=UNREACHABLE_BROKER, JOBS_IN_PROCESS=True)
    yield server
    get_database(server).engine.dispose()


def _runs(server: Flask) -> list[JobRun]:
    with get_database(server).session() as session:
        return list(session.scalars(select(JobRun).order_by(JobRun.id)))


def test_celery_mode_wires_one_app_and_no_in_process_scheduler(celery_app_server: Flask) -> None:
    assert SCHEDULER_KEY not in celery_app_server.extensions
    celery_app = celery_app_server.extensions[CELERY_EXTENSION_KEY]
    assert {job_task_name(name) for name in JOBS} <= set(celery_app.tasks)
    assert any(name.startswith("background_callback_") for name in celery_app.tasks)
    queue = celery_app_server.extensions[JOB_QUEUE_EXTENSION_KEY]
    assert isinstance(queue, CeleryJobQueue)
    assert celery_app_server.extensions[JOB_CONSOLE_KEY]._queue is queue  # "Run now" enqueues


def test_without_a_broker_jobs_stay_in_process(sqlite_url: str, tmp_path: Path) -> None:
    server = _app(sqlite_url, tmp_path, JOBS_IN_PROCESS=True)
    try:
        assert CELERY_EXTENSION_KEY not in server.extensions
        assert server.extensions[JOB_CONSOLE_KEY]._queue is None
        assert SCHEDULER_KEY in server.extensions
    finally:
        server.extensions[SCHEDULER_KEY].shutdown(wait=False)
        get_database(server).engine.dispose()


def test_a_job_task_runs_the_job_through_the_runner(celery_app_server: Flask) -> None:
    task = celery_app_server.extensions[CELERY_EXTENSION_KEY].tasks[job_task_name("rollups")]
    result = task.apply(kwargs={"trigger": "beat"})
    assert result.successful(), result.traceback
    (run,) = _runs(celery_app_server)
    assert (run.job_name, run.trigger, run.status, run.params) == (
        "rollups",
        "beat",
        "succeeded",
        None,
    )
    assert result.result == {
        "job": "rollups",
        "status": "succeeded",
        "run_id": run.id,
        "rows_written": run.rows_written,
        "seconds": result.result["seconds"],
        "error": None,
    }
    console = task.apply(kwargs={"trigger": "console", "params": {"requested_by": "Admin"}})
    assert console.successful(), console.traceback
    assert [(r.trigger, r.params) for r in _runs(celery_app_server)][-1] == (
        "console",
        {"requested_by": "Admin"},
    )


def test_a_held_lock_is_a_skip(celery_app_server: Flask) -> None:
    now = utcnow()
    with get_database(celery_app_server).session() as session:
        session.add(
            JobLock(
                job_name="experiment_exposures",
                holder="other-worker:7",
                acquired_at=now,
                expires_at=now + timedelta(minutes=5),
            )
        )
        session.commit()
    task = celery_app_server.extensions[CELERY_EXTENSION_KEY].tasks[
        job_task_name("experiment_exposures")
    ]
    result = task.apply()
    assert result.successful(), result.traceback  # not a failure: nothing to retry
    assert result.result["status"] == SKIPPED
    assert "already running" in result.result["reason"]
    assert _runs(celery_app_server) == []


def test_an_unknown_trigger_records_nothing(celery_app_server: Flask) -> None:
    task = celery_app_server.extensions[CELERY_EXTENSION_KEY].tasks[job_task_name("rollups")]
    result = task.apply(kwargs={"trigger": "a-very-long-made-up-trigger"})
    assert result.failed()
    assert isinstance(result.result, ValueError)
    assert "unknown trigger" in str(result.result)
    assert _runs(celery_app_server) == []


def test_worker_options_need_a_broker(sqlite_url: str, tmp_path: Path) -> None:
    server = _app(sqlite_url, tmp_path)
    try:
        outcome = server.test_cli_runner().invoke(args=["jobs", "worker", "--pool", "solo"])
        assert outcome.exit_code != 0
        assert "set CELERY_BROKER_URL" in outcome.output
    finally:
        get_database(server).engine.dispose()


def test_run_now_with_a_held_lock_sends_nothing(celery_app_server: Flask) -> None:
    now = utcnow()
    with get_database(celery_app_server).session() as session:
        session.add(
            JobLock(
                job_name="forecasts",
                holder="other-worker:7",
                acquired_at=now,
                expires_at=now + timedelta(minutes=5),
            )
        )
        session.commit()
    console = celery_app_server.extensions[JOB_CONSOLE_KEY]
    # The broker is unreachable: sending anything would raise, so this is decided locally.
    assert console.start("forecasts", requested_by="Admin") == ALREADY_RUNNING
    assert console.start("no-such-job", requested_by="Admin") == UNKNOWN
    assert _runs(celery_app_server) == []
