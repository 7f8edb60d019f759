"""The ingest API's HTTP contract: authentication, body rules, limits, rate limits, errors.

These do not depend on the storage backend, so they run on SQLite only (the storage
behaviour is tested on both backends in ``test_storage.py``). Every refusal is checked
for its status, its error code and a message that names the rule, and that nothing was
stored when a request was refused.
"""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.api_keys import revoke_api_key
from app.database import get_database
from app.ingest.gate import WriteGate
from app.ingest.views import GATE_KEY
from data.models import ApiKey
from tests.factories import ACCOUNTS, ADMIN_PASSWORD
from tests.ingest.conftest import basic, bearer, events_of, make_ingest_app, new_key

TRACK = "/api/v1/events/track"
BATCH = "/api/v1/events/track-batch"
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """This module's tests are about HTTP, not storage: SQLite only."""
    return sqlite_url


def event(message_id: str = "m1", **extra: object) -> dict[str, object]:
    return {"message_id": message_id, "event": "login", "user_id": "u1", **extra}


def segment_track(message_id: str = "s1", **extra: object) -> dict[str, object]:
    return {"messageId": message_id, "userId": "u1", "event": "Signed In", **extra}


def native_error(response) -> dict[str, object]:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert body["error"]["status"] == response.status_code
    return body["error"]


# --------------------------------------------------------------------------- authentication


def test_every_way_of_presenting_a_key_works(
    ingest_app: Flask, client: FlaskClient, write_key: str
) -> None:
    assert client.post(TRACK, json=event("b1"), headers=basic(write_key)).status_code == 200
    assert client.post(TRACK, json=event("b2"), headers=bearer(write_key)).status_code == 200
    body = {**segment_track("b3"), "writeKey": write_key}
    response = client.post("/v1/track", json=body)
    assert response.status_code == 200
    assert response.get_json()["success"] is True
    assert set(events_of(ingest_app)) == {"b1", "b2", "b3"}


@pytest.mark.parametrize("path", [TRACK, "/v1/track"])
def test_missing_key_is_401_json(ingest_app: Flask, client: FlaskClient, path: str) -> None:
    body = event() if path == TRACK else segment_track()
    response = client.post(path, json=body)
    assert response.status_code == 401
    payload = response.get_json()
    error = payload["error"] if path == TRACK else payload
    assert error["code"] == "unauthorized"
    assert "write key is required" in error["message"]
    assert events_of(ingest_app) == {}


def test_unknown_revoked_and_read_keys_are_401(
    ingest_app: Flask, client: FlaskClient, write_key: str, read_key: str
) -> None:
    for key in ("lgw_not-a-real-key", read_key):
        response = client.post(TRACK, json=event(), headers=bearer(key))
        assert response.status_code == 401
        assert native_error(response)["message"] == "The write key is invalid or has been revoked."
    assert client.post(TRACK, json=event("before"), headers=bearer(write_key)).status_code == 200
    with get_database(ingest_app).session() as session:
        key_id = session.query(ApiKey.id).filter(ApiKey.source == "ios").scalar()
        revoke_api_key(session, key_id)
        session.commit()
    response = client.post(TRACK, json=event("after"), headers=bearer(write_key))
    assert response.status_code == 401
    assert set(events_of(ingest_app)) == {"before"}


