"""The native batch fast path (``parse_native_batch_body``) gives exactly what the full
validator (``parse_native_batch``) gives on the same body, or steps aside (``None``).

Hypothesis generates batches that mix plain valid events with every kind of item the
fast rules hand to the full validator (revenue, traits, floats, bad text, bad times, deep
objects, huge items, wrong types, unknown fields) and compares the two results item by item.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ingest.body import MAX_EVENT_BYTES, parse_json
from app.ingest.validation import (
    Clock,
    Parsed,
    parse_native_batch,
    parse_native_batch_body,
)

NOW = datetime(2026, 11, 24, 12, 0, 0)
CLOCK = Clock(NOW, timedelta(hours=1))
SOURCE = "web"


def _full(body: bytes) -> Parsed:
    return parse_native_batch(parse_json(body), len(body), CLOCK, SOURCE)


def _fast(body: bytes) -> Parsed | None:
    return parse_native_batch_body(body, CLOCK, SOURCE, parse_json)


def _plain_event(index: int) -> dict[str, Any]:
    return {
        "message_id": f"m-{index}",
        "event": "chapter_progress",
        "user_id": f"reader-{index % 7}",
        "story_id": 3,
        "chapter_id": 301,
        "progress_pct": 40,
        "read_seconds": 75,
        "timestamp": "2026-11-24T11:59:30+00:00",
        "properties": {"platform": "ios"},
        "context": {"app": {"version": "5.2.0"}},
    }


def test_a_plain_batch_takes_the_fast_path_with_the_full_validators_result() -> None:
    body = json.dumps({"batch": [_plain_event(i) for i in range(200)]}).encode()
    fast = _fast(body)
    assert fast is not None
    assert fast == _full(body)
    assert len(fast.accepted) == 200
    row = fast.accepted[0].row
    assert row["occurred_at"] == datetime(2026, 11, 24, 11, 59, 30)
    assert row["event_type"] == "chapter_progress"
    assert row["received_at"] == NOW


def test_clock_skew_is_corrected_on_the_fast_path_too() -> None:
    events = [_plain_event(0)]
    events[0]["timestamp"] = "2026-11-24T13:59:00Z"  # client clock two hours ahead
    body = json.dumps({"batch": events, "sent_at": "2026-11-24T14:00:00Z"}).encode()
    fast = _fast(body)
    assert fast is not None
    assert fast == _full(body)
    assert fast.accepted[0].row["occurred_at"] == NOW - timedelta(minutes=1)


def test_bodies_the_typed_decode_refuses_step_aside() -> None:
    wrong_type = _plain_event(0) | {"story_id": "3"}
    unknown_field = _plain_event(0) | {"colour": "blue"}
    for document in ({"batch": [wrong_type]}, {"batch": [unknown_field]}, {"batch": []}, []):
        assert _fast(json.dumps(document).encode()) is None
    assert _fast(b'{"batch": [') is None


def test_an_oversized_item_is_measured_and_rejected_like_the_full_path() -> None:
    big = _plain_event(1) | {"properties": {"blob": "x" * (MAX_EVENT_BYTES + 10)}}
    body = json.dumps({"batch": [_plain_event(0), big]}).encode()
    fast = _fast(body)
    assert fast is not None
    assert fast == _full(body)
    assert [item.index for item in fast.rejected] == [1]


# Items the fast rules accept or hand over; all decode under the typed schema.
_VARIANTS: list[dict[str, Any]] = [
    {},
    {"event": "tip", "revenue_minor": 250, "currency": "EUR", "writer_id": 2},
    {"event": "tip", "amount": "2.50", "currency": "usd", "writer_id": 2},
    {"event": "tip", "revenue_minor": 250},  # currency missing: rejected
    {"traits": {"country": "de", "device": "ios"}},
    {"traits": {"country": "Germany"}},
    {"progress_pct": 42.6},
    {"progress_pct": 140},
    {"read_seconds": -1},
    {"message_id": ""},
    {"message_id": "x" * 200},
    {"event": "bad\x00name"},
    {"user_id": None, "anonymous_id": None},
    {"user_id": None, "anonymous_id": "anon-1"},
    {"anonymous_id": "anon-2"},
    {"timestamp": "not a time"},
    {"timestamp": "2026-11-24T18:00:00Z"},  # six hours ahead: rejected
    {"timestamp": "2026-11-24T12:30:00+02:00"},
    {"timestamp": "1999-01-01T00:00:00Z"},
    {"timestamp": None},
    {"sent_at": "2026-11-24T12:00:10Z"},
    {"sent_at": "garbage"},
    {"story_id": 0},
    {"chapter_id": 2**31},
    {"event": "chapter_start", "story_id": None},
    {"event": "follow", "story_id": None, "writer_id": None},
    {"event": "experiment_exposure", "properties": {"experiment": "e1"}},
    {"event": "experiment_exposure", "properties": {"experiment": "e1", "variant": "b"}},
    {"event": "my_custom_thing"},
    {"properties": {"deep": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {}}}}}}}}}}}},
    {"context": {"list": [[[[[[[[[[[1]]]]]]]]]]]}},
    {"properties": None, "context": None},
    {"writeKey": "ignored"},
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    choices=st.lists(st.integers(0, len(_VARIANTS) - 1), min_size=1, max_size=12),
    batch_sent_at=st.sampled_from([None, "2026-11-24T12:00:05Z"]),
)
def test_fast_path_equals_the_full_validator(choices: list[int], batch_sent_at: str | None) -> None:
    events = []
    for index, choice in enumerate(choices):
        event = _plain_event(index) | _VARIANTS[choice]
        events.append(event)
    document: dict[str, Any] = {"batch": events}
    if batch_sent_at is not None:
        document["sent_at"] = batch_sent_at
    body = json.dumps(document).encode()
    fast = _fast(body)
    assert fast is not None  # every variant decodes under the typed schema
    assert fast == _full(body)
