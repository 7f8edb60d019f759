"""The one OpenAPI 3.1 document of Legato's HTTP APIs, served at ``/api/openapi.json``.

Each API owns its part and this module only composes them (so the ingest package never
imports the read or assignment APIs):

- ingest (native and Segment-compatible): ``app.ingest.openapi.openapi_document()``, a
  complete document of its own;
- read API: ``app.read_api.openapi.read_api_openapi()`` (paths + components);
- assignment API: ``app.experiments_api.assignment_openapi()`` (paths + components).

What they share is defined here: the security schemes (write keys, read keys, the
dashboard session) and the ``Error`` envelope every ``/api`` JSON error has
(``{"error": {"status", "message", "code"?, "parameter"?, "errors"?}}``; ingest's
``NativeError`` is the same envelope with ``code`` required). The ingest document's own
scheme names are renamed to the shared ones.

``init_api_document(app)`` registers :func:`api_document` as the builder the ``/api/openapi.json``
route (``app.ingest.views.openapi``) serves; without it that route serves the ingest
document alone.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from flask import Flask

from app.experiments_api import assignment_openapi
from app.ingest.openapi import openapi_document as ingest_openapi_document
from app.read_api.openapi import read_api_openapi

#: ``app.extensions`` key of the document builder (read by ``app.ingest.views.openapi``).
API_DOCUMENT_KEY = "legato.api_document"

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "WriteKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "A write key `lgw_…` (ingest and assignment APIs). Segment SDKs may "
        "also send it as `writeKey` in the JSON body of an ingest request.",
    },
    "WriteKeyBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "The write key as the HTTP Basic user name, empty password (what "
        "Segment SDKs send).",
    },
    "ReadKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "A read key `lgr_…`, scoped to one writer or to the platform "
        "(read API only; a write key gets 403 there).",
    },
    "ReadKeyBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "The read key as the HTTP Basic user name.",
    },
    "DashboardSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "A signed-in dashboard session (read API only): admins see the "
        "platform, writers their own writer.",
    },
}
#: The ingest document's scheme names → the shared names.
_INGEST_SCHEMES = {"bearerAuth": "WriteKey", "basicAuth": "WriteKeyBasic"}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The JSON error envelope of every `/api` route (ingest's native routes, "
    "the read API, the assignment API, and the access guard's 401 for unmatched paths). "
    "The Segment-compatible `/v1` routes use `SegmentError` instead.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {"type": "integer", "description": "The HTTP status."},
                "message": {"type": "string", "description": "What was wrong, for people."},
                "code": {
                    "type": "string",
                    "description": "A stable machine code (ingest and assignment APIs).",
                },
                "parameter": {
                    "type": "string",
                    "description": "The invalid query parameter (read API 400s).",
                },
                "errors": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/FieldError"},
                    "description": "Field errors of an invalid ingest body.",
                },
            },
        }
    },
}

TAGS = [
    {"name": "Native", "description": "The native ingest API (docs/api.md)."},
    {
        "name": "Segment-compatible",
        "description": "Segment's HTTP Tracking API, for existing Segment SDKs (docs/api.md).",
    },
    {
        "name": "Read",
        "description": 'Metrics as JSON for integrations (docs/metrics.md, "Read API").',
    },
    {
        "name": "Experiments",
        "description": "Variant assignment for A/B tests (docs/experiments.md).",
    },
    {"name": "OpenAPI", "description": "This document (public)."},
]


def _merge(target: dict[str, Any], addition: dict[str, Any], where: str) -> None:
    """Add ``addition``'s entries to ``target``; a name defined twice is a bug."""
    clash = set(target) & set(addition)
    if clash:
        raise ValueError(f"OpenAPI {where} defined twice: {', '.join(sorted(clash))}")
    target.update(addition)


def _rename_ingest_security(paths: dict[str, Any]) -> None:
    for item in paths.values():
        for operation in item.values():
            requirements = []
            for requirement in operation.get("security", []):
                unknown = set(requirement) - set(_INGEST_SCHEMES)
                if unknown:
                    raise ValueError(f"unknown ingest security scheme: {', '.join(unknown)}")
                requirements.append({_INGEST_SCHEMES[name]: v for name, v in requirement.items()})
            operation["security"] = requirements


@cache
def api_document() -> dict[str, Any]:
    """The composed OpenAPI 3.1 document (built once per process; do not mutate it).

    Raises ``ValueError`` when two parts define the same path or component name, or the
    ingest document uses a security scheme this module does not map."""
    ingest = copy.deepcopy(ingest_openapi_document())
    paths: dict[str, Any] = ingest["paths"]
    _rename_ingest_security(paths)
    components: dict[str, dict[str, Any]] = {
        "schemas": {"Error": ERROR_SCHEMA},
        "responses": {},
        "securitySchemes": dict(SECURITY_SCHEMES),
    }
    _merge(components["schemas"], ingest["components"]["schemas"], "schema")
    for part in (read_api_openapi(), assignment_openapi()):
        _merge(paths, part["paths"], "path")
        for section, entries in part["components"].items():
            _merge(components.setdefault(section, {}), entries, section)
    paths["/api/openapi.json"] = {
        "get": {
            "tags": ["OpenAPI"],
            "summary": "This document",
            "security": [],
            "responses": {
                "200": {
                    "description": "The OpenAPI 3.1 document of every API.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Legato Analytics API",
            "version": "1.1.0",
            "description": "Event ingest (the native API and the Segment-compatible HTTP "
            "Tracking API, write keys), the read API (metrics as JSON; read keys or a "
            "dashboard session) and experiment assignment (write keys). Ingest bodies are "
            "JSON, optionally gzip-compressed. See docs/api.md, docs/metrics.md and "
            "docs/experiments.md.",
        },
        "tags": TAGS,
        "paths": paths,
        "components": components,
    }


def init_api_document(app: Flask) -> None:
    """Make ``/api/openapi.json`` serve the composed document (call after the APIs are
    registered)."""
    app.extensions[API_DOCUMENT_KEY] = api_document
