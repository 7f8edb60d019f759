"""The Celery worker's entry point, for Dash background callbacks (exports) when
``CELERY_BROKER_URL`` is set::

    celery --app app.celery_worker:celery_app worker

It builds the same application as the web processes (same settings from the environment),
so the worker registers the same background callbacks as Celery tasks. Without
``CELERY_BROKER_URL`` background callbacks run in local processes and no worker is needed.
"""

from __future__ import annotations

from app import create_app
from app.background import CELERY_EXTENSION_KEY

server = create_app()
celery_app = server.extensions.get(CELERY_EXTENSION_KEY)
if celery_app is None:
    raise RuntimeError(
        "CELERY_BROKER_URL is not set: exports run in local processes, no worker is needed"
    )
