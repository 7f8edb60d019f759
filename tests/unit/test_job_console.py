"""The admin console's "Run now" (``app.jobs.console.JobConsole``): jobs run in a
background thread through the runner (lock + ``job_runs``), never twice at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.jobs.console import ALREADY_RUNNING, STARTED, UNKNOWN, JobConsole
from app.jobs.registry import JOBS, JobSpec
from data.db import make_engine, make_session_factory, utcnow
from data.models import JobLock, JobRun


@pytest.fixture
def sessions(sqlite_url: str):
    engine = make_engine(sqlite_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _runs(sessions) -> list[JobRun]:
    with sessions() as session:
        return list(session.scalars(select(JobRun).order_by(JobRun.id)))


def test_run_now_records_a_console_run(sessions) -> None:
    console = JobConsole(sessions, {"REPORTING_CURRENCY": "USD"})
    assert [job.name for job in console.catalog()] == list(JOBS)
    assert console.start("rollups", requested_by="Admin") == STARTED
    console.join(timeout=30)
    (run,) = _runs(sessions)
    assert (run.job_name, run.trigger, run.status) == ("rollups", "console", "succeeded")
    assert run.params == {"requested_by": "Admin"}
    assert console.start("no-such-job", requested_by="Admin") == UNKNOWN


def test_a_held_lock_starts_nothing(sessions) -> None:
    with sessions() as session:
        now = utcnow()
        session.add(
            JobLock(
                job_name="rollups",
                holder="worker:7",
                acquired_at=now,
                expires_at=now + timedelta(minutes=5),
            )
        )
        session.commit()
    console = JobConsole(sessions, {})
    assert console.start("rollups", requested_by="Admin") == ALREADY_RUNNING
    console.join(timeout=5)
    assert _runs(sessions) == []


def test_start_returns_at_once_and_refuses_a_second_run(sessions, monkeypatch) -> None:
    release = threading.Event()
    entered = threading.Event()

    def slow(_session, _settings) -> int:
        entered.set()
        assert release.wait(timeout=30)
        return 3

    monkeypatch.setitem(JOBS, "slow", JobSpec("slow", slow, "A long job.", 3600))
    console = JobConsole(sessions, {})
    assert console.start("slow", requested_by="Admin") == STARTED  # returns while it runs
    assert entered.wait(timeout=10)
    assert console.start("slow", requested_by="Other admin") == ALREADY_RUNNING
    (running,) = _runs(sessions)
    assert running.status == "running"
    release.set()
    console.join(timeout=30)
    (done,) = _runs(sessions)
    assert (done.status, done.rows_written) == ("succeeded", 3)
    with sessions() as session:
        assert session.scalar(select(JobLock)) is None  # released
    assert console.start("slow", requested_by="Admin") == STARTED  # and free again
    release.set()
    console.join(timeout=30)
    assert [run.status for run in _runs(sessions)] == ["succeeded", "succeeded"]


def test_a_dead_holders_lock_does_not_block_run_now(sessions) -> None:
    import socket
    import subprocess
    import sys

    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    with sessions() as session:
        now = utcnow()
        session.add(
            JobLock(
                job_name="rollups",
                holder=f"{socket.gethostname()}:{finished.pid}",
                acquired_at=now,
                expires_at=now + timedelta(minutes=30),
            )
        )
        session.add(JobRun(job_name="rollups", trigger="scheduler", started_at=now))
        session.commit()
    console = JobConsole(sessions, {})
    assert console.repair() == ["rollups"]  # what the Jobs page does when it loads
    assert [run.status for run in _runs(sessions)] == ["interrupted"]
    assert console.start("rollups", requested_by="Admin") == STARTED
    console.join(timeout=30)
    assert [run.status for run in _runs(sessions)] == ["interrupted", "succeeded"]
