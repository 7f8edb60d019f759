"""The in-process scheduler (APScheduler): runs every registered job on its interval.

``start_scheduler(app)`` starts a background scheduler for a web process (``make run``
with ``JOBS_IN_PROCESS=true``); ``run_worker(app)`` blocks, for a dedicated worker
process (Procfile ``worker``). Overlap across processes is prevented by the job lock.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from app.database import get_database
from app.jobs.registry import JOBS, JobSettings
from app.jobs.runner import JobLocked, reap_abandoned_jobs, run_job

logger = logging.getLogger("legato.jobs")
EXTENSION_KEY = "legato.scheduler"


def _scheduled_run(app: Flask, job_name: str) -> None:
    try:
        run_job(
            get_database(app).sessions,
            job_name,
            trigger="scheduler",
            settings=JobSettings.from_config(app.config),
        )
    except JobLocked:
        logger.info("job %s skipped: running elsewhere", job_name)


def _add_jobs(app: Flask, scheduler: BackgroundScheduler | BlockingScheduler) -> None:
    with get_database(app).sessions() as session:
        interrupted = reap_abandoned_jobs(session)
    if interrupted:
        logger.warning("runs interrupted by a stopped process: %s", ", ".join(interrupted))
    for spec in JOBS.values():
        scheduler.add_job(
            _scheduled_run,
            "interval",
            seconds=spec.interval_seconds,
            args=(app, spec.name),
            id=spec.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=spec.interval_seconds,
        )


def start_scheduler(app: Flask) -> BackgroundScheduler:
    """Start the background scheduler once per app and return it."""
    existing = app.extensions.get(EXTENSION_KEY)
    if existing is not None:
        return existing
    scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
    _add_jobs(app, scheduler)
    scheduler.start()
    app.extensions[EXTENSION_KEY] = scheduler
    logger.info("in-process scheduler started with jobs: %s", ", ".join(JOBS))
    return scheduler


def run_worker(app: Flask) -> None:
    """Run the scheduler in the foreground until interrupted."""
    scheduler = BlockingScheduler(timezone="UTC")
    _add_jobs(app, scheduler)
    logger.info("job worker started with jobs: %s", ", ".join(JOBS))
    scheduler.start()
