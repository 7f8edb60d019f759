"""OpenAPI 3.1 fragment of the read API: ``read_api_openapi()`` returns ``{"paths": ...,
"components": ...}`` to merge into the document served at ``/api/openapi.json``
(paths are disjoint from the ingest API's; component names are prefixed ``Read``)."""

from __future__ import annotations

from typing import Any

from data.queries.engagement import MAX_LIMIT
from data.queries.export import EXPORT_TABLES
from data.queries.rankings import RANKABLE_METRICS

_DATE = {"type": "string", "format": "date"}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _path_id(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
        "description": description,
    }


PERIOD = [
    _query("start", _DATE, "First UTC day (inclusive). Requires or defaults `end` to today."),
    _query("end", _DATE, "Last UTC day (inclusive)."),
    _query(
        "days",
        {"type": "integer", "minimum": 1, "maximum": 3660},
        "The N days ending today (default 28); not with start/end.",
    ),
]
LIMIT = _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Rows to return.")
METRIC = _query(
    "metric",
    {"type": "string", "enum": [*RANKABLE_METRICS, "engagement_score"], "default": "views"},
    "Metric to rank by (definitions: docs/metrics.md).",
)
WRITER = _path_id("writer_id", "A writer; writer-scoped keys and writer accounts: their own only.")
STORY = _path_id("story_id", "A story in the caller's scope (404 otherwise).")


def _operation(summary: str, parameters: list[dict[str, Any]], extra: tuple[str, ...] = ()):
    responses: dict[str, Any] = {
        "200": {
            "description": "The section as JSON (fields: docs/metrics.md).",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "400": {"$ref": "#/components/responses/ReadBadRequest"},
        "401": {"$ref": "#/components/responses/ReadUnauthorized"},
        "403": {"$ref": "#/components/responses/ReadForbidden"},
    }
    if "404" in extra:
        responses["404"] = {"$ref": "#/components/responses/ReadNotFound"}
    return {
        "get": {
            "tags": ["read"],
            "summary": summary,
            "security": [{"ReadKey": []}, {"ReadKeyBasic": []}, {"DashboardSession": []}],
            "parameters": parameters,
            "responses": responses,
        }
    }


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReadError"}}},
    }


def read_api_openapi() -> dict[str, Any]:
    """The read API's ``paths`` and ``components`` (a fresh dict on every call)."""
    writer = "/api/v1/writers/{writer_id}"
    story = "/api/v1/stories/{story_id}"
    paths = {
        "/api/v1/stats/realtime": _operation(
            "Real-time platform metrics (platform key or admin).", []
        ),
        "/api/v1/stats/top-content": _operation(
            "Top stories in the caller's scope.", [*PERIOD, METRIC, LIMIT]
        ),
        "/api/v1/stats/most-engaged": _operation(
            "Reader segments and the most engaged readers in the caller's scope.",
            [*PERIOD, LIMIT],
        ),
        "/api/v1/readers/{reader_id}/engagement": _operation(
            "One reader's activity on the caller's stories.",
            [_path_id("reader_id", "A reader who read the caller's stories."), *PERIOD],
            ("404",),
        ),
        f"{writer}/overview": _operation(
            "KPIs with the previous period, daily series, annotations.",
            [WRITER, *PERIOD],
            ("404",),
        ),
        f"{writer}/revenue": _operation(
            "Revenue by source, per reader, per day and per story.", [WRITER, *PERIOD], ("404",)
        ),
        f"{writer}/audience": _operation(
            "Countries, devices, age bands, sources, new vs returning, weekly cohorts.",
            [
                WRITER,
                *PERIOD,
                _query("weeks", {"type": "integer", "minimum": 1, "maximum": 52}, "Cohort width."),
            ],
            ("404",),
        ),
        f"{writer}/growth": _operation(
            "Week-over-week and month-over-month for views, readers, followers, revenue.",
            [WRITER, _query("as_of", _DATE, "Last day of the compared weeks (default today).")],
            ("404",),
        ),
        f"{writer}/rankings": _operation(
            "The writer's stories ranked by a metric.",
            [
                WRITER,
                *PERIOD,
                METRIC,
                LIMIT,
                _query("order", {"type": "string", "enum": ["desc", "asc"]}, "Sort order."),
            ],
            ("404",),
        ),
        f"{writer}/engagement": _operation(
            "Casual/regular/loyal segments and the most engaged readers.",
            [WRITER, *PERIOD, LIMIT],
            ("404",),
        ),
        f"{writer}/export": _operation(
            "One dashboard table as JSON or CSV.",
            [
                WRITER,
                *PERIOD,
                _query("table", {"type": "string", "enum": list(EXPORT_TABLES)}, "Table."),
                _query("format", {"type": "string", "enum": ["json", "csv"]}, "Format."),
            ],
            ("404",),
        ),
        f"{story}/performance": _operation(
            "Story and chapter performance with engagement scores and annotations.",
            [STORY, *PERIOD],
            ("404",),
        ),
        f"{story}/insights": _operation(
            "Retention, abnormal drop-off, reader types, hook rates, paywall, cohorts.",
            [STORY, *PERIOD],
            ("404",),
        ),
        f"{story}/comparison": _operation(
            "The story against the writer's median and its genre's platform percentile.",
            [STORY, *PERIOD],
            ("404",),
        ),
    }
    components = {
        "securitySchemes": {
            "ReadKey": {"type": "http", "scheme": "bearer", "description": "A read key lgr_…"},
            "ReadKeyBasic": {
                "type": "http",
                "scheme": "basic",
                "description": "The read key as the user name.",
            },
            "DashboardSession": {"type": "apiKey", "in": "cookie", "name": "session"},
        },
        "schemas": {
            "ReadError": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["status", "message"],
                        "properties": {
                            "status": {"type": "integer"},
                            "message": {"type": "string"},
                            "parameter": {
                                "type": "string",
                                "description": "The invalid query parameter.",
                            },
                        },
                    }
                },
            }
        },
        "responses": {
            "ReadBadRequest": _error("A filter is invalid; `parameter` names it."),
            "ReadUnauthorized": _error("No, an unknown or a revoked key, and no session."),
            "ReadForbidden": _error("A write key, or a scope that does not cover the request."),
            "ReadNotFound": _error("No such writer, or story/reader outside the caller's scope."),
        },
    }
    return {"paths": paths, "components": components}