def test_a_dashboard_session_without_a_key_is_401(ingest_app: Flask, client: FlaskClient) -> None:
    page = client.get("/login")
    token = CSRF_FIELD.search(page.get_data(as_text=True)).group(1)
    signed_in = client.post(
        "/login",
        data={"email": ACCOUNTS.admin_email, "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert signed_in.status_code == 302
    response = client.post(TRACK, json=event())
    assert response.status_code == 401
    assert events_of(ingest_app) == {}


def test_a_write_key_cannot_read_data(client: FlaskClient, write_key: str) -> None:
    for path in ("/", "/admin/platform", "/_dash-layout", "/_dash-dependencies"):
        response = client.get(path, headers={**bearer(write_key), "Accept": "application/json"})
        assert response.status_code == 401, path
    # The read API recognises the key and refuses it: writing is all a write key can do.
    response = client.get("/api/v1/writers/1/overview", headers=bearer(write_key))
    assert response.status_code in (401, 403)


def test_the_api_needs_no_csrf_token(client: FlaskClient, write_key: str) -> None:
    # CSRF is on for the app (the sign-in form); key-authenticated ingest is exempt.
    assert client.application.config["WTF_CSRF_ENABLED"] is True
    assert client.post(TRACK, json=event(), headers=basic(write_key)).status_code == 200


# --------------------------------------------------------------------------- bodies


def post_raw(client: FlaskClient, path: str, key: str, data: bytes, **headers: str):
    return client.post(
        path,
        data=data,
        headers={"Content-Type": "application/json", **bearer(key), **headers},
    )


def test_non_json_is_415(ingest_app: Flask, client: FlaskClient, write_key: str) -> None:
    response = client.post(
        TRACK, data="message_id=m1", headers={**bearer(write_key), "Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    error = native_error(response)
    assert error["code"] == "unsupported_media_type"
    assert "application/json" in error["message"]
    response = post_raw(client, TRACK, write_key, b"{}", **{"Content-Encoding": "br"})
    assert response.status_code == 415
    assert native_error(response)["code"] == "unsupported_encoding"
    assert events_of(ingest_app) == {}


def test_invalid_json_is_400_with_the_position(client: FlaskClient, write_key: str) -> None:
    response = post_raw(client, TRACK, write_key, b'{"message_id": "m1",')
    assert response.status_code == 400
    error = native_error(response)
    assert error["code"] == "invalid_json"
    assert "line 1 column" in error["message"]
    response = post_raw(client, TRACK, write_key, b'{"message_id": NaN}')
    assert native_error(response)["code"] == "invalid_json"


def test_gzip_bodies_are_decompressed(
    ingest_app: Flask, client: FlaskClient, write_key: str
) -> None:
    body = gzip.compress(json.dumps({"batch": [event("g1"), event("g2")]}).encode())
    response = post_raw(client, BATCH, write_key, body, **{"Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.get_json()["accepted"] == 2


def test_bad_gzip_is_400(ingest_app: Flask, client: FlaskClient, write_key: str) -> None:
    response = post_raw(
        client, TRACK, write_key, b"not gzip at all", **{"Content-Encoding": "gzip"}
    )
    assert response.status_code == 400
    assert native_error(response)["code"] == "bad_gzip"
    truncated = gzip.compress(json.dumps(event()).encode())[:-12]
    response = post_raw(client, TRACK, write_key, truncated, **{"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert native_error(response)["code"] == "bad_gzip"
    assert events_of(ingest_app) == {}


def test_a_gzip_bomb_is_refused_not_expanded(client: FlaskClient, write_key: str) -> None:
    bomb = gzip.compress(b" " * (64 * 1024 * 1024))  # 64 MiB of spaces in ~64 KB
    assert len(bomb) < 100 * 1024
    started = time.perf_counter()
    response = post_raw(client, BATCH, write_key, bomb, **{"Content-Encoding": "gzip"})
    assert time.perf_counter() - started < 1  # stopped after 500 KB, not 64 MiB
    assert response.status_code == 413
    error = native_error(response)
    assert error["code"] == "payload_too_large"
    assert "decompressed" in error["message"]
    assert "500 KB (512,000 bytes)" in error["message"]


def test_oversize_event_is_413_naming_the_limit(client: FlaskClient, write_key: str) -> None:
    big = event(properties={"text": "x" * (33 * 1024)})
    response = client.post(TRACK, json=big, headers=bearer(write_key))
    assert response.status_code == 413
    assert "32 KB (32,768 bytes)" in native_error(response)["message"]
    response = client.post(
        "/v1/track", json=segment_track(properties=big["properties"]), headers=bearer(write_key)
    )
    assert response.status_code == 413
    assert response.get_json()["code"] == "payload_too_large"


def test_oversize_batch_is_413(client: FlaskClient, write_key: str) -> None:
    batch = [event(f"m{i}", properties={"text": "x" * 20_000}) for i in range(30)]
    response = client.post(BATCH, json={"batch": batch}, headers=bearer(write_key))
    assert response.status_code == 413
    assert "500 KB (512,000 bytes)" in native_error(response)["message"]


def test_too_many_events_is_400(ingest_app: Flask, client: FlaskClient, write_key: str) -> None:
    batch = [{"message_id": str(i), "event": "x", "user_id": "u"} for i in range(2501)]
    response = client.post(BATCH, json={"batch": batch}, headers=bearer(write_key))
    assert response.status_code == 400
    error = native_error(response)
    assert error["code"] == "too_many_events"
    assert "2,501 events; the limit is 2,500" in error["message"]
    assert events_of(ingest_app) == {}
    segment = [
        {"type": "track", "messageId": str(i), "userId": "u", "event": "x"} for i in range(2501)
    ]
    response = client.post("/v1/batch", json={"batch": segment}, headers=bearer(write_key))
    assert (response.status_code, response.get_json()["code"]) == (400, "too_many_events")


def test_an_oversize_item_is_rejected_alone(
    ingest_app: Flask, client: FlaskClient, write_key: str
) -> None:
    batch = [event("small1"), event("huge", properties={"text": "x" * 40_000}), event("small2")]
    response = client.post(BATCH, json={"batch": batch}, headers=bearer(write_key))
    assert response.status_code == 200
    body = response.get_json()
    assert body["accepted"] == 2
    [rejected] = body["rejected"]
    assert rejected["index"] == 1
    assert rejected["message_id"] == "huge"
    assert rejected["errors"][0]["field"] == "batch[1]"
    assert "limit is 32 KB (32,768 bytes) per event" in rejected["errors"][0]["message"]
    assert set(events_of(ingest_app)) == {"small1", "small2"}


def test_nesting_depth_is_capped(client: FlaskClient, write_key: str) -> None:
    deep: dict[str, object] = {"leaf": 1}
    for level in range(12):
        deep = {f"l{level}": deep}
    response = client.post(TRACK, json=event(properties=deep), headers=bearer(write_key))
    assert response.status_code == 400
    [error] = native_error(response)["errors"]
    assert error["field"].startswith("properties.l11.l10.")
    assert "nested more than 10 levels" in error["message"]
    very_deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    response = post_raw(client, TRACK, write_key, very_deep)
    assert response.status_code in (400, 413)


# --------------------------------------------------------------------------- field errors


def test_wrong_types_name_the_exact_field_and_valid_items_are_kept(
    ingest_app: Flask, client: FlaskClient, write_key: str
) -> None:
    batch = [
        event("ok1"),
        {"message_id": "bad1", "event": "chapter_progress", "user_id": "u", "story_id": "10",
         "chapter_id": 100, "progress_pct": 150},
        {"message_id": 7, "event": ["x"], "user_id": "u", "properties": []},
        event("ok2", timestamp="yesterday"),
        event("ok3"),
    ]  # fmt: skip
    response = client.post(BATCH, json={"batch": batch}, headers=bearer(write_key))
    assert response.status_code == 200
    body = response.get_json()
    assert body["accepted"] == 2
    errors = {item["index"]: item["errors"] for item in body["rejected"]}
    assert errors[1] == [
        {"field": "batch[1].story_id", "message": "must be an integer, not a string"},
        {"field": "batch[1].progress_pct", "message": "must be between 0 and 100 (got 150)"},
    ]
    assert [e["field"] for e in errors[2]] == [
        "batch[2].message_id",
        "batch[2].event",
        "batch[2].properties",
    ]
    assert errors[2][0]["message"] == "must be a string, not a number"
    assert errors[3][0]["field"] == "batch[3].timestamp"
    assert "ISO 8601" in errors[3][0]["message"]
    assert set(events_of(ingest_app)) == {"ok1", "ok3"}


def test_missing_ids_are_rejected(client: FlaskClient, write_key: str) -> None:
    response = client.post(
        TRACK, json={"event": "login", "user_id": "u"}, headers=bearer(write_key)
    )
    assert response.status_code == 400
    error = native_error(response)
    assert error["code"] == "invalid_event"
    assert error["errors"] == [{"field": "message_id", "message": "is required"}]
    response = client.post(
        TRACK, json={"message_id": "m", "event": "login"}, headers=bearer(write_key)
    )
    assert native_error(response)["errors"] == [
        {"field": "user_id", "message": "user_id or anonymous_id is required"}
    ]
    response = client.post(
        "/v1/track", json={"userId": "u", "event": "x"}, headers=bearer(write_key)
    )
    assert response.status_code == 400
    assert response.get_json()["errors"] == [{"field": "messageId", "message": "is required"}]


def test_unknown_fields_and_type_rules_in_the_native_api(
    client: FlaskClient, write_key: str
) -> None:
    response = client.post(TRACK, json=event(storyId=10), headers=bearer(write_key))
    assert native_error(response)["errors"][0]["field"] == "storyId"
    response = client.post(
        TRACK, json=event(event="chapter_start", story_id=10), headers=bearer(write_key)
    )
    assert native_error(response)["errors"] == [
        {"field": "chapter_id", "message": "is required for chapter_start events"}
    ]
    response = client.post(
        "/api/v1/events/content-engagement",
        json={"message_id": "m", "user_id": "u", "action": "dance"},
        headers=bearer(write_key),
    )
    assert native_error(response)["errors"][0]["field"] == "action"
    assert "must be one of story_view" in native_error(response)["errors"][0]["message"]


def test_an_all_invalid_batch_is_400(
    ingest_app: Flask, client: FlaskClient, write_key: str
) -> None:
    response = client.post(BATCH, json={"batch": [{"event": "x"}, 5]}, headers=bearer(write_key))
    assert response.status_code == 400
    error = native_error(response)
    assert error["code"] == "invalid_events"
    assert [e["field"] for e in error["errors"]] == [
        "batch[0].message_id",
        "batch[0].user_id",
        "batch[1]",
    ]
    assert (
        native_error(client.post(BATCH, json={"batch": []}, headers=bearer(write_key)))["code"]
        == "invalid_body"
    )
    assert (
        native_error(client.post(BATCH, json=[1], headers=bearer(write_key)))["code"]
        == "invalid_body"
    )


def test_far_future_events_are_rejected_with_the_reason(
    client: FlaskClient, write_key: str
) -> None:
    response = client.post(
        TRACK, json=event(timestamp="2999-01-01T00:00:00Z"), headers=bearer(write_key)
    )
    assert response.status_code == 400
    [error] = native_error(response)["errors"]
    assert error["field"] == "timestamp"
    assert "ahead of the server clock" in error["message"]
    assert "at most 3600 s in the future" in error["message"]


# --------------------------------------------------------------------------- backpressure


def test_rate_limit_per_key_is_429_with_retry_after(db_url: str, tmp_path: Path) -> None:
    app = make_ingest_app(db_url, tmp_path, INGEST_RATE_LIMIT="2/minute")
    key, other = new_key(app), new_key(app, source="web")
    client = app.test_client()
    for number in range(2):
        assert client.post(TRACK, json=event(f"r{number}"), headers=bearer(key)).status_code == 200
    response = client.post(TRACK, json=event("r2"), headers=bearer(key))
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    error = native_error(response)
    assert error["code"] == "rate_limited"
    assert "2 per 1 minute" in error["message"]
    segment = client.post("/v1/track", json=segment_track(), headers=bearer(key))
    assert segment.status_code == 429
    assert segment.get_json()["code"] == "rate_limited"
    assert client.post(TRACK, json=event("w1"), headers=bearer(other)).status_code == 200
    assert set(events_of(app)) == {"r0", "r1"}
    get_database(app).engine.dispose()


def test_unreachable_rate_limit_storage_does_not_stop_ingest(db_url: str, tmp_path: Path) -> None:
    app = make_ingest_app(
        db_url,
        tmp_path,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
        INGEST_RATE_LIMIT="1/minute",
    )
    key = new_key(app)
    client = app.test_client()
    for number in range(3):
        assert client.post(TRACK, json=event(f"x{number}"), headers=bearer(key)).status_code == 200
    get_database(app).engine.dispose()


@pytest.mark.slow
def test_a_locked_database_is_503_with_retry_after(
    ingest_app: Flask, client: FlaskClient, write_key: str, sqlite_url: str
) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    locker = sqlite3.connect(path, isolation_level=None, timeout=1)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        response = client.post(TRACK, json=event("locked"), headers=bearer(write_key))
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    error = native_error(response)
    assert error["code"] == "unavailable"
    assert "nothing was stored" in error["message"]
    # The retry succeeds and stores the event once.
    assert client.post(TRACK, json=event("locked"), headers=bearer(write_key)).status_code == 200
    assert set(events_of(ingest_app)) == {"locked"}


def test_a_busy_write_gate_is_503(ingest_app: Flask, client: FlaskClient, write_key: str) -> None:
    gate = ingest_app.extensions[GATE_KEY]
    assert gate.path is not None  # SQLite: ingest writers take turns through the gate
    ingest_app.extensions[GATE_KEY] = WriteGate(gate.path, timeout=0.2)
    holder = os.open(gate.path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another process's writer, as far as the app can tell
    try:
        response = client.post(TRACK, json=event("gated"), headers=bearer(write_key))
    finally:
        os.close(holder)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert native_error(response)["code"] == "unavailable"
    assert client.post(TRACK, json=event("gated"), headers=bearer(write_key)).status_code == 200


def test_an_unreachable_database_is_503(tmp_path: Path, sqlite_url: str) -> None:
    app = make_ingest_app(sqlite_url, tmp_path)
    key = new_key(app)
    get_database(app).engine.dispose()
    from app.database import Database
    from data.db import make_engine, make_session_factory

    dead = make_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
    )
    app.extensions["legato.database"] = Database(dead, make_session_factory(dead))
    response = app.test_client().post("/v1/track", json=segment_track(), headers=bearer(key))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json()["code"] == "unavailable"


def test_concurrent_identical_batches_store_each_event_once(
    ingest_app: Flask, write_key: str
) -> None:
    batch = {"batch": [event(f"c{i}") for i in range(200)]}
    results: list[dict] = []

    def send() -> None:
        results.append(
            ingest_app.test_client().post(BATCH, json=batch, headers=bearer(write_key)).get_json()
        )

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result["accepted"] for result in results) == 200
    assert all(result["accepted"] + result["duplicates"] == 200 for result in results)
    assert len(events_of(ingest_app)) == 200


def test_openapi_document_is_served_publicly(client: FlaskClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    expected = {
        "/api/v1/events/track",
        "/api/v1/events/track-batch",
        "/api/v1/events/content-engagement",
        "/api/v1/events/user-behavior",
        "/api/v1/events/revenue",
        *(
            f"/v1/{call}"
            for call in ("track", "identify", "page", "screen", "group", "alias", "batch", "import")
        ),
    }
    assert expected <= set(document["paths"])  # with the read and assignment APIs' paths
    for path in expected:
        assert set(document["paths"][path]["post"]["responses"]) == {
            "200", "400", "401", "413", "415", "429", "503"
        }  # fmt: skip
