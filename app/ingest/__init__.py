"""The ingest API: the native ``/api/v1/events/*`` endpoints and the Segment-compatible
``/v1/*`` HTTP Tracking API, authenticated by write key (docs/api.md).

Modules: ``body`` (JSON/gzip/limits), ``gate`` (SQLite writers take turns), ``validation`` (documents -> canonical rows or
field errors), ``segment`` (the Segment vocabulary), ``service`` (key check and the
durable write), ``ratelimit`` (per-key limits), ``openapi`` (the served document),
``views`` (the thin HTTP layer), ``errors`` (error envelopes).
"""

from __future__ import annotations

from flask import Flask

from app.ingest.caches import IngestCaches
from app.ingest.gate import gate_for
from app.ingest.ratelimit import init_rate_limits
from app.ingest.views import CACHES_KEY, GATE_KEY, blueprint

__all__ = ["init_ingest"]


def init_ingest(app: Flask) -> None:
    """Register the ingest blueprint on ``app``, exempt from CSRF (it authenticates by
    write key, never by session cookie), with its per-key rate limiter."""
    init_rate_limits(app)
    app.extensions[CACHES_KEY] = IngestCaches()
    app.extensions[GATE_KEY] = gate_for(app.config["DATABASE_URL"])
    app.extensions["csrf"].exempt(blueprint)
    app.register_blueprint(blueprint)
