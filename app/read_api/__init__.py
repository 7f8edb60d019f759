"""The read API: metrics as JSON under ``/api/v1/stats|writers|stories|readers/…``,
authenticated by a read key or a dashboard session (``views``), built from the query layer
and ``app.analytics`` (``sections``), documented by ``openapi.read_api_openapi()``."""

from __future__ import annotations

from flask import Flask

from app.read_api.views import blueprint

__all__ = ["init_read_api"]


def init_read_api(app: Flask) -> None:
    """Register the ``read_api`` blueprint. Its routes are GET only, so CSRF never applies;
    the deny-by-default guard lets the blueprint authenticate requests itself."""
    app.register_blueprint(blueprint)
