"""The manager that runs Dash background callbacks (the Export page's file builds).

- Default: ``DiskcacheManager``. Each job runs in a child process of the web process and
  its progress and result go through a ``diskcache`` directory under the instance folder
  (``INSTANCE_PATH/background-jobs``), so several web processes on one machine share it.
- With ``CELERY_BROKER_URL`` set: ``CeleryManager`` on a Celery app with that broker and
  ``CELERY_RESULT_BACKEND`` (default: the broker URL), for several machines. Celery is
  imported only then, so it needs installing only where it is configured
  (``pip install "celery[redis]"``), and a worker must run the same app:
  ``celery --app app.celery_worker:celery_app worker``.

Dash keeps background functions in a process-wide registry keyed by their source, so one
process should serve one Dash app (as gunicorn and the Celery worker do); tests that build
several apps in one process use the most recently built app's callbacks for jobs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import diskcache
from dash import DiskcacheManager
from dash.background_callback.managers import BaseBackgroundCallbackManager

from app.config import ConfigError

#: Celery drops results and progress of jobs after this many seconds (a finished job's
#: result is read, and deleted, by the page that started it within a second or two).
RESULT_EXPIRE_SECONDS = 3600
#: The diskcache folder's size bound (it evicts the least recently stored entries, e.g.
#: results of jobs whose page was closed before they finished).
JOBS_CACHE_BYTES = 512 * 1024 * 1024
JOBS_FOLDER = "background-jobs"
CELERY_EXTENSION_KEY = "legato.celery"


def make_background_manager(config: Mapping[str, Any]) -> BaseBackgroundCallbackManager:
    """The background callback manager for ``config`` (see the module docstring). Raises
    ``ConfigError`` when ``CELERY_BROKER_URL`` is set but Celery is not installed."""
    broker = str(config.get("CELERY_BROKER_URL") or "")
    if broker:
        return _celery_manager(broker, str(config.get("CELERY_RESULT_BACKEND") or broker))
    folder = Path(config["INSTANCE_PATH"]) / JOBS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(folder), size_limit=JOBS_CACHE_BYTES))


def _celery_manager(broker: str, backend: str) -> BaseBackgroundCallbackManager:
    try:
        from celery import Celery
        from dash import CeleryManager
    except ImportError as error:
        raise ConfigError(
            "CELERY_BROKER_URL is set but Celery is not installed: "
            "pip install 'celery[redis]' (or unset CELERY_BROKER_URL to run exports in "
            "local processes)"
        ) from error
    celery_app = Celery("legato", broker=broker, backend=backend)
    celery_app.conf.update(task_track_started=True, result_expires=RESULT_EXPIRE_SECONDS)
    return CeleryManager(celery_app, expire=RESULT_EXPIRE_SECONDS)


def celery_app_of(manager: BaseBackgroundCallbackManager) -> Any | None:
    """The Celery app behind ``manager`` (``None`` for the diskcache manager)."""
    handle = getattr(manager, "handle", None)
    return None if isinstance(handle, diskcache.Cache) else handle
