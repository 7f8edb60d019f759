"""The assignment API: ``GET /api/v1/experiments/<key>/assignment?user_id=…``.

Authenticated by write key, exactly like ingest (``Authorization: Bearer <key>`` or HTTP
Basic with the key as user name; ``app.ingest.service.authenticate``), exempt from CSRF
(no session cookie is involved). One call:

1. 401 when the key is missing, unknown, revoked or not a write key; 400 when neither
   ``user_id`` nor ``anonymous_id`` is given (or one is longer than 128 characters);
   404 for an unknown experiment; 409 ``not_running`` unless the experiment is running.
2. A unit already exposed keeps its first variant (sticky, whatever the weights are now).
   Otherwise ``app.analytics.assignment.assign`` decides from the experiment key, salt,
   current weights and traffic percentage; a unit outside the traffic gets
   ``{"variant": null, "in_experiment": false}`` and nothing is recorded.
3. A new exposure is stored in ``experiment_exposures`` (insert-or-ignore) together with an
   ``experiment_exposure`` event (source = the key's source; the message id is derived from
   experiment and unit, so it is stored once), committed before answering.

Answer: ``{"experiment": key, "variant": key | null, "in_experiment": bool}``. Errors use
the ingest envelope ``{"error": {"status", "code", "message"}}``. Assignment calls are not
rate-limited (they are reads for the caller; the ingest limit would throttle page views).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from app.analytics.assignment import assign
from app.database import get_database
from app.ingest.errors import IngestError
from app.ingest.service import authenticate, database_errors
from data.db import utcnow
from data.experiments import KEY_PATTERN, get_experiment, record_exposure, sticky_variant
from data.models import EventType
from data.writes import insert_events

logger = logging.getLogger("legato.experiments")
blueprint = Blueprint("experiments_api", __name__, url_prefix="/api/v1/experiments")
MAX_UNIT_LENGTH = 128


def _presented_key() -> str | None:
    auth = request.authorization
    if auth is None:
        return None
    if auth.type == "basic":
        return auth.username or None
    if auth.type == "bearer":
        return auth.token or None
    return None


def exposure_message_id(experiment_key: str, unit_id: str) -> str:
    """The deterministic message id of a unit's exposure event (fits the 128-char column)."""
    digest = hashlib.sha256(f"{experiment_key}\x00{unit_id}".encode()).hexdigest()
    return f"exposure-{digest[:48]}"


@blueprint.get("/<key>/assignment")
def assignment(key: str) -> Response:
    """See the module docstring."""
    now = utcnow()
    user_id = (request.args.get("user_id") or "").strip()
    anonymous_id = (request.args.get("anonymous_id") or "").strip()
    with get_database().session() as session:
        write_key = authenticate(session, _presented_key())
        unit = user_id or anonymous_id
        if not unit:
            raise IngestError(
                400, "missing_user_id", "Pass the unit as ?user_id=… (or anonymous_id)."
            )
        if len(unit) > MAX_UNIT_LENGTH:
            raise IngestError(
                400, "invalid_user_id", f"user_id is longer than {MAX_UNIT_LENGTH} characters."
            )
        with database_errors():
            experiment = get_experiment(session, key)
            if experiment is None:
                raise IngestError(404, "unknown_experiment", f"There is no experiment '{key}'.")
            if experiment.status != "running":
                raise IngestError(
                    409,
                    "not_running",
                    f"Experiment '{key}' is {experiment.status}, not running: "
                    "show the default experience.",
                )
            variant = sticky_variant(session, experiment.id, unit)
            if variant is None:
                variant = assign(
                    experiment.key,
                    experiment.salt,
                    unit,
                    [(v.key, v.weight) for v in experiment.variants],
                    experiment.traffic_percent,
                )
                if variant is not None and record_exposure(
                    session, experiment.id, unit, variant, now
                ):
                    insert_events(
                        session,
                        [
                            {
                                "source": write_key.source,
                                "message_id": exposure_message_id(experiment.key, unit),
                                "event_type": EventType.EXPERIMENT_EXPOSURE.value,
                                "event_name": EventType.EXPERIMENT_EXPOSURE.value,
                                "user_id": user_id or None,
                                "anonymous_id": None if user_id else anonymous_id,
                                "occurred_at": now,
                                "received_at": now,
                                "properties": {"experiment": experiment.key, "variant": variant},
                            }
                        ],
                    )
                    session.commit()
    return jsonify({"experiment": key, "variant": variant, "in_experiment": variant is not None})


