""" "Run now" for the admin console: start a job in the background, in a thread of this
process or, when the app has a job queue (Celery configured), on the Celery workers.

Contract of :meth:`JobConsole.start`: it returns at once (the job runs elsewhere, so a
long job never holds up the request that asked for it) with one of

- ``STARTED``: the job was started through ``app.jobs.runner.run_job`` (trigger
  ``"console"``, ``params={"requested_by": …}``) in a daemon thread of this process; the
  runner takes the job's database lock and records the run in ``job_runs`` - the console
  page follows the run there;
- ``QUEUED``: the app has a job queue (``JobQueue``, e.g. ``app.celery_app.CeleryJobQueue``)
  and the job was sent to the workers, which run it the same way when one picks it up (a
  web process never runs a job, never fits a forecast, in scale-out mode);
- ``ALREADY_RUNNING``: the job holds an unexpired lock (here, another process, a worker or
  the scheduler), or the run this console last started for it has not finished (its
  thread is alive; its queued task has neither finished nor expired); nothing was started;
- ``UNKNOWN``: no job has that name.

If another process takes the lock between the check and the run's own attempt, the
runner refuses the run (``JobLocked``: logged in a thread, a "skipped" result on a
worker) and the other run is the one recorded: the lock, not this check, is what prevents
double runs. A run that dies with its process leaves its row ``running`` without a lock;
the console page shows it as interrupted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from app.jobs.registry import JOBS, JobSettings, JobSpec
from app.jobs.runner import JobLocked, reap_abandoned_jobs, run_job
from data.db import utcnow
from data.queries.admin import held_job_locks

logger = logging.getLogger("legato.jobs")

STARTED = "started"
QUEUED = "queued"
ALREADY_RUNNING = "running"
UNKNOWN = "unknown"
TRIGGER = "console"
#: Where ``app.dash_app`` keeps the app's console (tests wait on it).
EXTENSION_KEY = "legato.jobs.console"


class PendingRun(Protocol):
    """A run this console started, as far as this process can follow it."""

    def done(self) -> bool:
        """True once the run has ended, or can no longer start."""
        ...

    def wait(self, timeout: float | None = None) -> None:
        """Wait up to ``timeout`` seconds for the run to end."""
        ...


class JobQueue(Protocol):
    """Sends job runs to workers in other processes (``app.celery_app.CeleryJobQueue``)."""

    def enqueue(
        self, job_name: str, *, trigger: str, params: Mapping[str, Any] | None = None
    ) -> PendingRun:
        """Send one run of ``job_name`` recorded with ``trigger`` and ``params``."""
        ...


class _ThreadRun:
    """A run in a daemon thread of this process."""

    def __init__(self, thread: threading.Thread) -> None:
        self._thread = thread

    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)


class JobConsole:
    """Starts jobs on request with the settings of ``config`` (read at each start, so
    ``JobSettings.from_config`` sees the app's current config): one thread per running job,
    or, with ``queue``, one queued task per job on the workers (which read their own
    config)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        config: Mapping[str, Any],
        queue: JobQueue | None = None,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._queue = queue
        self._runs: dict[str, PendingRun] = {}
        self._guard = threading.Lock()

    def catalog(self) -> list[JobSpec]:
        """Every registered job (name, description, interval), in registry order."""
        return list(JOBS.values())

    def repair(self) -> list[str]:
        """Free the locks of job processes that are gone and mark their runs interrupted
        (``app.jobs.runner.reap_abandoned_jobs``); the Jobs page calls it when it loads.
        Returns the jobs whose runs were marked."""
        with self._sessions() as session:
            return reap_abandoned_jobs(session)

    def start(self, job_name: str, *, requested_by: str) -> str:
        """Start ``job_name`` in the background (see the module docstring). With a queue,
        an unreachable broker raises its connection error (nothing was started)."""
        if job_name not in JOBS:
            return UNKNOWN
        with self._guard:
            pending = self._runs.get(job_name)
            if pending is not None and not pending.done():
                return ALREADY_RUNNING
            with self._sessions() as session:
                reap_abandoned_jobs(session, job_name)  # a dead holder does not count
                if job_name in held_job_locks(session, utcnow()):
                    return ALREADY_RUNNING
            params = {"requested_by": requested_by}
            if self._queue is not None:
                self._runs[job_name] = self._queue.enqueue(job_name, trigger=TRIGGER, params=params)
            else:
                thread = threading.Thread(
                    target=self._run,
                    args=(job_name, params, JobSettings.from_config(self._config)),
                    name=f"legato-job-{job_name}",
                    daemon=True,
                )
                self._runs[job_name] = _ThreadRun(thread)
                thread.start()
        outcome = QUEUED if self._queue is not None else STARTED
        logger.info("job %s %s from the console by %s", job_name, outcome, requested_by)
        return outcome

    def join(self, timeout: float | None = None) -> None:
        """Wait for the runs this console started (each up to ``timeout`` seconds)."""
        with self._guard:
            runs = list(self._runs.values())
        for run in runs:
            run.wait(timeout)

    def _run(self, job_name: str, params: dict[str, Any], settings: JobSettings) -> None:
        try:
            run_job(self._sessions, job_name, trigger=TRIGGER, params=params, settings=settings)
        except JobLocked:
            logger.info("job %s not started from the console: running elsewhere", job_name)
        except Exception:  # the runner records failures inside the job; this is before/after
            logger.exception("job %s could not be run from the console", job_name)
