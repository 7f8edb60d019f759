"""Legato Analytics: the composition root.

``create_app(config=None)`` builds the Flask server with the database, authentication,
the dashboards (Dash, mounted at ``/``), the CLI commands and, when configured, the
in-process job scheduler (``JOBS_IN_PROCESS``) or the Celery app that sends jobs and Dash
background callbacks to workers (``CELERY_BROKER_URL``, which wins: with a broker the web
process never starts the in-process scheduler). ``config`` overrides settings read from
the environment (see ``app.config.load_config``); tests pass their own database URL and
instance path.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify
from flask_bootstrap import Bootstrap5
from sqlalchemy import text

from app.api_document import init_api_document
from app.auth import init_auth
from app.background import init_celery
from app.config import load_config
from app.database import get_database, init_database
from app.experiments_api import init_experiments_api
from app.ingest import init_ingest
from app.read_api import init_read_api


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=False
    )
    logging.getLogger("legato").setLevel(level)


def freeze_startup_objects() -> None:
    """Collect garbage once, then move every object alive now (the imported libraries, the
    app and its callbacks: about 260,000 objects) out of the garbage collector's reach
    (``gc.freeze``). They live as long as the process anyway; left in place, each full
    collection walks them all, which takes about 180 ms here and lands in whichever request
    happens to allocate at that moment (measured as the p95 of the dashboard callbacks).
    ``create_app`` calls it outside tests (a test process builds many apps, and frozen
    objects are never freed)."""
    gc.collect()
    gc.freeze()


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build and return the Flask application (see the module docstring)."""
    settings = load_config(overrides=config)
    server = Flask(__name__, instance_path=settings["INSTANCE_PATH"])
    server.config.update(settings)
    _configure_logging(settings["LOG_LEVEL"])

    database = init_database(server)
    # CELERY_BROKER_URL set: one Celery app runs the jobs and the Dash background callbacks.
    celery_app = init_celery(server)
    Bootstrap5(server)
    init_auth(server)
    init_ingest(server)  # after init_auth: exempts its blueprint from the CSRF extension
    init_read_api(server)  # GET-only /api/v1 metrics; authenticates by read key or session
    init_experiments_api(server)  # likewise (write-key authenticated)
    init_api_document(server)  # /api/openapi.json: the ingest, read and assignment APIs

    @server.get("/healthz")
    def health():  # public: load balancers and `make run` probe it
        with get_database().session() as session:
            session.execute(text("SELECT 1"))
        return jsonify({"status": "ok"})

    from app.cli import register_cli
    from app.dash_app import create_dash_app
    from app.demo_accounts import load_demo_hint

    server.config.setdefault("DEMO_ACCOUNTS_HINT", load_demo_hint(server))
    create_dash_app(server, database.sessions)
    register_cli(server)

    if settings["JOBS_IN_PROCESS"] and celery_app is not None:
        logging.getLogger("legato.jobs").warning(
            "JOBS_IN_PROCESS is ignored: CELERY_BROKER_URL is set, so jobs run on Celery "
            "workers (flask --app app jobs worker)"
        )
    elif settings["JOBS_IN_PROCESS"]:
        from app.jobs.scheduler import start_scheduler

        start_scheduler(server)
    if settings["APP_ENV"] != "test":
        freeze_startup_objects()
    return server
