"""The Celery app's configuration (``app.celery_app``): the beat schedule generated from the
job registry, broker and result backend from the settings, and the Dash background-callback
manager on the same Celery app. No broker is contacted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from dash import CeleryManager

from app.background import celery_app_of, celery_configured, make_background_manager
from app.celery_app import (
    BEAT_SCHEDULE_FILE,
    JOB_TASK_PREFIX,
    beat_schedule,
    job_task_name,
    make_celery_app,
)
from app.config import ConfigError
from app.jobs.registry import FORECASTS_INTERVAL_SECONDS, JOBS

BROKER = "redis://127.0.0.1:6399/3"


def _config(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"INSTANCE_PATH": str(tmp_path / "instance"), "CELERY_BROKER_URL": BROKER, **extra}


def test_beat_schedule_runs_every_job_on_its_interval() -> None:
    schedule = beat_schedule()
    assert list(schedule) == list(JOBS)
    for name, spec in JOBS.items():
        entry = schedule[name]
        assert entry["task"] == job_task_name(name) == f"{JOB_TASK_PREFIX}{name}"
        assert entry["schedule"] == timedelta(seconds=spec.interval_seconds)
        assert entry["kwargs"] == {"trigger": "beat"}
        assert entry["options"] == {"expires": spec.interval_seconds}
    assert schedule["rollups"]["schedule"] == timedelta(minutes=1)
    assert schedule["forecasts"]["schedule"] == timedelta(seconds=FORECASTS_INTERVAL_SECONDS)


def test_celery_app_from_settings(tmp_path: Path) -> None:
    celery_app = make_celery_app(_config(tmp_path))
    assert celery_app.conf.broker_url == BROKER
    assert celery_app.conf.result_backend == BROKER  # the broker unless set
    assert celery_app.conf.beat_schedule == beat_schedule()
    assert celery_app.conf.beat_schedule_filename == str(tmp_path / "instance" / BEAT_SCHEDULE_FILE)
    assert (tmp_path / "instance").is_dir()  # created for beat's schedule file
    assert celery_app.conf.task_track_started is True
    assert celery_app.conf.timezone == "UTC"
    backend = "redis://127.0.0.1:6399/4"
    other = make_celery_app(_config(tmp_path, CELERY_RESULT_BACKEND=backend))
    assert other.conf.result_backend == backend


def test_no_broker_no_celery(tmp_path: Path) -> None:
    assert not celery_configured({"CELERY_BROKER_URL": "  "})
    assert celery_configured(_config(tmp_path))
    with pytest.raises(ConfigError, match="CELERY_BROKER_URL"):
        make_celery_app({"INSTANCE_PATH": str(tmp_path), "CELERY_BROKER_URL": ""})


def test_background_callbacks_use_the_given_celery_app(tmp_path: Path) -> None:
    celery_app = make_celery_app(_config(tmp_path))
    manager = make_background_manager(_config(tmp_path), celery_app)
    assert isinstance(manager, CeleryManager)
    assert celery_app_of(manager) is celery_app
    built = make_background_manager(_config(tmp_path))  # no app given: built from settings
    assert isinstance(built, CeleryManager)
    assert celery_app_of(built).conf.broker_url == BROKER
