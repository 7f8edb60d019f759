"""The job runner's repair of abandoned jobs (``app.jobs.runner.reap_abandoned_jobs``): a
process killed mid-job neither blocks the job's next run for its lease nor leaves its run
"running" forever, while a live holder keeps its lock."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.jobs.runner import JobLocked, holder_is_gone, reap_abandoned_jobs, run_job
from data.db import make_engine, make_session_factory, utcnow
from data.models import JobLock, JobRun

HOST = socket.gethostname()
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def sessions(sqlite_url: str):
    engine = make_engine(sqlite_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _lock(sessions, holder: str, *, acquired_at: datetime, lease: timedelta) -> None:
    with sessions() as session:
        session.add(
            JobLock(
                job_name="rollups",
                holder=holder,
                acquired_at=acquired_at,
                expires_at=acquired_at + lease,
            )
        )
        session.add(JobRun(job_name="rollups", trigger="scheduler", started_at=acquired_at))
        session.commit()


def _statuses(sessions) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(JobRun.status).order_by(JobRun.id)))


def _finished_process_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_dead_holder_on_this_host_is_recognised() -> None:
    now = utcnow()
    assert holder_is_gone(f"{HOST}:{_finished_process_pid()}", now)
    assert not holder_is_gone(f"{HOST}:{os.getpid()}", now)
    # The pid is alive but belongs to a process started after the lease: the holder died and
    # its pid was reused.
    assert holder_is_gone(f"{HOST}:{os.getpid()}", datetime(2000, 1, 1))
    assert not holder_is_gone(f"elsewhere-{HOST}:1", now)  # another host: unknown, not gone
    assert not holder_is_gone("garbage", now)


def test_a_dead_holders_lock_is_reaped_and_its_run_interrupted(sessions) -> None:
    _lock(
        sessions,
        f"{HOST}:{_finished_process_pid()}",
        acquired_at=utcnow(),
        lease=timedelta(minutes=30),
    )
    result = run_job(sessions, "rollups")  # at once, not after the 30-minute lease
    assert result.status == "succeeded"
    assert _statuses(sessions) == ["interrupted", "succeeded"]
    with sessions() as session:
        interrupted = session.scalars(select(JobRun).order_by(JobRun.id)).first()
        assert interrupted.finished_at is not None
        assert "stopped before it finished" in interrupted.error
        assert session.scalars(select(JobLock)).all() == []  # released after the new run


def test_a_live_holder_keeps_its_lock(sessions) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _lock(sessions, f"{HOST}:{sleeper.pid}", acquired_at=utcnow(), lease=timedelta(minutes=30))
        with pytest.raises(JobLocked):
            run_job(sessions, "rollups")
        with sessions() as session:
            assert reap_abandoned_jobs(session) == []
        assert _statuses(sessions) == ["running"]
    finally:
        sleeper.kill()
        sleeper.wait()


def test_other_hosts_are_judged_by_their_lease(sessions) -> None:
    _lock(sessions, "another-host:1234", acquired_at=utcnow(), lease=timedelta(minutes=30))
    with pytest.raises(JobLocked):
        run_job(sessions, "rollups")
    with sessions() as session:
        lock = session.scalars(select(JobLock)).one()
        lock.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
        assert reap_abandoned_jobs(session) == ["rollups"]
    assert _statuses(sessions) == ["interrupted"]
    assert run_job(sessions, "rollups").status == "succeeded"


KILLED_JOB = textwrap.dedent(
    """
    import sys, time
    from app.jobs import registry, runner
    from data.db import make_engine, make_session_factory

    def slow(session, settings):
        time.sleep(120)
        return 0

    registry.JOBS["rollups"] = registry.JobSpec("rollups", slow, "sleeps", 60)
    runner.run_job(make_session_factory(make_engine(sys.argv[1])), "rollups")
    """
)


def test_killing_a_process_mid_job_leaves_a_run_the_next_run_repairs(sessions, sqlite_url) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_JOB, sqlite_url], cwd=REPO, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while _statuses(sessions) != ["running"]:
            assert worker.poll() is None, "the job process exited early"
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.1)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    with sessions() as session:
        assert session.scalars(select(JobLock.holder)).one() == f"{HOST}:{worker.pid}"
    result = run_job(sessions, "rollups")
    assert result.status == "succeeded"
    assert _statuses(sessions) == ["interrupted", "succeeded"]
