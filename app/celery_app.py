"""The one Celery app of a scaled-out deployment (``CELERY_BROKER_URL`` set).

One Celery app per Flask app carries both kinds of background work:

- ``legato.jobs.<name>`` for every job in ``app.jobs.registry.JOBS``
  (:func:`register_job_tasks`). A task runs its job once through
  ``app.jobs.runner.run_job`` with the worker's database and
  ``JobSettings.from_config(app.config)``; ``run_job``'s database lock still makes sure a
  job never runs twice at once, and a task that finds the lock held is a normal skip
  (logged, result ``{"status": "skipped"}``), not a failure. A failure inside the job is
  recorded on its ``job_runs`` row by the runner and returned, not raised, so Celery never
  retries a job by itself. The task's ``trigger`` keyword is recorded on the run:
  ``beat`` (the beat schedule, :func:`beat_schedule`), ``console`` (the admin console's
  "Run now", through :class:`CeleryJobQueue`) or ``celery`` (the default, e.g. a task sent
  by hand).
- ``background_callback_<hash>`` for the Dash background callbacks (the Export page's
  file builds): ``dash.CeleryManager`` registers them on this app when ``app.dash_app``
  builds the Dash app (``app.background.make_background_manager``).

Workers build the same Flask app (``app.celery_worker``, or ``flask --app app jobs
worker``, which calls :func:`run_celery_worker`), so they register the same tasks.
Results (job summaries, callback progress and results) live in ``CELERY_RESULT_BACKEND``
(default: the broker) for ``RESULT_EXPIRE_SECONDS``.

This module imports Celery; ``app.background`` imports it only when a broker is
configured, so Celery needs installing only where it is used.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery import Celery
from celery.exceptions import TimeoutError as CeleryTimeout
from celery.result import AsyncResult
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from app.background import RESULT_EXPIRE_SECONDS
from app.config import ConfigError
from app.database import Database, get_database
from app.jobs.console import TRIGGER as TRIGGER_CONSOLE
from app.jobs.registry import JOBS, JobSettings, JobSpec
from app.jobs.runner import JobLocked, run_job

logger = logging.getLogger("legato.jobs")

#: Job task names: ``legato.jobs.rollups``, ``legato.jobs.forecasts``, …
JOB_TASK_PREFIX = "legato.jobs."
#: The triggers a job task records on its run (``job_runs.trigger``).
TRIGGER_CELERY, TRIGGER_BEAT = "celery", "beat"
TRIGGERS = frozenset({TRIGGER_CELERY, TRIGGER_BEAT, TRIGGER_CONSOLE})
#: The ``status`` of a job task's result when the job's lock was held elsewhere.
SKIPPED = "skipped"
#: A "Run now" that no worker has taken within this many seconds is dropped (workers
#: revoke it on receipt), and the console may send a new one.
CONSOLE_RUN_EXPIRES_SECONDS = 600
#: The embedded beat's schedule state (last run times), under ``INSTANCE_PATH``.
BEAT_SCHEDULE_FILE = "celerybeat-schedule"
WORKER_POOLS = ("prefork", "threads", "solo")


def job_task_name(job_name: str) -> str:
    """The Celery task name of the job ``job_name``."""
    return f"{JOB_TASK_PREFIX}{job_name}"


def beat_schedule(jobs: Mapping[str, JobSpec] | None = None) -> dict[str, dict[str, Any]]:
    """Celery beat's schedule for ``jobs`` (default: every job in ``JOBS``): each job's
    task every ``interval_seconds`` with trigger ``beat``. A beat message no worker has
    taken within one interval expires (the next one is already on its way), so a stopped
    worker pool does not come back to a pile of identical runs."""
    specs = JOBS if jobs is None else jobs
    return {
        spec.name: {
            "task": job_task_name(spec.name),
            "schedule": timedelta(seconds=spec.interval_seconds),
            "kwargs": {"trigger": TRIGGER_BEAT},
            "options": {"expires": spec.interval_seconds},
        }
        for spec in specs.values()
    }


def make_celery_app(config: Mapping[str, Any]) -> Celery:
    """A Celery app on ``CELERY_BROKER_URL`` with ``CELERY_RESULT_BACKEND`` (default: the
    broker) and the beat schedule of every job; no tasks yet (see the module docstring).
    Raises ``ConfigError`` when no broker is configured."""
    broker = str(config.get("CELERY_BROKER_URL") or "").strip()
    if not broker:
        raise ConfigError("CELERY_BROKER_URL must be set to build the Celery app")
    backend = str(config.get("CELERY_RESULT_BACKEND") or "").strip() or broker
    instance = Path(config["INSTANCE_PATH"])
    instance.mkdir(parents=True, exist_ok=True)  # the beat schedule file lives there
    celery_app = Celery("legato", broker=broker, backend=backend)
    celery_app.conf.update(
        task_track_started=True,
        result_expires=RESULT_EXPIRE_SECONDS,
        timezone="UTC",
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        # One message at a time per worker process: a process busy with a long job (the
        # nightly forecasts) does not sit on tasks other processes could run.
        worker_prefetch_multiplier=1,
        beat_schedule=beat_schedule(),
        beat_schedule_filename=str(instance / BEAT_SCHEDULE_FILE),
    )
    return celery_app


class _ProcessSessions:
    """The app's session factory, with the engine's pool dropped (not closed: the parent
    still owns those connections) the first time it is used in a process other than the
    one that built it, e.g. a prefork worker child: connections never cross a fork."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._pid = os.getpid()

    def __call__(self) -> sessionmaker[Session]:
        if os.getpid() != self._pid:
            self._database.engine.dispose(close=False)
            self._pid = os.getpid()
        return self._database.sessions


