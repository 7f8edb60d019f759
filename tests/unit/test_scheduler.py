"""The in-process scheduler's first runs: jobs that are due run at once (staggered, rollups
first); a job that succeeded less than an interval ago waits for its interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from app import create_app
from app.database import get_database
from app.jobs.registry import JOBS
from app.jobs.scheduler import STARTUP_STAGGER_SECONDS, _add_jobs, first_run_times
from data.models import JobRun
from data.queries.admin import JobRunRow

NOW = datetime(2026, 11, 24, 12, 0)


def _run(name: str, status: str, started_at: datetime) -> JobRunRow:
    return JobRunRow(
        id=1,
        job_name=name,
        trigger="scheduler",
        status=status,
        started_at=started_at,
        finished_at=started_at + timedelta(seconds=5),
        rows_written=0,
        error=None,
        params=None,
    )


def test_due_jobs_run_at_once_in_registry_order_and_recent_ones_wait() -> None:
    names = list(JOBS)
    assert names[0] == "rollups"
    latest = {
        "forecasts": _run("forecasts", "succeeded", NOW - timedelta(hours=2)),
        "recommendations": _run("recommendations", "failed", NOW - timedelta(minutes=5)),
        "alerts": _run("alerts", "succeeded", NOW - timedelta(hours=3)),  # hourly: overdue
    }
    times = first_run_times(latest, NOW)
    assert set(times) == set(JOBS)
    assert times["forecasts"] == NOW + timedelta(hours=22)  # ran 2 h ago, nightly
    due = [name for name in names if name != "forecasts"]
    # Every other job is due (never ran, failed, or an interval old): staggered in order.
    assert [times[name] for name in due] == [
        NOW + timedelta(seconds=STARTUP_STAGGER_SECONDS * k) for k in range(len(due))
    ]
    assert times["rollups"] == NOW


def test_the_scheduler_schedules_the_first_runs_from_the_job_runs_table(
    sqlite_url: str, tmp_path
) -> None:
    app = create_app(
        {
            "APP_ENV": "test",
            "DATABASE_URL": sqlite_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "scheduler-test",
            "LOG_LEVEL": "WARNING",
        }
    )
    recently = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    with get_database(app).session() as session:
        session.add(
            JobRun(
                job_name="forecasts",
                trigger="scheduler",
                status="succeeded",
                started_at=recently,
                finished_at=recently + timedelta(minutes=2),
            )
        )
        session.commit()
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_jobs(app, scheduler)  # not started: nothing runs, the plan is inspected
    planned = {job.id: job.next_run_time for job in scheduler.get_jobs()}
    assert set(planned) == set(JOBS)
    soon = datetime.now(UTC) + timedelta(seconds=STARTUP_STAGGER_SECONDS * len(JOBS) + 60)
    assert planned["rollups"] <= soon
    assert planned["recommendations"] <= soon  # never ran: within minutes, not in 6 hours
    assert planned["forecasts"] == (recently + timedelta(days=1)).replace(tzinfo=UTC)
