""" "Run now" for the admin console: start a job in a background thread of this process.

Contract of :meth:`JobConsole.start`: it returns at once (the job runs in a daemon thread,
so a long job never holds up the request that asked for it) with one of

- ``STARTED``: a thread was started; it runs the job through ``app.jobs.runner.run_job``
  (trigger ``"console"``, ``params={"requested_by": …}``), which takes the job's database
  lock and records the run in ``job_runs`` - the console page follows the run there;
- ``ALREADY_RUNNING``: the job holds an unexpired lock (here, another process, or the
  scheduler) or this console's thread for it is still alive; nothing was started;
- ``UNKNOWN``: no job has that name.

If another process takes the lock between the check and the thread's own attempt, the
runner refuses the thread (``JobLocked``, logged) and the other run is the one recorded:
the lock, not this check, is what prevents double runs. A thread that dies with its
process leaves its run ``running`` without a lock; the console page shows it as
interrupted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.jobs.registry import JOBS, JobSettings, JobSpec
from app.jobs.runner import JobLocked, run_job
from data.db import utcnow
from data.queries.admin import held_job_locks

logger = logging.getLogger("legato.jobs")

STARTED = "started"
ALREADY_RUNNING = "running"
UNKNOWN = "unknown"
TRIGGER = "console"
#: Where ``app.dash_app`` keeps the app's console (tests wait on it).
EXTENSION_KEY = "legato.jobs.console"


class JobConsole:
    """Starts jobs on request, one thread per running job, with the settings of ``config``
    (read at each start, so ``JobSettings.from_config`` sees the app's current config)."""

    def __init__(self, sessions: sessionmaker[Session], config: Mapping[str, Any]) -> None:
        self._sessions = sessions
        self._config = config
        self._threads: dict[str, threading.Thread] = {}
        self._guard = threading.Lock()

    def catalog(self) -> list[JobSpec]:
        """Every registered job (name, description, interval), in registry order."""
        return list(JOBS.values())

    def start(self, job_name: str, *, requested_by: str) -> str:
        """Start ``job_name`` in the background (see the module docstring)."""
        if job_name not in JOBS:
            return UNKNOWN
        with self._guard:
            running = self._threads.get(job_name)
            if running is not None and running.is_alive():
                return ALREADY_RUNNING
            with self._sessions() as session:
                if job_name in held_job_locks(session, utcnow()):
                    return ALREADY_RUNNING
            thread = threading.Thread(
                target=self._run,
                args=(job_name, requested_by, JobSettings.from_config(self._config)),
                name=f"legato-job-{job_name}",
                daemon=True,
            )
            self._threads[job_name] = thread
            thread.start()
        logger.info("job %s started from the console by %s", job_name, requested_by)
        return STARTED

    def join(self, timeout: float | None = None) -> None:
        """Wait for the threads this console started (each up to ``timeout`` seconds)."""
        with self._guard:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)

    def _run(self, job_name: str, requested_by: str, settings: JobSettings) -> None:
        try:
            run_job(
                self._sessions,
                job_name,
                trigger=TRIGGER,
                params={"requested_by": requested_by},
                settings=settings,
            )
        except JobLocked:
            logger.info("job %s not started from the console: running elsewhere", job_name)
        except Exception:  # the runner records failures inside the job; this is before/after
            logger.exception("job %s could not be run from the console", job_name)