def execute_job(
    server: Flask,
    job_name: str,
    *,
    trigger: str = TRIGGER_CELERY,
    params: Mapping[str, Any] | None = None,
    sessions: sessionmaker[Session] | None = None,
) -> dict[str, Any]:
    """Run ``job_name`` once for a job task (see the module docstring) and return the
    task's result: ``{"job", "status", "run_id", "rows_written", "seconds", "error"}``
    with the runner's status (``succeeded``/``failed``), or ``{"job", "status":
    "skipped", "reason"}`` when the job's lock is held elsewhere. ``sessions`` defaults
    to ``server``'s. Raises ``ValueError`` for an unknown trigger and
    ``app.jobs.runner.UnknownJob`` for an unknown job (nothing recorded)."""
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}; expected one of {sorted(TRIGGERS)}")
    try:
        result = run_job(
            sessions or get_database(server).sessions,
            job_name,
            trigger=trigger,
            params=dict(params) if params else None,
            settings=JobSettings.from_config(server.config),
        )
    except JobLocked as error:
        logger.info("job %s skipped (%s): %s", job_name, trigger, error)
        return {"job": job_name, "status": SKIPPED, "reason": str(error)}
    return {
        "job": job_name,
        "status": result.status,
        "run_id": result.run_id,
        "rows_written": result.rows_written,
        "seconds": result.seconds,
        "error": result.error,
    }


def _register_job_task(
    celery_app: Celery, server: Flask, sessions: _ProcessSessions, job_name: str
) -> None:
    # shared=False: this task belongs to this app only (a shared task would be added to
    # every Celery app built later in the process, running on this app's database).
    @celery_app.task(name=job_task_name(job_name), shared=False)
    def run(trigger: str = TRIGGER_CELERY, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return execute_job(server, job_name, trigger=trigger, params=params, sessions=sessions())


def register_job_tasks(celery_app: Celery, server: Flask) -> CeleryJobQueue:
    """Register ``legato.jobs.<name>`` on ``celery_app`` for every job in ``JOBS``, run in
    ``server`` (its database and settings), and return the queue that sends them."""
    sessions = _ProcessSessions(get_database(server))
    for job_name in JOBS:
        _register_job_task(celery_app, server, sessions, job_name)
    return CeleryJobQueue(celery_app)


class QueuedRun:
    """A job run sent to the workers, as the admin console follows it (see
    ``app.jobs.console.PendingRun``)."""

    def __init__(self, result: AsyncResult, expires_in: float) -> None:
        self._result = result
        self._deadline = time.monotonic() + expires_in

    @property
    def task_id(self) -> str:
        return str(self._result.id)

    def done(self) -> bool:
        """True once the task has finished (whatever its outcome), or once it can no longer
        start: a message past its expiry is dropped by the worker that receives it. A task
        still running then holds the job's lock, which the console checks as well."""
        return time.monotonic() > self._deadline or bool(self._result.ready())

    def wait(self, timeout: float | None = None) -> None:
        """Wait up to ``timeout`` seconds for the task's result (never raises for the
        task's own outcome or a timeout)."""
        try:
            self._result.get(timeout=timeout, propagate=False)
        except CeleryTimeout:
            return


class CeleryJobQueue:
    """Sends job runs to the Celery workers (``app.jobs.console.JobQueue``)."""

    def __init__(self, celery_app: Celery) -> None:
        self._celery = celery_app

    def enqueue(
        self, job_name: str, *, trigger: str, params: Mapping[str, Any] | None = None
    ) -> QueuedRun:
        """Send one run of ``job_name`` (a registered job) with ``trigger`` and ``params``;
        it expires unstarted after ``CONSOLE_RUN_EXPIRES_SECONDS``. Raises ``KeyError`` for
        an unknown job and the broker's connection error when the broker is unreachable."""
        task = self._celery.tasks[job_task_name(job_name)]
        result = task.apply_async(
            kwargs={"trigger": trigger, "params": dict(params) if params else None},
            expires=CONSOLE_RUN_EXPIRES_SECONDS,
        )
        return QueuedRun(result, CONSOLE_RUN_EXPIRES_SECONDS)


def run_celery_worker(
    celery_app: Celery,
    *,
    beat: bool = True,
    concurrency: int | None = None,
    pool: str | None = None,
    loglevel: str = "INFO",
) -> None:
    """Run a Celery worker for ``celery_app`` in the foreground until it is stopped, with
    the beat scheduler embedded when ``beat`` (run exactly one beat per deployment).
    ``concurrency`` (default: Celery's, the number of CPUs) and ``pool`` (one of
    ``WORKER_POOLS``; default prefork) are passed on. Raises ``ValueError`` for an unknown
    pool or a concurrency below 1."""
    argv = ["worker", f"--loglevel={loglevel}"]
    if beat:
        argv.append("--beat")
    if concurrency is not None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        argv.append(f"--concurrency={concurrency}")
    if pool is not None:
        if pool not in WORKER_POOLS:
            raise ValueError(f"pool must be one of {', '.join(WORKER_POOLS)}, got {pool!r}")
        argv.append(f"--pool={pool}")
    logger.info("celery worker starting: %s", " ".join(argv))
    celery_app.worker_main(argv)
