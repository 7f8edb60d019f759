"""Where background work runs: the Dash background-callback manager and, when configured,
the Celery app.

- Default: ``DiskcacheManager``. Each Dash background callback (the Export page's file
  builds) runs in a child process of the web process and its progress and result go
  through a ``diskcache`` directory under the instance folder
  (``INSTANCE_PATH/background-jobs``), so several web processes on one machine share it.
  Jobs run in-process (``app.jobs.scheduler``, the console's threads).
- With ``CELERY_BROKER_URL`` set: one Celery app (``app.celery_app``) for both the Dash
  background callbacks (``CeleryManager``) and the jobs (``legato.jobs.<name>`` tasks and
  their beat schedule), with ``CELERY_RESULT_BACKEND`` (default: the broker URL), for
  several machines. :func:`init_celery` builds it, registers the job tasks and keeps the
  app and its job queue in ``app.extensions`` (``CELERY_EXTENSION_KEY``,
  ``JOB_QUEUE_EXTENSION_KEY``). Celery is imported only then, so it needs installing only
  where it is configured; workers run the same Flask app (``flask --app app jobs worker``
  or ``celery --app app.celery_worker:celery_app worker``).

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
from flask import Flask

from app.config import ConfigError

#: Celery drops results and progress of callbacks after this many seconds (a finished
#: job's result is read, and deleted, by the page that started it within a second or two).
RESULT_EXPIRE_SECONDS = 3600
#: The diskcache folder's size bound (it evicts the least recently stored entries, e.g.
#: results of jobs whose page was closed before they finished).
JOBS_CACHE_BYTES = 512 * 1024 * 1024
JOBS_FOLDER = "background-jobs"
CELERY_EXTENSION_KEY = "legato.celery"
JOB_QUEUE_EXTENSION_KEY = "legato.celery.jobs"


def celery_configured(config: Mapping[str, Any]) -> bool:
    """True when ``config`` sends background work to Celery (``CELERY_BROKER_URL`` set)."""
    return bool(str(config.get("CELERY_BROKER_URL") or "").strip())


def load_celery_app(config: Mapping[str, Any]) -> Any:
    """A new Celery app for ``config`` (``app.celery_app.make_celery_app``, without tasks).
    Raises ``ConfigError`` when ``CELERY_BROKER_URL`` is unset or Celery is not installed."""
    try:
        import celery  # noqa: F401  (fails here, with the message below, when not installed)

        from app.celery_app import make_celery_app
    except ImportError as error:
        raise ConfigError(
            "CELERY_BROKER_URL is set but Celery is not installed: "
            "pip install -r requirements.txt (or unset CELERY_BROKER_URL to run jobs and "
            "exports in local processes)"
        ) from error
    return make_celery_app(config)


def init_celery(server: Flask) -> Any | None:
    """When ``server``'s config has ``CELERY_BROKER_URL``: build its Celery app, register
    every job as a task run in ``server`` and keep the app and its job queue
    (``app.celery_app.CeleryJobQueue``) in ``server.extensions``; return the app. Without
    a broker: ``None``, nothing changes. Call after ``init_database`` and before
    ``app.dash_app.create_dash_app`` (whose manager uses the same app). Raises
    ``ConfigError`` when Celery is not installed."""
    if not celery_configured(server.config):
        return None
    celery_app = load_celery_app(server.config)
    from app.celery_app import register_job_tasks

    server.extensions[CELERY_EXTENSION_KEY] = celery_app
    server.extensions[JOB_QUEUE_EXTENSION_KEY] = register_job_tasks(celery_app, server)
    return celery_app


def make_background_manager(
    config: Mapping[str, Any], celery_app: Any | None = None
) -> BaseBackgroundCallbackManager:
    """The background callback manager for ``config`` (see the module docstring): with a
    broker, a ``CeleryManager`` on ``celery_app`` (the app's, from :func:`init_celery`;
    built from ``config`` when ``None``). Raises ``ConfigError`` when ``CELERY_BROKER_URL``
    is set but Celery is not installed."""
    if celery_configured(config):
        if celery_app is None:
            celery_app = load_celery_app(config)
        from dash import CeleryManager

        return CeleryManager(celery_app, expire=RESULT_EXPIRE_SECONDS)
    folder = Path(config["INSTANCE_PATH"]) / JOBS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(folder), size_limit=JOBS_CACHE_BYTES))


def celery_app_of(manager: BaseBackgroundCallbackManager) -> Any | None:
    """The Celery app behind ``manager`` (``None`` for the diskcache manager)."""
    handle = getattr(manager, "handle", None)
    return None if isinstance(handle, diskcache.Cache) else handle
