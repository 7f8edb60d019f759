"""The app factory: several apps in one process each have all their callbacks and pages,
and settings come from the config passed in."""

from __future__ import annotations

from app import create_app
from app.dash_app import EXTENSION_KEY
from components import ids


def _app(tmp_path, name: str):
    return create_app(
        {
            "APP_ENV": "test",
            "DATABASE_URL": f"sqlite:///{tmp_path / name}.db",
            "INSTANCE_PATH": str(tmp_path / name),
            "SECRET_KEY": f"secret-{name}",
            "LOG_LEVEL": "WARNING",
        }
    )


def _outputs(dash_app) -> set[str]:
    return set(dash_app.callback_map)


def test_each_app_has_its_own_complete_callbacks(tmp_path) -> None:
    first, second = _app(tmp_path, "one"), _app(tmp_path, "two")
    first_dash, second_dash = first.extensions[EXTENSION_KEY], second.extensions[EXTENSION_KEY]
    assert first_dash is not second_dash
    assert _outputs(first_dash) == _outputs(second_dash)
    expected = {ids.OVERVIEW_KPIS, ids.NAV, ids.ADMIN_PLATFORM_WRITERS, ids.RANGE_LABEL}
    for dash_app in (first_dash, second_dash):
        outputs = " ".join(_outputs(dash_app))
        for component_id in expected:
            assert component_id in outputs
    assert first.config["DATABASE_URL"] != second.config["DATABASE_URL"]
    assert first.config["SECRET_KEY"] == "secret-one"


def test_development_secret_is_generated_once_and_kept(tmp_path) -> None:
    from app.config import load_config

    instance = tmp_path / "instance"
    first = load_config({"APP_ENV": "development", "INSTANCE_PATH": str(instance)})
    second = load_config({"APP_ENV": "development", "INSTANCE_PATH": str(instance)})
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert len(first["SECRET_KEY"]) == 64
    assert (instance / "secret_key").stat().st_mode & 0o777 == 0o600
    assert first["DATABASE_URL"] == f"sqlite:///{instance / 'legato.db'}"


def test_invalid_settings_are_refused_with_the_variable_name() -> None:
    import pytest

    from app.config import ConfigError, load_config

    for environ, name in (
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"JOBS_IN_PROCESS": "maybe"}, "JOBS_IN_PROCESS"),
        ({"APP_ENV": "staging"}, "APP_ENV"),
    ):
        with pytest.raises(ConfigError, match=name):
            load_config({"SECRET_KEY": "k", **environ})


def test_serving_apps_freeze_their_startup_objects_and_test_apps_do_not(tmp_path) -> None:
    import gc

    gc.unfreeze()
    try:
        _app(tmp_path, "test-env")
        assert gc.get_freeze_count() == 0  # a test process builds many apps: nothing frozen
        create_app(
            {
                "APP_ENV": "development",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'dev'}.db",
                "INSTANCE_PATH": str(tmp_path / "dev"),
                "LOG_LEVEL": "WARNING",
            }
        )
        # The libraries and the app (well over 100,000 objects) leave the collector's walk.
        assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()
