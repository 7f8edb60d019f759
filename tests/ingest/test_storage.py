"""What the ingest API stores, on SQLite and PostgreSQL: dedupe, time, readers, catalog
enrichment, revenue and progress columns, and the Segment mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.database import get_database
from data.models import Reader
from tests.ingest.conftest import basic, bearer, events_of

TRACK = "/api/v1/events/track"
BATCH = "/api/v1/events/track-batch"


def iso(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat()


def naive_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def reader(app: Flask, **where: str) -> Reader | None:
    with get_database(app).session() as session:
        query = select(Reader).filter_by(**where)
        return session.scalars(query).one_or_none()


def test_a_retried_batch_stores_nothing_twice_and_reports_duplicates(
    ingest_app: Flask, client: FlaskClient, write_key: str, other_key: str
) -> None:
    batch = {
        "batch": [
            {"message_id": f"m{i}", "event": "story_view", "user_id": f"u{i % 3}", "story_id": 10}
            for i in range(50)
        ]
    }
    first = client.post(BATCH, json=batch, headers=bearer(write_key)).get_json()
    assert (first["accepted"], first["duplicates"]) == (50, 0)
    again = client.post(BATCH, json=batch, headers=bearer(write_key)).get_json()
    assert (again["accepted"], again["duplicates"]) == (0, 50)
    assert sorted(again["duplicate_message_ids"]) == sorted(f"m{i}" for i in range(50))
    # Half old, half new, one repeated inside the request.
    mixed = {"batch": batch["batch"][25:] + [{**batch["batch"][0], "message_id": "n1"}] * 2}
    body = client.post(BATCH, json=mixed, headers=bearer(write_key)).get_json()
    assert (body["accepted"], body["duplicates"]) == (1, 26)
    assert sorted(body["duplicate_message_ids"]) == sorted(
        ["n1"] + [f"m{i}" for i in range(25, 50)]
    )
    assert len(events_of(ingest_app)) == 51
    # The dedupe key is per source: another source may use the same ids.
    body = client.post(BATCH, json=batch, headers=bearer(other_key)).get_json()
    assert body["accepted"] == 50
    assert len(events_of(ingest_app, "web")) == 50


def test_clock_skew_is_corrected_and_backfill_is_kept(
    ingest_app: Flask, client: FlaskClient, write_key: str
) -> None:
    before = naive_now()
    # The client's clock is two hours fast: it says the event happened 10 s before sending.
    fast = before + timedelta(hours=2)
    skewed = {
        "message_id": "skew",
        "event": "login",
        "user_id": "u",
        "timestamp": iso(fast - timedelta(seconds=10)),
        "sent_at": iso(fast),
    }
    backfill = {
        "message_id": "old",
        "event": "login",
        "user_id": "u",
        "timestamp": "2023-05-01T12:00:00+02:00",
    }
    body = {"batch": [skewed, backfill]}
    assert client.post(BATCH, json=body, headers=bearer(write_key)).get_json()["accepted"] == 2
    after = naive_now()
    stored = events_of(ingest_app)
    event = stored["skew"]
    assert before <= event.received_at <= after
    assert event.occurred_at == event.received_at - timedelta(seconds=10)
    assert stored["old"].occurred_at == datetime(2023, 5, 1, 10, 0)
    # Batch-level sent_at applies to items without their own.
    item = {
        "message_id": "batch-sent",
        "event": "login",
        "user_id": "u",
        "timestamp": iso(fast - timedelta(minutes=1)),
    }
    client.post(BATCH, json={"batch": [item], "sent_at": iso(fast)}, headers=bearer(write_key))
    event = events_of(ingest_app)["batch-sent"]
    assert event.occurred_at == event.received_at - timedelta(minutes=1)


def test_catalog_enrichment_and_unknown_ids(
    ingest_app: Flask, client: FlaskClient, write_key: str
) -> None:
    events = [
        {"message_id": "known", "event": "chapter_start", "user_id": "r1", "story_id": 10, "chapter_id": 100},
        {"message_id": "chapter-only", "event": "like", "user_id": "r1", "story_id": 20, "chapter_id": 200},
        {"message_id": "unknown", "event": "chapter_start", "user_id": "r1", "story_id": 999, "chapter_id": 9999},
        {"message_id": "told", "event": "story_view", "user_id": "r1", "story_id": 10, "writer_id": 2},
    ]  # fmt: skip
    assert (
        client.post(BATCH, json={"batch": events}, headers=bearer(write_key)).get_json()["accepted"]
        == 4
    )
    # Segment: only a chapter id; story and writer come from the catalog.
    segment = {
        "messageId": "seg",
        "userId": "r2",
        "event": "Chapter Liked",
        "properties": {"chapterId": 110, "storyId": 11},
    }
    assert client.post("/v1/track", json=segment, headers=basic(write_key)).status_code == 200
    stored = events_of(ingest_app)
    assert (stored["known"].writer_id, stored["known"].reader_id) == (1, 1)
    assert stored["chapter-only"].writer_id == 2
    unknown = stored["unknown"]
    assert (unknown.story_id, unknown.chapter_id, unknown.writer_id) == (999, 9999, None)
    assert stored["told"].writer_id == 2  # what the client sent wins
    assert (stored["seg"].story_id, stored["seg"].writer_id, stored["seg"].reader_id) == (11, 1, 2)


def test_readers_are_resolved_created_and_linked(
    ingest_app: Flask, client: FlaskClient, write_key: str
) -> None:
    events = [
        {"message_id": "a1", "event": "page_view", "anonymous_id": "device-9"},
        {"message_id": "a2", "event": "page_view", "anonymous_id": "device-9"},
        {"message_id": "n1", "event": "login", "user_id": "new-user"},
    ]
    assert (
        client.post(BATCH, json={"batch": events}, headers=bearer(write_key)).get_json()["accepted"]
        == 3
    )
    anonymous = reader(ingest_app, anonymous_id="device-9")
    created = reader(ingest_app, user_id="new-user")
    stored = events_of(ingest_app)
    assert stored["a1"].reader_id == stored["a2"].reader_id == anonymous.id
    assert stored["n1"].reader_id == created.id
    # The anonymous reader signs up: identify with both ids links it; history stays one reader.
    identify = {
        "messageId": "id1",
        "userId": "member-9",
        "anonymousId": "device-9",
        "traits": {"country": "de", "device": "android", "ageBand": "25-34", "plan": "gold"},
    }
    assert client.post("/v1/identify", json=identify, headers=bearer(write_key)).status_code == 200
    linked = reader(ingest_app, anonymous_id="device-9")
    assert linked.id == anonymous.id
    assert linked.user_id == "member-9"
    assert (linked.country, linked.device, linked.age_band) == ("DE", "android", "25-34")
    assert linked.traits["plan"] == "gold"
    later = {"message_id": "after", "event": "login", "user_id": "member-9"}
    client.post(TRACK, json=later, headers=bearer(write_key))
    assert events_of(ingest_app)["after"].reader_id == anonymous.id
    # A retried, older identify does not overwrite newer traits.
    newer = {**identify, "messageId": "id2", "traits": {"device": "web"}}
    client.post("/v1/identify", json=newer, headers=bearer(write_key))
    retried = client.post("/v1/identify", json=identify, headers=bearer(write_key)).get_json()
    assert retried["duplicates"] == 1
    assert reader(ingest_app, user_id="member-9").device == "web"
    # Invalid well-known traits are field errors.
    bad = {"messageId": "id3", "userId": "member-9", "traits": {"device": "fridge"}}
    response = client.post("/v1/identify", json=bad, headers=bearer(write_key))
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {"field": "traits.device", "message": "must be one of ios, android, web"}
    ]


def test_alias_links_an_anonymous_reader(
    ingest_app: Flask, client: FlaskClient, write_key: str
) -> None:
    client.post(
        TRACK,
        json={"message_id": "p", "event": "page_view", "anonymous_id": "anon-7"},
        headers=bearer(write_key),
    )
    alias = {"messageId": "al", "userId": "user-7", "previousId": "anon-7"}
    assert client.post("/v1/alias", json=alias, headers=bearer(write_key)).status_code == 200
    assert reader(ingest_app, user_id="user-7").anonymous_id == "anon-7"
    stored = events_of(ingest_app)["al"]
    assert (stored.event_type, stored.event_name, stored.properties) == (
        "custom",
        "alias",
        {"previous_id": "anon-7"},
    )


def test_revenue_and_progress_columns(
    ingest_app: Flask, client: FlaskClient, write_key: str
) -> None:
    native = [
        {"message_id": "amount", "event": "tip", "user_id": "r1", "writer_id": 1, "amount": 4.99, "currency": "usd"},
        {"message_id": "minor", "event": "chapter_unlock", "user_id": "r1", "chapter_id": 101, "revenue_minor": 199, "currency": "EUR"},
        {"message_id": "yen", "event": "subscribe", "user_id": "r1", "story_id": 10, "amount": "500", "currency": "JPY"},
        {"message_id": "cents", "event": "tip", "user_id": "r1", "writer_id": 1, "amount": 1.005, "currency": "USD"},
        {"message_id": "progress", "event": "chapter_progress", "user_id": "r1", "story_id": 10, "chapter_id": 100, "progress_pct": 62.6, "read_seconds": 45},
        {"message_id": "no-currency", "event": "tip", "user_id": "r1", "writer_id": 1, "revenue_minor": 5},
    ]  # fmt: skip
    body = client.post(BATCH, json={"batch": native}, headers=bearer(write_key)).get_json()
    assert body["accepted"] == 4
    errors = {item["message_id"]: item["errors"] for item in body["rejected"]}
    assert errors["cents"] == [
        {"field": "batch[3].amount", "message": "has more decimal places than USD has (2)"}
    ]
    assert errors["no-currency"] == [
        {"field": "batch[5].currency", "message": "is required with revenue_minor or amount"}
    ]
    segment = {
        "batch": [
            {"type": "track", "messageId": "s-tip", "userId": "r2", "event": "Tip Sent", "properties": {"writerId": "1", "revenue": 2.5, "note": "thanks"}},
            {"type": "track", "messageId": "s-unlock", "userId": "r2", "event": "Chapter Unlocked", "properties": {"chapter_id": 101, "amount_minor": 99, "currency": "GBP"}},
            {"type": "track", "messageId": "s-progress", "userId": "r2", "event": "Chapter Progress", "properties": {"storyId": 10, "chapterId": 100, "percent": "40", "seconds": 30}},
        ]
    }  # fmt: skip
    assert (
        client.post("/v1/batch", json=segment, headers=bearer(write_key)).get_json()["accepted"]
        == 3
    )
    stored = events_of(ingest_app)
    assert (stored["amount"].revenue_minor, stored["amount"].currency) == (499, "USD")
    assert (stored["minor"].revenue_minor, stored["minor"].writer_id) == (199, 1)
    assert (stored["yen"].revenue_minor, stored["yen"].currency, stored["yen"].writer_id) == (
        500,
        "JPY",
        1,
    )
    assert (stored["progress"].progress_pct, stored["progress"].read_seconds) == (63, 45)
    tip = stored["s-tip"]
    assert (tip.event_type, tip.event_name, tip.revenue_minor, tip.currency, tip.writer_id) == (
        "tip", "Tip Sent", 250, "USD", 1
    )  # fmt: skip
    assert tip.properties == {"note": "thanks"}  # mapped keys leave properties
    assert (stored["s-unlock"].revenue_minor, stored["s-unlock"].currency) == (99, "GBP")
    assert (stored["s-progress"].progress_pct, stored["s-progress"].read_seconds) == (40, 30)


def test_segment_calls_map_onto_canonical_events(
    ingest_app: Flask, client: FlaskClient, write_key: str
) -> None:
    now = datetime.now(UTC)
    batch = [
        {"type": "track", "messageId": "t1", "anonymousId": "d1", "event": "Chapter Started", "properties": {"story_id": 10, "chapter_id": 100}},
        {"type": "track", "messageId": "t2", "anonymousId": "d1", "event": "chapter_complete", "properties": {"story_id": 10, "chapter_id": 100}},
        {"type": "track", "messageId": "t3", "anonymousId": "d1", "event": "Bookmark Added", "properties": {"story_id": 10}},
        {"type": "track", "messageId": "t4", "anonymousId": "d1", "event": "Experiment Viewed", "properties": {"experiment_name": "cover-test", "variation_name": "B"}},
        {"type": "page", "messageId": "p1", "anonymousId": "d1", "name": "Home", "properties": {"path": "/"}},
        {"type": "screen", "messageId": "p2", "anonymousId": "d1", "name": "Reader"},
        {"type": "group", "messageId": "g1", "userId": "r1", "groupId": "club-1", "traits": {"name": "Readers"}},
        {"type": "track", "messageId": "t5", "userId": 42, "event": "Story Viewed", "properties": {"storyId": 999}, "originalTimestamp": (now - timedelta(minutes=5)).isoformat(), "sentAt": now.isoformat()},
    ]  # fmt: skip
    response = client.post(
        "/v1/import",
        json={"batch": batch, "context": {"app": {"name": "ios"}}},
        headers=bearer(write_key),
    )
    assert response.get_json() == {
        "success": True,
        "accepted": 8,
        "duplicates": 0,
        "duplicate_message_ids": [],
        "rejected": [],
    }
    stored = events_of(ingest_app)
    kinds = {key: (row.event_type, row.event_name) for key, row in stored.items()}
    assert kinds == {
        "t1": ("chapter_start", "Chapter Started"),
        "t2": ("chapter_complete", "chapter_complete"),
        "t3": ("custom", "Bookmark Added"),
        "t4": ("experiment_exposure", "Experiment Viewed"),
        "p1": ("page_view", "Home"),
        "p2": ("page_view", "Reader"),
        "g1": ("custom", "group"),
        "t5": ("story_view", "Story Viewed"),
    }
    assert stored["t4"].properties["experiment"] == "cover-test"
    assert stored["t4"].properties["variant"] == "B"
    assert stored["p1"].properties == {"path": "/", "call": "page"}
    assert stored["t1"].context == {"app": {"name": "ios"}}
    assert stored["t5"].user_id == "42"
    assert stored["t5"].story_id == 999  # unknown story: stored, not dropped
    assert abs(
        stored["t5"].received_at - stored["t5"].occurred_at - timedelta(minutes=5)
    ) < timedelta(seconds=1)


def test_typed_native_endpoints_store_their_events(
    ingest_app: Flask, client: FlaskClient, write_key: str
) -> None:
    calls = [
        ("/api/v1/events/content-engagement", {"message_id": "ce", "user_id": "r1", "action": "chapter_complete", "story_id": 10, "chapter_id": 101}),
        ("/api/v1/events/user-behavior", {"message_id": "ub", "user_id": "fresh", "action": "signup", "traits": {"country": "FR", "acquisition_source": "social", "signup_date": "2026-01-02"}}),
        ("/api/v1/events/user-behavior", {"message_id": "ex", "user_id": "fresh", "action": "experiment_exposure", "properties": {"experiment": "e1", "variant": "control"}}),
        ("/api/v1/events/revenue", {"message_id": "rv", "user_id": "r1", "action": "subscribe", "writer_id": 2, "amount": "3.50", "currency": "USD", "properties": {"plan": "monthly"}}),
    ]  # fmt: skip
    for path, body in calls:
        response = client.post(path, json=body, headers=bearer(write_key))
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["accepted"] == 1
    stored = events_of(ingest_app)
    assert stored["ce"].event_type == "chapter_complete"
    assert stored["ex"].event_type == "experiment_exposure"
    assert (stored["rv"].event_type, stored["rv"].revenue_minor) == ("subscribe", 350)
    fresh = reader(ingest_app, user_id="fresh")
    assert (fresh.country, fresh.acquisition_source, str(fresh.signup_date)) == (
        "FR",
        "social",
        "2026-01-02",
    )
    response = client.post(
        "/api/v1/events/user-behavior",
        json={"message_id": "ex2", "user_id": "fresh", "action": "experiment_exposure"},
        headers=bearer(write_key),
    )
    assert response.get_json()["error"]["errors"] == [
        {"field": "properties.experiment", "message": "is required for experiment_exposure events"},
        {"field": "properties.variant", "message": "is required for experiment_exposure events"},
    ]
