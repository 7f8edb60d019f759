"""The background callback manager: diskcache under the instance folder by default, Celery
only when a broker is configured (and a clear error when Celery is not installed)."""

from __future__ import annotations

import sys

import pytest
from dash import DiskcacheManager

from app.background import JOBS_FOLDER, celery_app_of, make_background_manager
from app.config import ConfigError


def test_diskcache_manager_by_default(tmp_path) -> None:
    manager = make_background_manager({"INSTANCE_PATH": str(tmp_path), "CELERY_BROKER_URL": ""})
    assert isinstance(manager, DiskcacheManager)
    assert manager.handle.directory == str(tmp_path / JOBS_FOLDER)
    assert celery_app_of(manager) is None


def test_celery_broker_without_celery_is_a_clear_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "celery", None)  # as if Celery were not installed
    with pytest.raises(ConfigError, match="Celery is not installed"):
        make_background_manager(
            {"INSTANCE_PATH": str(tmp_path), "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}
        )
