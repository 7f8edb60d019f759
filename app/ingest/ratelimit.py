"""Per-write-key rate limits (Flask-Limiter's storage and moving-window strategy).

``init_rate_limits(app)`` builds a ``flask_limiter.Limiter`` for the app: its storage is
``RATELIMIT_STORAGE_URI`` (``memory://`` by default, so each process counts on its own;
``redis://…`` shares counts between processes and machines). The limits are
``INGEST_RATE_LIMIT`` (e.g. ``"100/second;3000/minute"``), counted per write key and
request (a batch counts once). :func:`check_rate_limit` is called by the views after the
key is authenticated and raises 429 ``rate_limited`` with ``Retry-After`` when a limit is
exhausted. If the shared storage is unreachable the request is let through and a warning
is logged: rate limiting protects the service, it must not make ingest unavailable.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, current_app
from flask_limiter import Limiter
from limits import RateLimitItem, parse_many

from app.ingest.errors import IngestError

logger = logging.getLogger("legato.ingest")
EXTENSION_KEY = "legato.ingest_limits"


def init_rate_limits(app: Flask) -> None:
    """Create the app's limiter from its config (see the module docstring)."""
    limiter = Limiter(
        key_func=lambda: "",  # limits are checked explicitly, per key, by the views
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        strategy="moving-window",
        default_limits=[],
        headers_enabled=False,
        key_prefix="legato",
    )
    items = parse_many(app.config["INGEST_RATE_LIMIT"]) if app.config["INGEST_RATE_LIMIT"] else []
    app.extensions[EXTENSION_KEY] = (limiter, items)


def check_rate_limit(key_id: int) -> None:
    """Count one request for write key ``key_id``; 429 when over any configured limit."""
    limiter: Limiter
    items: list[RateLimitItem]
    limiter, items = current_app.extensions[EXTENSION_KEY]
    identity = str(key_id)
    try:
        strategy = limiter.limiter
        for item in items:
            if not strategy.hit(item, "ingest", identity):
                reset_at = strategy.get_window_stats(item, "ingest", identity).reset_time
                retry_after = max(1, math.ceil(reset_at - time.time()))
                raise IngestError(
                    429,
                    "rate_limited",
                    f"Rate limit of {item} per write key exceeded; retry after {retry_after} s.",
                    retry_after=retry_after,
                )
    except IngestError:
        raise
    except Exception as error:  # storage unreachable: let the request through
        logger.warning("ingest: rate-limit storage unavailable (%s); not limiting", error)
