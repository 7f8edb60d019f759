"""Run a job once: take its database lock, record the run, commit or roll back.

Contract of ``run_job``: at most one process runs a given job at a time (a lease row in
``job_locks``, taken atomically with insert-or-update-if-expired); every run that takes
the lock leaves one ``job_runs`` row that ends ``succeeded`` (with rows written) or
``failed`` (with the error); a failed job's own writes are rolled back.

A process that dies mid-job (killed, crashed, redeployed) cannot release its lease or
finish its run. :func:`reap_abandoned_jobs` repairs that: a lease whose holder process is
gone (same host and the pid no longer runs, or runs a process started after the lease was
taken) or whose lease expired is deleted, and every ``running`` run of a job without a
live lease becomes ``interrupted``. ``run_job`` reaps the job before it takes the lock, and
the scheduler reaps everything when it starts, so a killed job neither blocks its next run
for the lease's 30 minutes nor stays "running" forever. Holders on other hosts are judged
by their lease only.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psutil
from sqlalchemy import delete, insert, select, update
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


INTERRUPTED = "interrupted"


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_is_gone(holder: str, acquired_at: datetime) -> bool:
    """Whether the process named by ``holder`` (``host:pid``, as written by this module) has
    certainly stopped: it ran on this host and its pid is free, or now belongs to a process
    started after ``acquired_at`` (naive UTC). Holders on other hosts: ``False`` (unknown)."""
    host, _, pid_text = holder.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        started = psutil.Process(int(pid_text)).create_time()
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:  # exists but cannot be inspected: assume alive
        return False
    # create_time has a resolution of a clock tick; a second of slack keeps the owner alive.
    return started > acquired_at.replace(tzinfo=UTC).timestamp() + 1.0


def reap_abandoned_jobs(session: Session, job_name: str | None = None) -> list[str]:
    """Delete the leases of ``job_name`` (default: every job) whose holder is gone or whose
    lease expired, and mark ``interrupted`` (with when and why) the ``running`` runs not
    covered by a live lease (none, or one taken after the run started). Commits. Returns the names of the jobs whose runs
    were marked."""
    now = utcnow()
    locks = select(JobLock.job_name, JobLock.holder, JobLock.acquired_at, JobLock.expires_at)
    if job_name is not None:
        locks = locks.where(JobLock.job_name == job_name)
    live: dict[str, datetime] = {}
    for name, holder, acquired_at, expires_at in session.execute(locks).all():
        if expires_at >= now and not holder_is_gone(holder, acquired_at):
            live[name] = acquired_at
            continue
        # Compare-and-delete: a process that took the lease over meanwhile keeps it.
        session.execute(
            delete(JobLock).where(
                JobLock.job_name == name,
                JobLock.holder == holder,
                JobLock.acquired_at == acquired_at,
            )
        )
        logger.warning("job %s: removed the abandoned lock of %s", name, holder)
    orphans = select(JobRun.id, JobRun.job_name, JobRun.started_at).where(
        JobRun.status == "running"
    )
    if job_name is not None:
        orphans = orphans.where(JobRun.job_name == job_name)
    # A live lease covers only the run its holder started after taking it.
    orphaned = [
        (run_id, name)
        for run_id, name, started_at in session.execute(orphans)
        if name not in live or started_at < live[name]
    ]
    if orphaned:
        session.execute(
            update(JobRun)
            .where(JobRun.id.in_([run_id for run_id, _ in orphaned]), JobRun.status == "running")
            .values(
                status=INTERRUPTED,
                finished_at=now,
                error="interrupted: the process running the job stopped before it finished "
                "(its writes were rolled back)",
            )
        )
    session.commit()
    return sorted({name for _, name in orphaned})


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
        reap_abandoned_jobs(session, job_name)
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
