"""The assignment API: ``GET /api/v1/experiments/<key>/assignment?user_id=…``; and
:func:`start_analysis`, which the experiments pages use to start the analysis job.

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
3. A new exposure is stored in ``experiment_exposures`` (only if the unit has none:
   ``data.experiments.record_first_exposure``) together with an ``experiment_exposure``
   event (source = the key's source; the message id is derived from experiment and unit,
   so it is stored once), committed before answering: an answered variant is recorded.
   If another request recorded the unit first, its variant is the answer.

Answer: ``{"experiment": key, "variant": key | null, "in_experiment": bool}``. Errors use
the ingest envelope ``{"error": {"status", "code", "message"}}``. Assignment calls are not
rate-limited (they are reads for the caller; the ingest limit would throttle page views).

Cost per call: the key lookup, then one statement giving the experiment's version and
the unit's recorded variant. The experiment itself (salt, status, weights, traffic) is
cached per app and process (:class:`TargetCache`) and re-read only when its ``updated_at``
moves, which every change through ``data.experiments`` stamps, in any process. A returning
unit costs no write. A new unit's two inserts and the commit run inside the ingest write
gate (``app.ingest.gate``: on SQLite, writers of every process take turns in the kernel
instead of sleeping in SQLite's busy handler; nothing on PostgreSQL), holding the write
lock only for those statements.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from app.analytics.assignment import assign
from app.database import get_database
from app.ingest.errors import IngestError, unavailable
from app.ingest.gate import GateTimeout, WriteGate
from app.ingest.service import RETRY_AFTER_UNAVAILABLE, authenticate, database_errors
from app.ingest.views import GATE_KEY
from app.jobs.console import EXTENSION_KEY as JOB_CONSOLE_KEY
from app.jobs.console import QUEUED, STARTED
from data.db import utcnow
from data.experiments import (
    KEY_PATTERN,
    AssignmentTarget,
    assignment_state,
    assignment_target,
    record_first_exposure,
    sticky_variant,
)
from data.models import EventType
from data.writes import insert_events

logger = logging.getLogger("legato.experiments")
blueprint = Blueprint("experiments_api", __name__, url_prefix="/api/v1/experiments")
MAX_UNIT_LENGTH = 128
TARGETS_KEY = "legato.experiments.targets"
ANALYSIS_JOB = "experiment_analysis"


class TargetCache:
    """Experiments as the assignment API needs them (``AssignmentTarget``), per key, for
    one app in one process. An entry is used only while its ``version`` equals the
    ``updated_at`` the request just read, so a change made by any process is seen by the
    next call. Thread-safe; cleared when it holds more than ``max_entries``."""

    def __init__(self, max_entries: int = 1000) -> None:
        self._targets: dict[str, AssignmentTarget] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def get(self, key: str, version: datetime) -> AssignmentTarget | None:
        """The cached target of ``key`` if it is at ``version``, else ``None``."""
        target = self._targets.get(key)
        return target if target is not None and target.version == version else None

    def put(self, target: AssignmentTarget) -> None:
        """Remember ``target`` (replacing an older version)."""
        with self._lock:
            if len(self._targets) >= self._max_entries and target.key not in self._targets:
                self._targets.clear()
            self._targets[target.key] = target


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


@contextmanager
def _write_turn(gate: WriteGate) -> Iterator[None]:
    try:
        with gate.hold():
            yield
    except GateTimeout as error:
        raise unavailable(
            "The database is busy with other writes; nothing was stored. Retry the request.",
            RETRY_AFTER_UNAVAILABLE,
        ) from error


def _answer(key: str, variant: str | None) -> Response:
    return jsonify({"experiment": key, "variant": variant, "in_experiment": variant is not None})


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
            connection = session.connection()
            state = assignment_state(connection, key, unit)
            if state is None:
                raise IngestError(404, "unknown_experiment", f"There is no experiment '{key}'.")
            experiment_id, version, recorded = state
            targets: TargetCache = current_app.extensions[TARGETS_KEY]
            target = targets.get(key, version)
            if target is None:
                target = assignment_target(connection, key)
                if target is None:
                    raise IngestError(404, "unknown_experiment", f"There is no experiment '{key}'.")
                targets.put(target)
            if target.status != "running":
                raise IngestError(
                    409,
                    "not_running",
                    f"Experiment '{key}' is {target.status}, not running: "
                    "show the default experience.",
                )
            if recorded is not None:
                return _answer(key, recorded)
            variant = assign(target.key, target.salt, unit, target.variants, target.traffic_percent)
            if variant is None:
                return _answer(key, None)
            event = {
                "source": write_key.source,
                "message_id": exposure_message_id(target.key, unit),
                "event_type": EventType.EXPERIMENT_EXPOSURE.value,
                "event_name": EventType.EXPERIMENT_EXPOSURE.value,
                "user_id": user_id or None,
                "anonymous_id": None if user_id else anonymous_id,
                "occurred_at": now,
                "received_at": now,
                "properties": {"experiment": target.key, "variant": variant},
            }
            with _write_turn(current_app.extensions[GATE_KEY]):
                try:
                    stored = record_first_exposure(connection, experiment_id, unit, variant, now)
                    if stored:
                        insert_events(connection, [event])
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
            if not stored:  # another request recorded the unit first: that is its variant
                variant = sticky_variant(session, experiment_id, unit) or variant
    return _answer(key, variant)


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


def start_analysis(app: Flask, requested_by: str) -> bool:
    """Start the ``experiment_analysis`` job in the background through the app's job
    console (``app.jobs.console``: a daemon thread running ``run_job``, whose database lock
    keeps runs in several processes apart; with Celery, a task queued for the workers) and
    return at once; True when a run started or was queued. A
    run already under way (here or in another process) takes the request the caller
    recorded with ``data.experiments.request_analysis``; otherwise the scheduled job does
    within a minute."""
    console = app.extensions.get(JOB_CONSOLE_KEY)
    if console is None:
        return False
    return console.start(ANALYSIS_JOB, requested_by=requested_by) in (STARTED, QUEUED)


def init_experiments_api(app: Flask) -> None:
    """Register the assignment API on ``app``, exempt from CSRF (call after auth and
    ingest: it uses ingest's write gate), with its experiment cache; and install
    :func:`start_analysis` for the experiments pages
    (``app.extensions[callbacks.admin_experiments.ANALYSIS_LAUNCHER]``)."""
    from callbacks.admin_experiments import ANALYSIS_LAUNCHER  # the slot the pages read

    app.extensions["csrf"].exempt(blueprint)
    app.register_blueprint(blueprint)
    app.extensions[TARGETS_KEY] = TargetCache()
    app.extensions[ANALYSIS_LAUNCHER] = functools.partial(start_analysis, app)
