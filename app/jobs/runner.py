"""Run a job once: take its database lock, record the run, commit or roll back.

Contract of ``run_job``: at most one process runs a given job at a time (a lease row in
``job_locks``, taken atomically with insert-or-update-if-expired); every run that takes
the lock leaves one ``job_runs`` row that ends ``succeeded`` (with rows written) or
``failed`` (with the error); a failed job's own writes are rolled back.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.jobs.registry import JOBS, JobSettings
from data.db import utcnow
from data.models import JobLock, JobRun

logger = logging.getLogger("legato.jobs")
LEASE = timedelta(minutes=30)


class UnknownJob(KeyError):
    """No job has that name."""


class JobLocked(RuntimeError):
    """Another process holds the job's lock."""


@dataclass(frozen=True)
class RunResult:
    run_id: int
    job_name: str
    status: str
    rows_written: int
    seconds: float
    error: str | None


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _acquire(session: Session, job_name: str, holder: str) -> bool:
    now = utcnow()
    try:
        with session.begin_nested():
            session.execute(
                insert(JobLock).values(
                    job_name=job_name, holder=holder, acquired_at=now, expires_at=now + LEASE
                )
            )
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
    taken = session.execute(
        update(JobLock)
        .where(JobLock.job_name == job_name, JobLock.expires_at < now)
        .values(holder=holder, acquired_at=now, expires_at=now + LEASE)
    )
    session.commit()
    return taken.rowcount == 1


def _release(session: Session, job_name: str, holder: str) -> None:
    session.execute(delete(JobLock).where(JobLock.job_name == job_name, JobLock.holder == holder))
    session.commit()


def run_job(
    sessions: sessionmaker[Session],
    job_name: str,
    *,
    trigger: str = "manual",
    params: dict[str, Any] | None = None,
    settings: JobSettings | None = None,
) -> RunResult:
    """Run ``job_name`` once (see the module docstring) with ``settings`` (default: the
    defaults of :class:`JobSettings`). Raises ``UnknownJob`` and ``JobLocked``; a failure
    inside the job is recorded and returned, not raised."""
    spec = JOBS.get(job_name)
    if spec is None:
        raise UnknownJob(job_name)
    holder = _holder()
    with sessions() as session:
        if not _acquire(session, job_name, holder):
            raise JobLocked(f"job '{job_name}' is already running in another process")
        run = JobRun(
            job_name=job_name, trigger=trigger, status="running", params=params, started_at=utcnow()
        )
        session.add(run)
        session.commit()
        run_id = run.id
    started = utcnow()
    status, rows, error = "succeeded", 0, None
    try:
        with sessions() as session:
            rows = int(spec.function(session, settings or JobSettings()) or 0)
            session.commit()
    except Exception as exc:  # recorded on the run, never lost
        status, error = "failed", "".join(traceback.format_exception_only(exc)).strip()
        logger.exception("job %s failed", job_name)
    finished = utcnow()
    with sessions() as session:
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(status=status, finished_at=finished, rows_written=rows, error=error)
        )
        session.commit()
        _release(session, job_name, holder)
    seconds = (finished - started).total_seconds()
    logger.info("job %s %s: %d rows in %.2fs", job_name, status, rows, seconds)
    return RunResult(run_id, job_name, status, rows, seconds, error)
