"""Fixtures of the browser tests: the app they serve to headless Chromium (``dash_duo``).

- ``make_server`` (function): a factory ``make_server(seed=None, **config) -> Flask`` building
  the app on this test's fresh SQLite database (``sqlite_url``) and ``tmp_path`` instance
  folder, seeded by ``seed``; each test module seeds what its pages need.
- ``dash_app`` (function): the Dash app on tests/factories.py's small platform (a module
  whose pages need other data overrides it with its own ``dash_app``).
- ``write_key_server`` (function): the Flask app on the small platform with a write API key
  (``config["TEST_WRITE_KEY"]``) and no ingest rate limit, for tests that send traffic
  through the HTTP API while the browser watches.

The plain helpers (``start``, ``sign_in``, ``click``...) are in ``tests/browser/helpers.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from app import create_app
from app.auth.api_keys import create_api_key
from app.dash_app import EXTENSION_KEY
from app.database import get_database
from tests.factories import build_small_platform

if TYPE_CHECKING:
    from dash import Dash
    from flask import Flask
    from sqlalchemy.orm import Session

#: Settings every browser test's app starts from; ``make_server`` adds the test's database
#: and instance folder, then the test's own settings.
APP_SETTINGS = {"APP_ENV": "test", "SECRET_KEY": "browser-test-secret", "LOG_LEVEL": "WARNING"}
#: What a seed may return: settings to add to the app's config (how a fixture hands the ids
#: or keys of the rows it created to its tests), or ``None``.
Seed = Callable[["Session"], Mapping[str, Any] | None]
#: The type of ``make_server``: ``(seed=None, **config) -> Flask``.
ServerFactory = Callable[..., "Flask"]


@pytest.fixture
def make_server(sqlite_url: str, tmp_path: Path) -> ServerFactory:
    """Factory ``make_server(seed=None, **config) -> Flask``: a new app (``create_app``) in
    test mode on this test's database and instance folder, with a fixed secret key, logs at
    WARNING and ``config`` on top (e.g. ``INGEST_RATE_LIMIT=""``). ``seed(session)`` fills
    the database; the session is committed afterwards, and a mapping it returns is merged
    into ``app.config``."""

    def build(seed: Seed | None = None, **config: Any) -> Flask:
        place = {"DATABASE_URL": sqlite_url, "INSTANCE_PATH": str(tmp_path / "instance")}
        server = create_app({**APP_SETTINGS, **place, **config})
        if seed is not None:
            with get_database(server).session() as session:
                settings = seed(session)
                session.commit()
            server.config.update(settings or {})
        return server

    return build


def _small_platform(session: Session) -> None:
    build_small_platform(session, datetime.now(UTC).date())


@pytest.fixture
def dash_app(make_server: ServerFactory) -> Dash:
    """The Dash app on tests/factories.py's small platform (two writers, their stories,
    readers and revenue up to today, the writer and admin accounts)."""
    return make_server(_small_platform).extensions[EXTENSION_KEY]


@pytest.fixture
def write_key_server(make_server: ServerFactory) -> Flask:
    """The Flask app on the small platform, with a write API key for source ``web`` in
    ``config["TEST_WRITE_KEY"]`` and the ingest rate limit off (tests send bursts)."""

    def seed(session: Session) -> dict[str, str]:
        _small_platform(session)
        _, key = create_api_key(session, name="web", kind="write", source="web")
        return {"TEST_WRITE_KEY": key}

    return make_server(seed, INGEST_RATE_LIMIT="")
