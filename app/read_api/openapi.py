"""OpenAPI 3.1 fragment of the read API: ``read_api_openapi()`` returns ``{"paths": ...,
"components": ...}`` for ``app.api_document`` to merge into the document served at
``/api/openapi.json`` (paths are disjoint from the other APIs'; component names are
prefixed ``Read``). The fragment references what the composed document shares: the
``Error`` schema and the ``ReadKey``, ``ReadKeyBasic`` and ``DashboardSession`` security
schemes."""

from __future__ import annotations

from typing import Any

from data.queries.engagement import MAX_LIMIT
from data.queries.export import EXPORT_FORMATS, EXPORT_TABLES, XLSX_MIMETYPE
from data.queries.filters import (
    EARLIEST_DAY,
    LATEST_DAY,
    MAX_PERIOD_DAYS,
    MAX_SEGMENT_VALUES,
    SEGMENT_FIELDS,
    SEGMENT_VOCABULARY,
    UNKNOWN_TRAIT,
)
from data.queries.rankings import RANKABLE_METRICS

#: Largest id a path may name (ids are 64-bit); larger ones are 404 like unknown ones.
MAX_PATH_ID = 2**63 - 1
_DATE = {"type": "string", "format": "date"}
_DAYS_NOTE = f"Between {EARLIEST_DAY} and {LATEST_DAY}."


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _path_id(name: str, description: str, example: int) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PATH_ID},
        "example": example,
        "description": description,
    }


PERIOD = [
    _query(
        "start",
        _DATE,
        f"First UTC day (inclusive); `end` defaults to today. {_DAYS_NOTE}",
    ),
    _query("end", _DATE, f"Last UTC day (inclusive); needs `start`. {_DAYS_NOTE}"),
    _query(
        "days",
        {"type": "integer", "minimum": 1, "maximum": MAX_PERIOD_DAYS},
        "The N days ending today (default 28); not with start/end.",
    ),
]
LIMIT = _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Rows to return.")
METRIC = _query(
    "metric",
    {"type": "string", "enum": [*RANKABLE_METRICS, "engagement_score"], "default": "views"},
    "Metric to rank by (definitions: docs/metrics.md).",
)


def _segment_parameter(name: str) -> dict[str, Any]:
    if name == "country":
        item: dict[str, Any] = {"type": "string", "pattern": f"^([A-Za-z]{{2}}|{UNKNOWN_TRAIT})$"}
        what = "two-letter ISO 3166 country codes"
    else:
        item = {"type": "string", "enum": [*SEGMENT_VOCABULARY[name], UNKNOWN_TRAIT]}
        what = "values"
    return {
        "name": name,
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "schema": {"type": "array", "items": item, "maxItems": MAX_SEGMENT_VALUES},
        "description": f"Reader segment filter: only readers whose {name.replace('_', ' ')} "
        f"is one of these comma-separated {what} (`{UNKNOWN_TRAIT}`: readers without it).",
    }


#: The reader segment filter (docs/metrics.md, "Reader segment filter"); the conditions of
#: different parameters combine with AND.
SEGMENT = [_segment_parameter(name) for name in SEGMENT_FIELDS]
WRITER = _path_id(
    "writer_id", "A writer; writer-scoped keys and writer accounts: their own only.", 1
)
STORY = _path_id("story_id", "A story in the caller's scope (404 otherwise).", 10)
_ERRORS = {
    "400": "ReadBadRequest",
    "401": "ReadUnauthorized",
    "403": "ReadForbidden",
    "404": "ReadNotFound",
}
_SECURITY = [{"ReadKey": []}, {"ReadKeyBasic": []}, {"DashboardSession": []}]


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operation(
    summary: str,
    parameters: list[dict[str, Any]],
    extra: tuple[str, ...] = (),
    *,
    success: dict[str, Any] | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": success
        or {
            "description": "The section as JSON (fields: docs/metrics.md).",
            "content": _json({"type": "object"}),
        },
    }
    for status in ("400", "401", "403", *extra):
        responses[status] = {"$ref": f"#/components/responses/{_ERRORS[status]}"}
    operation: dict[str, Any] = {
        "tags": ["Read"],
        "summary": summary,
        "security": _SECURITY,
        "parameters": parameters,
        "responses": responses,
    }
    if description:
        operation["description"] = description
    return {"get": operation}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": _json({"$ref": "#/components/schemas/Error"}),
    }


_EXPORT_SUCCESS = {
    "description": "The table(s): JSON rows, a CSV file or an Excel workbook (a download "
    "named in Content-Disposition). Money is in minor units in JSON and CSV, in major units "
    "with a currency format in Excel.",
    "headers": {
        "Content-Disposition": {
            "description": "`attachment; filename=…` for csv and xlsx.",
            "schema": {"type": "string"},
        }
    },
    "content": {
        **_json(
            {
                "type": "object",
                "required": ["table", "rows"],
                "properties": {
                    "table": {"type": "string", "enum": list(EXPORT_TABLES)},
                    "rows": {"type": "array", "items": {"type": "object"}},
                },
            }
        ),
        "text/csv": {"schema": {"type": "string"}},
        XLSX_MIMETYPE: {},
    },
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
            [*PERIOD, LIMIT, *SEGMENT],
        ),
        "/api/v1/readers/{reader_id}/engagement": _operation(
            "One reader's activity on the caller's stories.",
            [_path_id("reader_id", "A reader who read the caller's stories.", 1), *PERIOD],
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
                *SEGMENT,
            ],
            ("404",),
        ),
        f"{writer}/growth": _operation(
            "Week-over-week and month-over-month for views, readers, followers, revenue.",
            [
                WRITER,
                _query(
                    "as_of", _DATE, f"Last day of the compared weeks (default today). {_DAYS_NOTE}"
                ),
            ],
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
            [WRITER, *PERIOD, LIMIT, *SEGMENT],
            ("404",),
        ),
        f"{writer}/export": _operation(
            "The dashboard's export tables as JSON, CSV or an Excel workbook.",
            [
                WRITER,
                *PERIOD,
                _query(
                    "table",
                    {"type": "string", "enum": list(EXPORT_TABLES)},
                    "The table. json and csv: one table (default `stories`); xlsx: one sheet "
                    "of this table, or every table (one sheet each) when omitted.",
                ),
                _query(
                    "format",
                    {"type": "string", "enum": ["json", *EXPORT_FORMATS], "default": "json"},
                    "`json` (rows), `csv` (one table) or `xlsx` (a workbook).",
                ),
            ],
            ("404",),
            success=_EXPORT_SUCCESS,
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
        "responses": {
            "ReadBadRequest": _error(
                "A filter is invalid, or a segment filter was given to a section without "
                "one; `parameter` names it."
            ),
            "ReadUnauthorized": _error("No, an unknown or a revoked key, and no session."),
            "ReadForbidden": _error("A write key, or a scope that does not cover the request."),
            "ReadNotFound": _error("No such writer, or story/reader outside the caller's scope."),
        },
    }
    return {"paths": paths, "components": components}
