"""Existing analytics SDKs work unchanged against a live server: the real
``segment-analytics-python`` (plain and gzip) and ``rudder-sdk-python`` (gzip by default)
clients post thousands of messages, some of them twice, over HTTP to a werkzeug server
started by the test; every message is stored exactly once, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from rudderstack.analytics import Client as RudderClient
from segment.analytics import Client as SegmentClient

from tests.ingest.conftest import events_of

MESSAGES = 3000
RESENT = 400  # the first RESENT messages are sent a second time (a client retry)

pytestmark = pytest.mark.slow


def send_mix(client: Any, prefix: str) -> set[str]:
    """Track, page, screen and identify messages with known ids; returns the ids."""
    ids = set()
    for number in [*range(MESSAGES), *range(RESENT)]:
        message_id = f"{prefix}-{number}"
        ids.add(message_id)
        user = f"{prefix}-user-{number % 97}"
        kind = number % 10
        if kind < 6:
            client.track(
                user_id=user,
                event="Chapter Started" if kind % 2 else "Chapter Progress",
                properties={"story_id": 10, "chapter_id": 100, "percent": number % 101},
                message_id=message_id,
            )
        elif kind < 8:
            client.page(anonymous_id=f"device-{number % 31}", name="Home", message_id=message_id)
        elif kind == 8:
            client.screen(user_id=user, name="Reader", message_id=message_id)
        else:
            client.identify(user_id=user, traits={"country": "NZ"}, message_id=message_id)
    return ids


@pytest.mark.parametrize(
    ("name", "make_client"),
    [
        pytest.param(
            "segment",
            lambda key, host, errors: SegmentClient(
                key, host=host, on_error=errors, upload_size=100, max_retries=3, gzip=False
            ),
            id="segment",
        ),
        pytest.param(
            "segment-gzip",
            lambda key, host, errors: SegmentClient(
                key, host=host, on_error=errors, upload_size=250, max_retries=3, gzip=True
            ),
            id="segment-gzip",
        ),
        pytest.param(
            "rudder",
            lambda key, host, errors: RudderClient(
                key, host=host, on_error=errors, upload_size=100, max_retries=3
            ),
            id="rudder",
        ),
    ],
)
def test_sdk_messages_are_stored_exactly_once(
    ingest_app: Flask,
    live_server: str,
    write_key: str,
    name: str,
    make_client: Callable[..., Any],
) -> None:
    errors: list[Any] = []
    client = make_client(write_key, live_server, lambda error, batch: errors.append(error))
    if name == "rudder":
        assert client.gzip is True  # rudder-sdk-python compresses by default
    ids = send_mix(client, name)
    client.flush()
    client.join()
    assert errors == []
    stored = events_of(ingest_app)  # asserts no message id is stored twice
    assert set(stored) == ids
    sample = stored[f"{name}-1"]
    assert (sample.event_type, sample.story_id, sample.writer_id) == ("chapter_start", 10, 1)
    assert stored[f"{name}-0"].progress_pct == 0
    assert stored[f"{name}-6"].event_type == "page_view"
    assert stored[f"{name}-9"].event_name == "identify"
    assert sample.context["library"]["name"] == "analytics-python"


def test_sdk_with_a_wrong_key_gets_a_401_it_understands(live_server: str) -> None:
    errors: list[Any] = []
    client = SegmentClient(
        "lgw_wrong", host=live_server, on_error=lambda error, batch: errors.append(error)
    )
    client.track(user_id="u", event="x", message_id="m")
    client.flush()
    client.join()
    [error] = errors
    assert (error.status, error.code) == (401, "unauthorized")
