"""The read API's HTTP layer: authenticate, authorise, validate filters, call one section,
answer JSON. GET only (so CSRF does not apply). Contract: docs/metrics.md ("Read API") and
``app.read_api.openapi``.

Authentication (first match wins):

1. ``Authorization: Bearer lgr_…`` or HTTP Basic with the key as the user name: a *read*
   key. A writer-scoped key sees that writer only, a platform key everything. A write key
   gets 403; an unknown or revoked key 401.
2. A signed-in dashboard session: admins see everything, writers their own writer.
3. Otherwise 401.

Authorisation: ``/writers/<id>/…`` for another writer is 403; a story or reader outside the
scope is 404 (indistinguishable from one that does not exist); ``/stats/realtime`` needs
platform access (403). Invalid filters are 400 with the parameter named; the reader
segment filter (``country``, ``device``, ``age_band``, ``acquisition_source``) is accepted
by the audience and engagement views only (``SEGMENT_VIEWS``) and is 400 elsewhere.
Exports (``/writers/<id>/export``) answer JSON, CSV or an Excel workbook
(``data.queries.export.export_file``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from app.auth.api_keys import find_active_key
from app.database import get_database
from app.read_api import sections
from app.read_api.openapi import MAX_PATH_ID
from data.db import utcnow
from data.models import Writer
from data.queries.engagement import MAX_LIMIT
from data.queries.export import EXPORT_FORMATS, EXPORT_TABLES, export_file
from data.queries.filters import (
    EARLIEST_DAY,
    LATEST_DAY,
    SEGMENT_FIELDS,
    FilterError,
    Period,
    Scope,
    Segment,
)
from data.queries.rankings import RANKABLE_METRICS

blueprint = Blueprint("read_api", __name__, url_prefix="/api/v1")

DEFAULT_DAYS = 28
MAX_DAYS = 3660
RANKING_METRICS = (*RANKABLE_METRICS, "engagement_score")
#: Views that accept the reader segment filter (``SEGMENT_FIELDS`` query parameters); the
#: others answer 400 when one is given rather than silently ignoring it.
SEGMENT_VIEWS = frozenset({"most_engaged", "writer_audience", "writer_engagement"})


class ApiError(Exception):
    """An error answered as ``{"error": {"status", "message"[, "parameter"]}}``."""

    def __init__(self, status: int, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameter = parameter


@dataclass(frozen=True)
class Principal:
    """Who is asking and what they may see."""

    scope: Scope
    via: str  # "key" | "session"


def _presented_key() -> str | None:
    header = request.headers.get("Authorization", "")
    kind, _, value = header.partition(" ")
    if kind.lower() == "bearer" and value.strip():
        return value.strip()
    if kind.lower() == "basic" and value.strip():
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise ApiError(401, "The Basic credentials are not valid base64.") from error
        user, _, password = decoded.partition(":")
        return user or password or None
    if header:
        raise ApiError(401, "Use 'Authorization: Bearer <read key>' or HTTP Basic.")
    return None


def _authenticate(session: Session) -> Principal:
    key = _presented_key()
    if key is not None:
        found = find_active_key(session, key, "read")
        if found is None:
            if find_active_key(session, key, "write") is not None:
                raise ApiError(403, "A write key cannot read; create a read key.")
            raise ApiError(401, "Unknown or revoked API key.")
        found.last_used_at = utcnow()
        session.commit()
        return Principal(Scope(found.writer_id), "key")
    if current_user.is_authenticated:
        if current_user.is_admin:
            return Principal(Scope(), "session")
        if current_user.writer_id is None:
            raise ApiError(403, "This account is not linked to a writer.")
        return Principal(Scope(current_user.writer_id), "session")
    raise ApiError(401, "Authenticate with a read key or sign in.")


def _endpoint(function: Callable[..., Any]) -> Callable[..., Response]:
    """Open a session, authenticate, call ``function(session, principal, **kwargs)``.
    After authentication: a path id above ``MAX_PATH_ID`` (more than 64 bits) is 404,
    like an unknown one, and a segment parameter given to a view outside
    ``SEGMENT_VIEWS`` is 400."""

    @wraps(function)
    def view(**kwargs: Any) -> Response:
        with get_database().session() as session:
            principal = _authenticate(session)
            for name, value in kwargs.items():
                if isinstance(value, int) and value > MAX_PATH_ID:
                    raise ApiError(404, f"There is no {name.removesuffix('_id')} {value}.")
            if function.__name__ not in SEGMENT_VIEWS:
                for name in SEGMENT_FIELDS:
                    if any(value.strip(", ") for value in request.args.getlist(name)):
                        raise ApiError(
                            400,
                            f"'{name}' (a reader segment filter) applies to the audience and "
                            "engagement sections only.",
                            name,
                        )
            result = function(session, principal, **kwargs)
        if isinstance(result, Response):
            return result
        return jsonify(result)

    return view


# --------------------------------------------------------------------------- filters


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError as error:
        raise ApiError(400, f"'{name}' must be a date like 2026-01-31.", name) from error
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ApiError(400, f"'{name}' must be between {EARLIEST_DAY} and {LATEST_DAY}.", name)
    return value


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise ApiError(400, f"'{name}' must be an integer.", name) from error
    if not low <= value <= high:
        raise ApiError(400, f"'{name}' must be between {low} and {high}.", name)
    return value


def _choice_arg(name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise ApiError(400, f"'{name}' must be one of: {', '.join(choices)}.", name)
    return raw


def _period() -> Period:
    """``start``/``end`` (inclusive UTC days) or ``days`` ending today (default 28)."""
    start, end = _date_arg("start"), _date_arg("end")
    days = _int_arg("days", None, 1, MAX_DAYS)
    today = utcnow().date()
    if days is not None and (start or end):
        raise ApiError(400, "Give either 'days' or 'start'/'end', not both.", "days")
    if start is None and end is None:
        return Period.last_days(days or DEFAULT_DAYS, today)
    if start is None:
        raise ApiError(400, "'start' is required with 'end'.", "start")
    end = end or today
    if start > end:
        raise ApiError(400, "'start' is after 'end'.", "start")
    try:
        return Period(start, end)
    except FilterError as error:
        raise ApiError(400, str(error), "start") from error


def _segment() -> Segment:
    """The reader segment from ``country``, ``device``, ``age_band`` and
    ``acquisition_source`` (each comma-separated and/or repeated; ``unknown`` = readers
    without the trait); 400 naming the parameter for an invalid value."""
    values: dict[str, list[str]] = {}
    for name in SEGMENT_FIELDS:
        raw = [
            part.strip()
            for value in request.args.getlist(name)
            for part in value.split(",")
            if part.strip()
        ]
        if raw:
            values[name] = raw
        try:
            Segment(**{name: raw})
        except FilterError as error:
            raise ApiError(400, str(error), name) from error
    return Segment(**values)


def _writer_scope(session: Session, principal: Principal, writer_id: int) -> Scope:
    if not principal.scope.is_platform and principal.scope.writer_id != writer_id:
        raise ApiError(403, "This key or account may not read that writer.")
    if session.get(Writer, writer_id) is None:
        raise ApiError(404, f"There is no writer {writer_id}.")
    return Scope(writer_id)


def _found(result: dict[str, Any] | None, what: str) -> dict[str, Any]:
    if result is None:
        raise ApiError(404, f"No such {what} in your scope.")
    return result


# --------------------------------------------------------------------------- routes


@blueprint.get("/stats/realtime")
@_endpoint
def realtime(session: Session, principal: Principal) -> dict[str, Any]:
    if not principal.scope.is_platform:
        raise ApiError(403, "Real-time platform metrics need a platform key or an admin.")
    return sections.realtime_section(
        session, max_future_seconds=current_app.config["INGEST_MAX_FUTURE_SECONDS"]
    )


@blueprint.get("/stats/top-content")
@_endpoint
def top_content(session: Session, principal: Principal) -> dict[str, Any]:
    metric = _choice_arg("metric", RANKING_METRICS, "views")
    limit = _int_arg("limit", 10, 1, MAX_LIMIT)
    return sections.ranking_section(session, principal.scope, _period(), metric, True, limit)


@blueprint.get("/stats/most-engaged")
@_endpoint
def most_engaged(session: Session, principal: Principal) -> dict[str, Any]:
    limit = _int_arg("limit", 20, 1, MAX_LIMIT) or 20
    return sections.engagement_section(session, principal.scope, _period(), limit, _segment())


@blueprint.get("/readers/<int:reader_id>/engagement")
@_endpoint
def reader_engagement(session: Session, principal: Principal, reader_id: int) -> dict[str, Any]:
    return _found(sections.reader_section(session, principal.scope, reader_id, _period()), "reader")


@blueprint.get("/writers/<int:writer_id>/overview")
@_endpoint
def writer_overview(session: Session, principal: Principal, writer_id: int) -> dict[str, Any]:
    scope = _writer_scope(session, principal, writer_id)
    return sections.overview_section(session, scope, _period())


@blueprint.get("/writers/<int:writer_id>/revenue")
@_endpoint
def writer_revenue(session: Session, principal: Principal, writer_id: int) -> dict[str, Any]:
    scope = _writer_scope(session, principal, writer_id)
    return sections.revenue_section(session, scope, _period())


@blueprint.get("/writers/<int:writer_id>/audience")
@_endpoint
def writer_audience(session: Session, principal: Principal, writer_id: int) -> dict[str, Any]:
    scope = _writer_scope(session, principal, writer_id)
    weeks = _int_arg("weeks", 8, 1, 52) or 8
    return sections.audience_section(session, scope, _period(), weeks, _segment())


@blueprint.get("/writers/<int:writer_id>/growth")
@_endpoint
def writer_growth(session: Session, principal: Principal, writer_id: int) -> dict[str, Any]:
    scope = _writer_scope(session, principal, writer_id)
    as_of = _date_arg("as_of") or utcnow().date()
    return sections.growth_section(session, scope, as_of)


@blueprint.get("/writers/<int:writer_id>/rankings")
@_endpoint
def writer_rankings(session: Session, principal: Principal, writer_id: int) -> dict[str, Any]:
    scope = _writer_scope(session, principal, writer_id)
    metric = _choice_arg("metric", RANKING_METRICS, "views") or "views"
    order = _choice_arg("order", ("desc", "asc"), "desc")
    limit = _int_arg("limit", None, 1, MAX_LIMIT)
    return sections.ranking_section(session, scope, _period(), metric, order == "desc", limit)


@blueprint.get("/writers/<int:writer_id>/engagement")
@_endpoint
def writer_engagement(session: Session, principal: Principal, writer_id: int) -> dict[str, Any]:
    scope = _writer_scope(session, principal, writer_id)
    limit = _int_arg("limit", 20, 1, MAX_LIMIT) or 20
    return sections.engagement_section(session, scope, _period(), limit, _segment())


@blueprint.get("/writers/<int:writer_id>/export")
@_endpoint
def writer_export(session: Session, principal: Principal, writer_id: int) -> Any:
    """``format=json`` (default): ``{"table", "rows"}`` of one table (default ``stories``);
    ``csv``: that table as a CSV download; ``xlsx``: a workbook with that table's sheet, or
    one sheet per export table when ``table`` is not given. Money: minor units in JSON and
    CSV, major units of ``REPORTING_CURRENCY`` in Excel (``data.queries.export``)."""
    scope = _writer_scope(session, principal, writer_id)
    output = _choice_arg("format", ("json", *EXPORT_FORMATS), "json") or "json"
    table = _choice_arg("table", EXPORT_TABLES, None)
    period = _period()
    if output == "json":
        table = table or "stories"
        frame = sections.export_section(session, scope, period, table)
        return {"table": table, "rows": sections.jsonable(frame)}
    tables = [table] if table else ["stories"] if output == "csv" else None
    download = export_file(
        session,
        scope,
        period,
        output,
        tables,
        currency=current_app.config.get("REPORTING_CURRENCY", "USD"),
    )
    return Response(
        download.content,
        mimetype=download.mimetype,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )


@blueprint.get("/stories/<int:story_id>/performance")
@_endpoint
def story_performance(session: Session, principal: Principal, story_id: int) -> dict[str, Any]:
    result = sections.story_performance_section(session, principal.scope, story_id, _period())
    return _found(result, "story")


@blueprint.get("/stories/<int:story_id>/insights")
@_endpoint
def story_insights(session: Session, principal: Principal, story_id: int) -> dict[str, Any]:
    result = sections.story_insights_section(session, principal.scope, story_id, _period())
    return _found(result, "story")


@blueprint.get("/stories/<int:story_id>/comparison")
@_endpoint
def story_comparison(session: Session, principal: Principal, story_id: int) -> dict[str, Any]:
    result = sections.comparison_section(session, principal.scope, story_id, _period())
    return _found(result, "story")


# --------------------------------------------------------------------------- errors


def _error(status: int, message: str, parameter: str | None = None) -> Response:
    body: dict[str, Any] = {"status": status, "message": message}
    if parameter:
        body["parameter"] = parameter
    response = jsonify({"error": body})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="legato-read-api"'
    return response


@blueprint.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    return _error(error.status, error.message, error.parameter)


@blueprint.errorhandler(FilterError)
def _filter_error(error: FilterError) -> Response:
    return _error(400, str(error))


@blueprint.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return _error(error.code or 500, error.description or error.name)


__all__ = ["blueprint"]
