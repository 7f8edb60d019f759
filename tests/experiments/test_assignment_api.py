"""The assignment API's fast path: the per-process experiment cache follows every change
made elsewhere (another process, the admin pages), a unit's first recorded variant wins
over a new assignment, a first exposure is stored only for units without one (SQLite and
PostgreSQL), and the analysis launcher the API module installs runs the job."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import create_app
from app.auth.api_keys import create_api_key
from app.database import get_database
from app.jobs.console import EXTENSION_KEY as JOB_CONSOLE_KEY
from callbacks.admin_experiments import ANALYSIS_LAUNCHER
from data.db import utcnow
from data.experiments import (
    create_experiment,
    get_experiment,
    load_snapshot,
    record_exposure,
    record_first_exposure,
    request_analysis,
    start_experiment,
    stop_experiment,
    update_experiment,
)
from data.models import ExperimentExposure, JobRun
from tests.experiments.helpers import ACTOR, form

URL = "/api/v1/experiments/cover-test/assignment"


def _app(url: str, folder: Path) -> Flask:
    return create_app(
        {
            "APP_ENV": "test",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "test-secret-key",
            "LOG_LEVEL": "WARNING",
            "TESTING": True,
        }
    )


@pytest.fixture
def apps(sqlite_url: str, tmp_path: Path):
    """Two apps on one database (two processes, each with its own cache) and a write key."""
    first, second = _app(sqlite_url, tmp_path / "a"), _app(sqlite_url, tmp_path / "b")
    with get_database(first).session() as session:
        _, key = create_api_key(session, name="web", kind="write", source="web")
        create_experiment(session, form(), ACTOR)
        start_experiment(session, "cover-test", ACTOR)
        session.commit()
    yield first, second, {"Authorization": f"Bearer {key}"}
    for app in (first, second):
        get_database(app).engine.dispose()


def _exposures(app: Flask) -> int:
    with get_database(app).session() as session:
        return session.scalar(select(func.count()).select_from(ExperimentExposure))


def test_changes_made_elsewhere_reach_the_cached_experiment(apps) -> None:
    serving, admin, headers = apps
    client = serving.test_client()
    assert client.get(f"{URL}?user_id=u1", headers=headers).json["in_experiment"] is True
    with get_database(admin).session() as session:  # "another process" cuts the traffic
        update_experiment(session, "cover-test", form(traffic_percent=0.01), ACTOR)
        session.commit()
    answers = [client.get(f"{URL}?user_id=n{i}", headers=headers).json for i in range(40)]
    assert sum(a["in_experiment"] for a in answers) <= 2
    assert client.get(f"{URL}?user_id=u1", headers=headers).json["in_experiment"] is True
    with get_database(admin).session() as session:
        stop_experiment(session, "cover-test", ACTOR)
        session.commit()
    stopped = client.get(f"{URL}?user_id=u1", headers=headers)
    assert stopped.status_code == 409
    assert stopped.json["error"]["code"] == "not_running"


def test_the_recorded_variant_wins_and_nothing_more_is_stored(apps) -> None:
    serving, _admin, headers = apps
    with get_database(serving).session() as session:
        experiment = get_experiment(session, "cover-test")
        for unit in ("c1", "c2", "c3", "c4"):  # recorded by a client's own exposure events
            record_exposure(session, experiment.id, unit, "bright", utcnow())
        session.commit()
    client = serving.test_client()
    for unit in ("c1", "c2", "c3", "c4"):
        assert client.get(f"{URL}?user_id={unit}", headers=headers).json["variant"] == "bright"
    assert _exposures(serving) == 4


def test_a_first_exposure_is_stored_only_for_units_without_one(session: Session) -> None:
    experiment = create_experiment(session, form(), ACTOR)
    now = utcnow()
    assert record_first_exposure(session, experiment.id, "u1", "control", now) is True
    assert record_first_exposure(session, experiment.id, "u1", "control", now) is False
    assert record_first_exposure(session, experiment.id, "u1", "bright", now) is False
    assert record_first_exposure(session, experiment.id, "u2", "bright", now) is True
    session.commit()
    rows = session.execute(
        select(ExperimentExposure.unit_id, ExperimentExposure.variant_key).order_by(
            ExperimentExposure.unit_id
        )
    ).all()
    assert [tuple(r) for r in rows] == [("u1", "control"), ("u2", "bright")]


def test_the_installed_launcher_runs_the_analysis_job(apps) -> None:
    serving, _admin, headers = apps
    serving.test_client().get(f"{URL}?user_id=u1", headers=headers)
    with get_database(serving).session() as session:
        experiment_id = get_experiment(session, "cover-test").id
        request_analysis(session, experiment_id, utcnow())
        session.commit()
    assert serving.extensions[ANALYSIS_LAUNCHER]("Admin") is True
    serving.extensions[JOB_CONSOLE_KEY].join(30)
    with get_database(serving).session() as session:
        stored = load_snapshot(session, experiment_id)
        run = session.scalars(select(JobRun).where(JobRun.job_name == "experiment_analysis")).one()
    assert stored is not None
    assert stored.data.units == 1
    assert not stored.pending
    assert (run.trigger, run.status, run.params) == (
        "console",
        "succeeded",
        {"requested_by": "Admin"},
    )
