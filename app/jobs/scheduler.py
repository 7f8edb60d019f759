"""The in-process scheduler (APScheduler): runs every registered job on its interval.

``start_scheduler(app)`` starts a background scheduler for a web process (``make run``
with ``JOBS_IN_PROCESS=true``); ``run_worker(app)`` blocks, for a dedicated worker
process (Procfile ``worker``). Overlap across processes is prevented by the job lock.

Each job first runs when it is due (:func:`first_run_times`): at once (staggered, in
registry order, so the rollups come first) when it has never succeeded or its last
successful run is an interval old, else one interval after that run. A fresh ``make run``
therefore has forecasts, recommendations and alerts within minutes instead of after their
6- or 24-hour intervals, and a restart does not rerun a nightly job that ran an hour ago.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from app.database import get_database
from app.jobs.registry import JOBS, JobSettings
from app.jobs.runner import JobLocked, reap_abandoned_jobs, run_job
from data.db import utcnow
from data.queries.admin import JobRunRow, latest_job_runs

logger = logging.getLogger("legato.jobs")
EXTENSION_KEY = "legato.scheduler"
#: Seconds between the first runs of jobs that are due when the scheduler starts.
STARTUP_STAGGER_SECONDS = 15


def first_run_times(latest: Mapping[str, JobRunRow], now: datetime) -> dict[str, datetime]:
    """When each registered job should first run (naive UTC, like ``now``), given each
    job's newest run in ``latest`` (jobs that never ran are absent): one interval after a
    newest run that succeeded less than an interval ago; otherwise due, at ``now`` plus
    ``STARTUP_STAGGER_SECONDS`` per due job before it in registry order."""
    times: dict[str, datetime] = {}
    due = 0
    for spec in JOBS.values():
        run = latest.get(spec.name)
        interval = timedelta(seconds=spec.interval_seconds)
        if run is not None and run.status == "succeeded" and run.started_at + interval > now:
            times[spec.name] = run.started_at + interval
            continue
        times[spec.name] = now + timedelta(seconds=STARTUP_STAGGER_SECONDS * due)
        due += 1
    return times


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
        first = first_run_times(latest_job_runs(session, JOBS), utcnow())
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
            next_run_time=first[spec.name].replace(tzinfo=UTC),
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
