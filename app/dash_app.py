"""Build the Dash app on a Flask server: theme, pages, shell and callbacks.

Every call builds a new Dash app with its own callbacks (``register(app, sessions)``), so
several apps in one process (tests) each have all of theirs. Pages are registered
explicitly from ``components.pages.PAGES``; Dash's page registry is process-global, and
registering the same list again is harmless.
"""

from __future__ import annotations

from pathlib import Path

import dash
from dash import Dash
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from app.background import (
    CELERY_EXTENSION_KEY,
    JOB_QUEUE_EXTENSION_KEY,
    make_background_manager,
)
from app.jobs.console import EXTENSION_KEY as JOB_CONSOLE_KEY
from app.jobs.console import JobConsole
from callbacks import (
    admin_access,
    admin_experiments,
    admin_jobs,
    admin_platform,
    admin_realtime,
    alerts,
    audience,
    export,
    growth,
    overview,
    recommendations,
    revenue,
    shell,
    stories,
    story,
)
from components.pages import PAGES
from components.shell import layout as shell_layout

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
STYLESHEETS = (
    "/bootstrap/static/css/bootstrap.min.css",
    "/bootstrap/static/css/font/bootstrap-icons.min.css",
)
CALLBACK_MODULES = (
    shell,
    overview,
    stories,
    story,
    audience,
    revenue,
    growth,
    recommendations,
    alerts,
    export,
    admin_platform,
    admin_realtime,
    admin_experiments,
    admin_access,
)
EXTENSION_KEY = "legato.dash"


def create_dash_app(server: Flask, sessions: sessionmaker[Session]) -> Dash:
    """Mount the dashboards on ``server`` at ``/`` and return the Dash app. Background
    callbacks (exports) run on ``app.background.make_background_manager``'s manager, on
    the server's Celery app when ``app.background.init_celery`` made one; the Jobs page's
    "Run now" then sends jobs to the Celery workers too."""
    background = make_background_manager(server.config, server.extensions.get(CELERY_EXTENSION_KEY))
    app = Dash(
        __name__,
        server=server,
        url_base_pathname="/",
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS_DIR),
        external_stylesheets=list(STYLESHEETS),
        title="Legato Analytics",
        update_title=None,
        suppress_callback_exceptions=False,
        serve_locally=True,
        compress=False,
        background_callback_manager=background,
    )
    for page in PAGES:
        dash.register_page(
            page.module,
            path=page.path,
            name=page.title,
            title=f"{page.title} · Legato Analytics",
            layout=page.layout,
            admin_only=page.admin_only,
            **({"path_template": page.path_template} if page.path_template else {}),
        )
    app.layout = shell_layout
    for module in CALLBACK_MODULES:
        module.register(app, sessions)
    # The Jobs page starts jobs through the console (callbacks may not import app.jobs).
    console = JobConsole(
        sessions, server.config, queue=server.extensions.get(JOB_QUEUE_EXTENSION_KEY)
    )
    server.extensions[JOB_CONSOLE_KEY] = console
    admin_jobs.register(app, sessions, console)
    server.extensions[EXTENSION_KEY] = app
    return app
