"""The OpenAPI 3.1 document of the ingest API, served at ``/api/openapi.json``.

Built from the same constants the validators use (limits, event types, actions), so the
document cannot drift from the code on those. It describes every ingest endpoint, its
request body, its success body and every error body and status it can answer.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from app.ingest import segment
from app.ingest.body import MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_EVENT_BYTES, describe_bytes
from app.ingest.validation import (
    BEHAVIOUR_ACTIONS,
    ENGAGEMENT_ACTIONS,
    MAX_ID,
    MAX_READ_SECONDS,
    MAX_REVENUE_MINOR,
    MAX_TEXT,
    REQUIRED_FIELDS,
    REVENUE_ACTIONS,
)
from data.models import EventType

_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}
_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_TEXT_ANY = {"type": "string", "minLength": 1}
_TIME = {"type": "string", "format": "date-time"}
_OBJECT = {"type": "object"}
_WRITE_KEY = {"type": "string", "description": "The write key (alternative to the headers)."}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _native_event(name_field: str, name_schema: dict[str, Any], extra: dict[str, Any]) -> dict:
    properties: dict[str, Any] = {
        "message_id": {**_TEXT, "description": "Dedupe key, unique per source forever."},
        name_field: name_schema,
        "user_id": _TEXT,
        "anonymous_id": _TEXT,
        "timestamp": {**_TIME, "description": "When it happened (client clock)."},
        "sent_at": {**_TIME, "description": "When the client sent it (skew correction)."},
        "writer_id": _ID,
        "story_id": _ID,
        "chapter_id": _ID,
        "properties": _OBJECT,
        "context": _OBJECT,
        "writeKey": _WRITE_KEY,
        **extra,
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["message_id", name_field],
        "properties": properties,
        "anyOf": [{"required": ["user_id"]}, {"required": ["anonymous_id"]}],
        "allOf": _type_rules(name_field, set(properties)),
    }


def _type_rules(name_field: str, fields: set[str]) -> list[dict[str, Any]]:
    """``if <name> is T then <T's required fields>`` for each canonical type (the rules of
    ``validation.REQUIRED_FIELDS``; ``amount`` stands in for ``revenue_minor``)."""
    rules = []
    for event_type, requirements in REQUIRED_FIELDS.items():
        needed = []
        for alternatives in requirements:
            names = [*alternatives, *(["amount"] if "revenue_minor" in alternatives else [])]
            names = [name for name in names if name in fields]
            if names:
                needed.append({"anyOf": [{"required": [name]} for name in names]})
        rules.append(
            {
                "if": {"properties": {name_field: {"const": str(event_type)}}},
                "then": {"allOf": needed},
            }
        )
    experiment = {
        "type": "object",
        "required": ["experiment", "variant"],
        "properties": {"experiment": _TEXT_ANY, "variant": _TEXT_ANY},
    }
    rules.append(
        {
            "if": {"properties": {name_field: {"const": EventType.EXPERIMENT_EXPOSURE.value}}},
            "then": {"required": ["properties"], "properties": {"properties": experiment}},
        }
    )
    return rules


_PROGRESS = {
    "progress_pct": {"type": "number", "minimum": 0, "maximum": 100},
    "read_seconds": {"type": "number", "minimum": 0, "maximum": MAX_READ_SECONDS},
}
_REVENUE = {
    "revenue_minor": {"type": "integer", "minimum": 0, "maximum": MAX_REVENUE_MINOR},
    "amount": {
        "description": "Amount in major units (4.99); give this or revenue_minor.",
        "oneOf": [
            {"type": "number", "minimum": 0},
            {"type": "string", "pattern": r"^\d+(\.\d+)?$"},
        ],
    },
    "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$"},
}
_REVENUE_RULES = {
    "dependentRequired": {"revenue_minor": ["currency"], "amount": ["currency"]},
    "not": {"required": ["revenue_minor", "amount"]},
}
_TRAITS = {"traits": {**_OBJECT, "description": "Reader traits (country, device, ...)."}}

_SEGMENT_USER = {"oneOf": [_TEXT, {"type": "integer"}]}
_SEGMENT_COMMON: dict[str, Any] = {
    "messageId": _TEXT,
    "userId": _SEGMENT_USER,
    "anonymousId": _SEGMENT_USER,
    "timestamp": _TIME,
    "originalTimestamp": _TIME,
    "sentAt": _TIME,
    "context": _OBJECT,
    "integrations": _OBJECT,
    "writeKey": _WRITE_KEY,
}


def _segment_message(call: str, extra: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["messageId", *required],
        "properties": {**_SEGMENT_COMMON, **extra},
        "anyOf": [{"required": ["userId"]}, {"required": ["anonymousId"]}],
        "description": f"A Segment {call} message.",
    }


_SEGMENT_CALLS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "track": ({"event": _TEXT, "properties": _OBJECT}, ["event"]),
    "identify": ({"traits": _OBJECT}, []),
    "page": ({"name": _TEXT, "category": {"type": "string"}, "properties": _OBJECT}, []),
    "screen": ({"name": _TEXT, "category": {"type": "string"}, "properties": _OBJECT}, []),
    "group": ({"groupId": _SEGMENT_USER, "traits": _OBJECT}, ["groupId"]),
    "alias": ({"previousId": _SEGMENT_USER}, ["previousId", "userId"]),
}

_FIELD_ERROR = {
    "type": "object",
    "required": ["field", "message"],
    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
}
_RESULT = {
    "type": "object",
    "required": ["accepted", "duplicates", "duplicate_message_ids", "rejected"],
    "properties": {
        "accepted": {"type": "integer", "description": "Events stored by this request."},
        "duplicates": {"type": "integer", "description": "Events already stored (or repeated)."},
        "duplicate_message_ids": {"type": "array", "items": {"type": "string"}},
        "rejected": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "message_id", "errors"],
                "properties": {
                    "index": {"type": "integer"},
                    "message_id": {"type": ["string", "null"]},
                    "errors": {"type": "array", "items": _ref("FieldError")},
                },
            },
        },
    },
}
_NATIVE_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "errors": {"type": "array", "items": _ref("FieldError")},
            },
        }
    },
}
_SEGMENT_ERROR = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "errors": {"type": "array", "items": _ref("FieldError")},
    },
}
_ERRORS = {
    "400": "Invalid body or events (codes invalid_json, bad_gzip, nesting_too_deep, "
    "invalid_body, invalid_event, invalid_events, too_many_events).",
    "401": "Missing, unknown or revoked write key (code unauthorized).",
    "413": "Body larger than the endpoint's limit, before or after gzip (payload_too_large).",
    "415": "Not application/json, or a Content-Encoding other than gzip.",
    "429": "The write key's rate limit is exhausted; see Retry-After (rate_limited).",
    "503": "The database is locked, busy or unavailable; nothing was stored; see Retry-After.",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}


def _operation(
    summary: str, description: str, body_schema: str, *, segment_api: bool, max_bytes: int
) -> dict[str, Any]:
    error_schema = _ref("SegmentError" if segment_api else "NativeError")
    success = _ref("SegmentResult" if segment_api else "IngestResult")
    responses: dict[str, Any] = {
        "200": {
            "description": "Committed: counts of accepted and duplicate events, and "
            "each rejected batch item with its field errors.",
            "content": {"application/json": {"schema": success}},
        }
    }
    for status, text in _ERRORS.items():
        response: dict[str, Any] = {
            "description": text,
            "content": {"application/json": {"schema": error_schema}},
        }
        if status in ("429", "503"):
            response["headers"] = _RETRY_AFTER
        responses[status] = response
    return {
        "summary": summary,
        "description": f"{description}\n\nBody limit: {describe_bytes(max_bytes)} "
        "(after gzip decompression).",
        "tags": ["Segment-compatible" if segment_api else "Native"],
        "security": [{"basicAuth": []}, {"bearerAuth": []}],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref(body_schema)}},
        },
        "responses": responses,
    }


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document (built once per process)."""
    schemas: dict[str, Any] = {
        "FieldError": _FIELD_ERROR,
        "IngestResult": _RESULT,
        "SegmentResult": {
            "allOf": [
                _RESULT,
                {
                    "type": "object",
                    "required": ["success"],
                    "properties": {"success": {"const": True}},
                },
            ]
        },
        "NativeError": _NATIVE_ERROR,
        "SegmentError": _SEGMENT_ERROR,
        "NativeEvent": {
            **_native_event(
                "event",
                {**_TEXT, "description": "Canonical type name, or any other name (custom)."},
                {**_PROGRESS, **_REVENUE, **_TRAITS},
            ),
            **_REVENUE_RULES,
        },
        "NativeBatch": {
            "type": "object",
            "additionalProperties": False,
            "required": ["batch"],
            "properties": {
                "batch": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_BATCH_EVENTS,
                    "items": _ref("NativeEvent"),
                },
                "sent_at": _TIME,
                "writeKey": _WRITE_KEY,
            },
        },
        "ContentEngagementEvent": _native_event(
            "action", {"enum": [a.value for a in ENGAGEMENT_ACTIONS]}, _PROGRESS
        ),
        "UserBehaviorEvent": _native_event(
            "action", {"enum": [a.value for a in BEHAVIOUR_ACTIONS]}, _TRAITS
        ),
        "RevenueEvent": {
            **_native_event("action", {"enum": [a.value for a in REVENUE_ACTIONS]}, _REVENUE),
            **_REVENUE_RULES,
        },
        "SegmentBatch": {
            "type": "object",
            "required": ["batch"],
            "properties": {
                "batch": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_BATCH_EVENTS,
                    "items": {
                        "type": "object",
                        "required": ["type", "messageId"],
                        "properties": {
                            "type": {"enum": list(segment.CALL_TYPES)},
                            **_SEGMENT_COMMON,
                        },
                    },
                },
                "sentAt": _TIME,
                "context": _OBJECT,
                "writeKey": _WRITE_KEY,
            },
        },
    }
    paths: dict[str, Any] = {}
    native = (
        ("track", "Track one event", "NativeEvent"),
        ("content-engagement", "Track a content engagement", "ContentEngagementEvent"),
        ("user-behavior", "Track a user behaviour event", "UserBehaviorEvent"),
        ("revenue", "Track a revenue event", "RevenueEvent"),
    )
    for path, summary, schema in native:
        paths[f"/api/v1/events/{path}"] = {
            "post": _operation(
                summary,
                "One event in the native shape (docs/api.md).",
                schema,
                segment_api=False,
                max_bytes=MAX_EVENT_BYTES,
            )
        }
    paths["/api/v1/events/track-batch"] = {
        "post": _operation(
            "Track a batch of events",
            f"Up to {MAX_BATCH_EVENTS:,} events of at most {describe_bytes(MAX_EVENT_BYTES)} "
            "each; valid items are stored even when others are rejected.",
            "NativeBatch",
            segment_api=False,
            max_bytes=MAX_BATCH_BYTES,
        )
    }
    for call, (extra, required) in _SEGMENT_CALLS.items():
        name = f"Segment{call.title()}"
        schemas[name] = _segment_message(call, extra, required)
        paths[f"/v1/{call}"] = {
            "post": _operation(
                f"Segment {call}",
                f"Segment HTTP Tracking API `{call}` call.",
                name,
                segment_api=True,
                max_bytes=MAX_EVENT_BYTES,
            )
        }
    for path in ("batch", "import"):
        paths[f"/v1/{path}"] = {
            "post": _operation(
                f"Segment {path}",
                "Segment HTTP Tracking API batch: each item names its call in `type`.",
                "SegmentBatch",
                segment_api=True,
                max_bytes=MAX_BATCH_BYTES,
            )
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Legato Analytics ingest API",
            "version": "1.0.0",
            "description": "Event ingest: the native API and the Segment-compatible HTTP "
            "Tracking API. Authenticate with a write key as the HTTP Basic user name "
            "(empty password), as a Bearer token, or as `writeKey` in the body. "
            "Bodies are JSON, optionally gzip-compressed. See docs/api.md.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "bearerAuth": {"type": "http", "scheme": "bearer"},
            },
        },
    }
