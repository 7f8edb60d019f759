"""Ingest validation and body reading as pure functions: field paths, time, money,
the Segment vocabulary, and the gzip/size/JSON rules."""

from __future__ import annotations

import gzip
import io
import json
from datetime import datetime, timedelta

import pytest

from app.ingest.body import MAX_EVENT_BYTES, gunzip_limited, read_json_body
from app.ingest.errors import IngestError
from app.ingest.segment import canonical_type
from app.ingest.validation import (
    TRACK,
    Clock,
    parse_native_batch,
    parse_native_event,
    parse_segment_batch,
    parse_segment_message,
)

RECEIVED = datetime(2026, 3, 2, 12, 0, 0)
CLOCK = Clock(RECEIVED, timedelta(hours=1))


def native(**fields: object) -> dict[str, object]:
    return {"message_id": "m", "event": "login", "user_id": "u", **fields}


def errors_of(call) -> list[tuple[str, str]]:
    with pytest.raises(IngestError) as raised:
        call()
    return [(error.field, error.message) for error in raised.value.errors]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Chapter Started", "chapter_start"),
        ("chapter_started", "chapter_start"),
        ("  CHAPTER   completed ", "chapter_complete"),
        ("chapter-progress", "chapter_progress"),
        ("Tip Sent", "tip"),
        ("Experiment Viewed", "experiment_exposure"),
        ("signup", "signup"),
        ("Order Completed", "custom"),
    ],
)
def test_segment_event_names_map_to_canonical_types(name: str, expected: str) -> None:
    assert canonical_type(name).value == expected


def test_clock_skew_correction_and_limits() -> None:
    # Client clock 3 h fast: the event happened 30 s before it was sent.
    skewed = native(timestamp="2026-03-02T15:00:00Z", sent_at="2026-03-02T15:00:30+00:00")
    row = parse_native_event(skewed, TRACK, CLOCK, "ios").accepted[0].row
    assert row["occurred_at"] == RECEIVED - timedelta(seconds=30)
    assert row["received_at"] == RECEIVED
    # No sentAt: the client time is taken as is (with its offset), backfill included.
    row = (
        parse_native_event(native(timestamp="2020-01-01T01:00:00+01:00"), TRACK, CLOCK, "s")
        .accepted[0]
        .row
    )
    assert row["occurred_at"] == datetime(2020, 1, 1, 0, 0)
    # No timestamp at all: the server time.
    assert (
        parse_native_event(native(), TRACK, CLOCK, "s").accepted[0].row["occurred_at"] == RECEIVED
    )
    assert errors_of(
        lambda: parse_native_event(native(timestamp="2026-03-02T13:00:01Z"), TRACK, CLOCK, "s")
    ) == [
        (
            "timestamp",
            "is 3,601 s ahead of the server clock; at most 3600 s in the future is accepted",
        )
    ]
    assert errors_of(
        lambda: parse_native_event(native(timestamp="1999-12-31T23:59:59Z"), TRACK, CLOCK, "s")
    ) == [("timestamp", "is before 2000-01-01T00:00:00Z, the earliest event time accepted")]


def test_batch_field_paths_are_exact() -> None:
    document = {
        "batch": [
            {"type": "track", "messageId": "a", "userId": "u", "event": "Chapter Progress",
             "properties": {"storyId": 1, "chapterId": 2, "percent": "lots"}},
            {"type": "bogus", "messageId": "b", "userId": "u"},
            {"type": "identify", "messageId": "c", "anonymousId": "d", "traits": {"address": {"country": "Germany"}}},
            {"type": "track", "messageId": "d", "userId": "u", "event": "Tip Sent",
             "properties": {"writerId": 1, "revenue": 1.234, "currency": "USD"}},
        ]
    }  # fmt: skip
    parsed = parse_segment_batch(document, 10_000, CLOCK, "ios")
    assert parsed.accepted == []
    assert [(r.index, [(e.field, e.message) for e in r.errors]) for r in parsed.rejected] == [
        (0, [("batch[0].properties.percent", "must be a number, not a string")]),
        (
            1,
            [
                (
                    "batch[1].type",
                    "must be one of track, identify, page, screen, group, alias (got 'bogus')",
                )
            ],
        ),
        (
            2,
            [
                (
                    "batch[2].traits.address.country",
                    "must be a two-letter ISO 3166 country code such as DE",
                )
            ],
        ),
        (3, [("batch[3].properties.revenue", "has more decimal places than USD has (2)")]),
    ]


def test_segment_revenue_defaults_to_usd_and_requires_ids_for_canonical_types() -> None:
    message = {"messageId": "m", "userId": "u", "event": "Tip Sent", "properties": {"revenue": "3"}}
    assert errors_of(lambda: parse_segment_message(message, "track", CLOCK, "s")) == [
        ("properties.writer_id", "is required for tip events (or properties.story_id)")
    ]
    message["properties"]["writer_id"] = 5
    row = parse_segment_message(message, "track", CLOCK, "s").accepted[0].row
    assert (row["revenue_minor"], row["currency"], row["writer_id"]) == (300, "USD", 5)


def test_native_batch_envelope_rules() -> None:
    document = {"batch": [native()], "sentAt": "x"}
    assert errors_of(lambda: parse_native_batch(document, 100, CLOCK, "s")) == [
        ("sentAt", "is not a field of this endpoint (see /api/openapi.json)")
    ]
    assert errors_of(lambda: parse_native_batch({"batch": "x"}, 100, CLOCK, "s")) == [
        ("batch", "must be a non-empty array, not a string")
    ]


def test_text_fields_refuse_nul_and_overlong_values() -> None:
    assert errors_of(lambda: parse_native_event(native(user_id="a\x00b"), TRACK, CLOCK, "s")) == [
        ("user_id", "must not contain NUL characters")
    ]
    assert errors_of(
        lambda: parse_native_event(native(message_id="m" * 129), TRACK, CLOCK, "s")
    ) == [("message_id", "must be 1 to 128 characters long (got 129)")]


def test_gunzip_is_capped_and_checked() -> None:
    assert gunzip_limited(gzip.compress(b"x" * 100), 100) == b"x" * 100
    with pytest.raises(IngestError) as raised:
        gunzip_limited(gzip.compress(b"x" * 101), 100)
    assert raised.value.status == 413
    with pytest.raises(IngestError) as raised:
        gunzip_limited(gzip.compress(b"{}") + b"trailing", 100)
    assert raised.value.code == "bad_gzip"


def test_read_json_body_rules() -> None:
    def read(
        data: bytes,
        content_type: str = "application/json; charset=utf-8",
        encoding: str | None = None,
    ):
        return read_json_body(io.BytesIO(data), content_type, encoding, MAX_EVENT_BYTES)

    assert read(b'{"a": 1}') == ({"a": 1}, 8)
    assert read(gzip.compress(b'{"a": 1}'), encoding="gzip")[0] == {"a": 1}
    for data, content_type, code in (
        (b"{}", "text/json", "unsupported_media_type"),
        (b"", "application/json", "invalid_json"),
        (b"\xff{}", "application/json", "invalid_json"),
        (json.dumps({"a": "\ud800"}).encode(), "application/json", "invalid_json"),
        (b"x" * (MAX_EVENT_BYTES + 1), "application/json", "payload_too_large"),
    ):
        with pytest.raises(IngestError) as raised:
            read(data, content_type)
        assert raised.value.code == code
    assert read(json.dumps({"a": "\U0001f600"}).encode())[0] == {"a": "\U0001f600"}