@blueprint.errorhandler(IngestError)
def _api_error(error: IngestError) -> Response:
    response = jsonify(error.native_body())
    response.status_code = error.status
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


@blueprint.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    code = (error.name or "error").lower().replace(" ", "_")
    return _api_error(IngestError(error.code or 500, code, error.description or ""))


@blueprint.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    logger.exception("experiments API: unexpected error")
    return _api_error(IngestError(500, "internal_error", "An unexpected error occurred."))


def assignment_openapi() -> dict[str, Any]:
    """The assignment API's OpenAPI 3.1 fragment: ``{"paths": ..., "components": ...}`` (a
    fresh dict on every call) for ``app.api_document`` to merge. It references the shared
    ``Error`` schema and the ``WriteKey`` / ``WriteKeyBasic`` security schemes, which the
    composed document defines."""
    errors = {
        "400": "No unit: neither `user_id` nor `anonymous_id` given (`missing_user_id`), "
        f"or one longer than {MAX_UNIT_LENGTH} characters (`invalid_user_id`).",
        "401": "Missing, unknown or revoked write key, or a read key (`unauthorized`).",
        "404": "There is no experiment with this key (`unknown_experiment`).",
        "409": "The experiment is not running (`not_running`): show the default experience.",
        "503": "The database is locked, busy or unavailable; see Retry-After (`unavailable`).",
    }
    responses: dict[str, Any] = {
        "200": {
            "description": "The unit's variant (sticky), or `null` outside the traffic share.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Assignment"}}
            },
        }
    }
    for status, text in errors.items():
        responses[status] = {
            "description": text,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    responses["503"]["headers"] = {
        "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
    }
    unit = {"type": "string", "maxLength": MAX_UNIT_LENGTH}
    operation = {
        "tags": ["Experiments"],
        "summary": "Assign a unit to a variant of a running experiment",
        "description": "Sticky, deterministic assignment; the first answer for a unit is "
        "recorded as its exposure (and one `experiment_exposure` event) before the answer. "
        "Give `user_id` or `anonymous_id`. Not rate-limited. See docs/experiments.md.",
        "security": [{"WriteKey": []}, {"WriteKeyBasic": []}],
        "parameters": [
            {
                "name": "key",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": KEY_PATTERN.pattern},
                "example": "cover-test",
                "description": "The experiment key.",
            },
            {
                "name": "user_id",
                "in": "query",
                "required": False,
                "schema": unit,
                "example": "u42",
                "description": "The unit: the reader's user id.",
            },
            {
                "name": "anonymous_id",
                "in": "query",
                "required": False,
                "schema": unit,
                "description": "The unit when there is no user id.",
            },
        ],
        "responses": responses,
    }
    assignment_schema = {
        "type": "object",
        "required": ["experiment", "variant", "in_experiment"],
        "properties": {
            "experiment": {"type": "string"},
            "variant": {"type": ["string", "null"]},
            "in_experiment": {"type": "boolean"},
        },
    }
    return {
        "paths": {"/api/v1/experiments/{key}/assignment": {"get": operation}},
        "components": {"schemas": {"Assignment": assignment_schema}},
    }


def init_experiments_api(app: Flask) -> None:
    """Register the assignment API on ``app``, exempt from CSRF (call after auth)."""
    app.extensions["csrf"].exempt(blueprint)
    app.register_blueprint(blueprint)
