"""The Celery entry point when ``CELERY_BROKER_URL`` is set: the Flask app's Celery app,
which runs both the jobs (``legato.jobs.<name>``, with their beat schedule) and the Dash
background callbacks (the Export page's file builds)::

    celery --app app.celery_worker:celery_app worker --beat   # one worker with beat
    celery --app app.celery_worker:celery_app worker          # further workers
    celery --app app.celery_worker:celery_app beat            # or beat on its own

``flask --app app jobs worker`` (the Procfile's ``worker``) runs the same worker with
beat. Importing this module builds the same application as the web processes (same
settings from the environment), so the worker registers the same tasks (see
``app.celery_app``). Without ``CELERY_BROKER_URL`` jobs run in-process and background
callbacks in local processes, and no Celery worker is needed: importing this module then
raises ``RuntimeError``.
"""

from __future__ import annotations

from app import create_app
from app.background import CELERY_EXTENSION_KEY

server = create_app()
celery_app = server.extensions.get(CELERY_EXTENSION_KEY)
if celery_app is None:
    raise RuntimeError(
        "CELERY_BROKER_URL is not set: jobs run in-process and exports in local processes, "
        "no Celery worker is needed"
    )
