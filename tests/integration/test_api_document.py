"""``/api/openapi.json``: one valid OpenAPI 3.1 document of the ingest, read and assignment
APIs (composed by ``app.api_document``), with the shared security schemes and error
envelope. The live contract is fuzzed by tests/ingest/test_openapi_fuzz.py."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from app.auth.api_keys import create_api_key
from app.database import get_database
from app.ingest.openapi import openapi_document
from tests.integration.conftest import make_test_app
from tests.metrics_fixtures import build_metrics_platform

SECURITY_BY_TAG = {
    "Native": {"WriteKey", "WriteKeyBasic"},
    "Segment-compatible": {"WriteKey", "WriteKeyBasic"},
    "Experiments": {"WriteKey", "WriteKeyBasic"},
    "Read": {"ReadKey", "ReadKeyBasic", "DashboardSession"},
    "OpenAPI": set(),
}
DOCUMENTED_BLUEPRINTS = ("ingest", "read_api", "experiments_api")


@pytest.fixture
def app(sqlite_url: str, tmp_path) -> Flask:
    flask_app = make_test_app(sqlite_url, tmp_path, build_metrics_platform)
    yield flask_app
    get_database(flask_app).engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")  # public: no key, no session
    assert response.status_code == 200
    return response.get_json()


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_document_is_valid_openapi_31(document) -> None:
    assert document["openapi"] == "3.1.0"
    errors = [str(error) for error in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert errors == []
    for ref in set(_refs(document)):
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]  # KeyError: a dangling reference


def test_every_api_route_is_documented(app, document) -> None:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in DOCUMENTED_BLUEPRINTS:
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == documented
    assert len(documented) == 13 + 14 + 1 + 1  # ingest, read, assignment, this document


def test_security_schemes_separate_write_keys_read_keys_and_sessions(document) -> None:
    schemes = document["components"]["securitySchemes"]
    assert set(schemes) == {
        "WriteKey",
        "WriteKeyBasic",
        "ReadKey",
        "ReadKeyBasic",
        "DashboardSession",
    }
    assert schemes["DashboardSession"] == {**schemes["DashboardSession"], "in": "cookie"}
    for path, item in document["paths"].items():
        for operation in item.values():
            (tag,) = operation["tags"]
            used = {name for requirement in operation["security"] for name in requirement}
            assert used == SECURITY_BY_TAG[tag], path
    # Composing does not touch the ingest API's own (cached) document.
    assert set(openapi_document()["components"]["securitySchemes"]) == {"basicAuth", "bearerAuth"}


def _validator(document: dict[str, Any], name: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    )


def test_error_bodies_match_the_shared_error_schema(app, client, document) -> None:
    with get_database(app).session() as session:
        _, read_key = create_api_key(session, name="all", kind="read")
        _, write_key = create_api_key(session, name="w", kind="write", source="web")
        session.commit()
    read, write = {"Authorization": f"Bearer {read_key}"}, {"Authorization": f"Bearer {write_key}"}
    bodies = [
        client.get("/api/v1/writers/1/overview?days=0", headers=read),  # 400 + parameter
        client.get("/api/v1/writers/1/overview"),  # 401
        client.get("/api/v1/writers/1/overview", headers=write),  # 403
        client.get("/api/v1/writers/99/overview", headers=read),  # 404
        client.get("/api/v1/experiments/nope/assignment?user_id=u1", headers=write),  # 404 + code
        client.get("/api/v1/experiments/nope/assignment", headers=read),  # 401 + code
        client.get("/api/v1/writers/abc/overview", headers=read),  # unmatched: the guard's 401
        client.post("/api/v1/events/track", json={}),  # ingest 401
    ]
    shared = _validator(document, "Error")
    for response in bodies:
        assert response.status_code >= 400
        assert shared.is_valid(response.get_json()), response.get_json()
    assert _validator(document, "NativeError").is_valid(bodies[4].get_json())
    for path in ("/api/v1/writers/{writer_id}/overview", "/api/v1/experiments/{key}/assignment"):
        for status, response in document["paths"][path]["get"]["responses"].items():
            if status.startswith(("4", "5")):
                if "$ref" in response:
                    name = response["$ref"].rsplit("/", 1)[1]
                    response = document["components"]["responses"][name]
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (path, status)
