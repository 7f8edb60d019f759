"""The ingest HTTP layer: authenticate, rate-limit, read and validate the body, call
:func:`app.ingest.service.store_events` once, answer. Nothing else happens here.

Routes (contract in docs/api.md and ``/api/openapi.json``):

- native: ``POST /api/v1/events/track``, ``/track-batch``, ``/content-engagement``,
  ``/user-behavior``, ``/revenue``;
- Segment HTTP Tracking API: ``POST /v1/track|identify|page|screen|group|alias`` and
  ``/v1/batch`` (also ``/v1/import``);
- ``GET /api/openapi.json``.

Answers: 200 with what was accepted, what was a duplicate and which batch items were
rejected (and why). When nothing in the request could be accepted it is 400 instead.
Errors are JSON envelopes (``app.ingest.errors``): the native one on ``/api``, Segment's
on ``/v1``; 429 and 503 carry ``Retry-After``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from app.database import get_database
from app.ingest.body import MAX_BATCH_BYTES, MAX_EVENT_BYTES, parse_json, read_body
from app.ingest.caches import IngestCaches
from app.ingest.errors import IngestError
from app.ingest.openapi import openapi_document
from app.ingest.ratelimit import check_rate_limit
from app.ingest.service import authenticate, store_events
from app.ingest.validation import (
    CONTENT_ENGAGEMENT,
    REVENUE,
    TRACK,
    USER_BEHAVIOUR,
    Clock,
    NativeEndpoint,
    Parsed,
    parse_native_batch,
    parse_native_batch_body,
    parse_native_event,
    parse_segment_batch,
    parse_segment_message,
)
from data.db import utcnow

logger = logging.getLogger("legato.ingest")
blueprint = Blueprint("ingest", __name__)

# (document, decompressed size, clock, source) -> Parsed
Parser = Callable[[Any, int, Clock, str], Parsed]
# (decompressed body, clock, source, JSON parser) -> Parsed, or None: use the Parser
FastParser = Callable[[bytes, Clock, str, Callable[[bytes], Any]], Parsed | None]


CACHES_KEY = "legato.ingest_caches"
GATE_KEY = "legato.ingest_gate"


def ingest_caches() -> IngestCaches:
    """The current app's ingest caches (created by ``init_ingest``)."""
    return current_app.extensions[CACHES_KEY]


def _segment_flavour() -> bool:
    return request.path.startswith("/v1/")


def _presented_header_key() -> str | None:
    auth = request.authorization
    if auth is None:
        return None
    if auth.type == "basic":
        return auth.username or None
    if auth.type == "bearer":
        return auth.token or None
    return None


def _read_body(max_bytes: int) -> bytes:
    return read_body(
        request.stream,
        request.headers.get("Content-Type"),
        request.headers.get("Content-Encoding"),
        max_bytes,
    )


def _ingest(max_bytes: int, parse: Parser, fast: FastParser | None = None) -> Response:
    """The one request flow of every ingest endpoint (see the module docstring).

    ``fast``, when given, validates the raw body in one typed pass and returns ``None``
    when the body needs ``parse`` (which then names every problem)."""
    received_at = utcnow()
    clock = Clock(received_at, timedelta(seconds=current_app.config["INGEST_MAX_FUTURE_SECONDS"]))
    presented = _presented_header_key()
    body: bytes | None = None
    document: Any = None
    if presented is None:  # the Segment convention: writeKey in the body
        body = _read_body(max_bytes)
        document = parse_json(body)
        if isinstance(document, dict) and isinstance(document.get("writeKey"), str):
            presented = document["writeKey"]
    with get_database().session() as session:
        key = authenticate(session, presented)
        check_rate_limit(key.id)
        if body is None:
            body = _read_body(max_bytes)
        parsed = None
        if fast is not None and document is None:
            parsed = fast(body, clock, key.source, parse_json)
        if parsed is None:
            if document is None:
                document = parse_json(body)
            parsed = parse(document, len(body), clock, key.source)
        if not parsed.accepted:
            raise IngestError(
                400,
                "invalid_events",
                f"None of the {len(parsed.rejected)} events could be accepted; "
                "see errors for each field.",
                errors=parsed.all_errors(),
            )
        result = store_events(
            session, key, parsed, received_at, ingest_caches(), current_app.extensions[GATE_KEY]
        )
    body = result.as_json()
    if _segment_flavour():
        body = {"success": True, **body}
    return jsonify(body)


def _native_single(endpoint: NativeEndpoint) -> Parser:
    return lambda document, _size, clock, source: parse_native_event(
        document, endpoint, clock, source
    )


def _segment_single(call: str) -> Parser:
    return lambda document, _size, clock, source: parse_segment_message(
        document, call, clock, source
    )


def _route(
    rule: str, endpoint: str, max_bytes: int, parse: Parser, fast: FastParser | None = None
) -> None:
    blueprint.add_url_rule(
        rule, endpoint, lambda: _ingest(max_bytes, parse, fast), methods=["POST"]
    )


for _path, _native in (
    ("track", TRACK),
    ("content-engagement", CONTENT_ENGAGEMENT),
    ("user-behavior", USER_BEHAVIOUR),
    ("revenue", REVENUE),
):
    _route(
        f"/api/v1/events/{_path}",
        f"native_{_path.replace('-', '_')}",
        MAX_EVENT_BYTES,
        _native_single(_native),
    )
_route(
    "/api/v1/events/track-batch",
    "native_track_batch",
    MAX_BATCH_BYTES,
    parse_native_batch,
    parse_native_batch_body,
)
for _call in ("track", "identify", "page", "screen", "group", "alias"):
    _route(f"/v1/{_call}", f"segment_{_call}", MAX_EVENT_BYTES, _segment_single(_call))
_route("/v1/batch", "segment_batch", MAX_BATCH_BYTES, parse_segment_batch)
_route("/v1/import", "segment_import", MAX_BATCH_BYTES, parse_segment_batch)


@blueprint.get("/api/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document (public). The composition root registers the builder of
    the document of every API as ``app.extensions["legato.api_document"]``
    (``app.api_document.init_api_document``, so ingest imports no other API); without one,
    the ingest API's own document."""
    build = current_app.extensions.get("legato.api_document", openapi_document)
    return jsonify(build())


def _error_response(error: IngestError) -> Response:
    body = error.segment_body() if _segment_flavour() else error.native_body()
    response = jsonify(body)
    response.status_code = error.status
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


@blueprint.errorhandler(IngestError)
def _ingest_error(error: IngestError) -> Response:
    return _error_response(error)


@blueprint.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    code = (
        "payload_too_large" if status == 413 else (error.name or "error").lower().replace(" ", "_")
    )
    return _error_response(IngestError(status, code, error.description or error.name))


@blueprint.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    logger.exception("ingest: unexpected error")
    return _error_response(
        IngestError(500, "internal_error", "An unexpected error occurred; nothing was stored.")
    )
