"""The ``alerts`` job end to end on a real database (SQLite and PostgreSQL): run through
``app.jobs.runner.run_job`` on tests/alerts_fixtures.py's platform, it stores the planted
spike once with its source, reruns are idempotent, and new alerts are POSTed to a real local
HTTP server — signed, retried across runs when the receiver fails, never failing the job
nor losing the alert. Also the job's storage rules, the webhook client and its settings."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from app.config import ConfigError, load_config
from app.jobs import alerts as alerts_job
from app.jobs.alerts import MAX_WEBHOOK_ATTEMPTS, WebhookError, post_webhook, run_alerts
from app.jobs.registry import JOBS, JobSettings
from app.jobs.runner import run_job
from data.alert_store import AlertRecord, alerts_as_of, breakdown, upsert_alerts
from data.db import make_session_factory, utcnow
from data.models import Alert, StoryReaderDaily, WriterDaily
from data.queries.filters import Period, Scope
from data.queries.overview import daily_series
from tests.alerts_fixtures import SPIKE_READERS, build_alert_platform

SECRET = "webhook-test-secret"


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that records every request and answers ``status``
    (after ``delay`` seconds)."""

    url: str
    requests: list[dict] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    location: str | None = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if state.delay:
                time.sleep(state.delay)
            try:
                self.send_response(state.status)
                if state.location:
                    self.send_header("Location", state.location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                pass

        def log_message(self, *_args) -> None:  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/legato"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def spike_day() -> date:
    return utcnow().date() - timedelta(days=1)


@pytest.fixture
def platform(session, spike_day: date):
    build_alert_platform(session, spike_day)
    return session


def alerts(session) -> dict[tuple[int | None, str], Alert]:
    session.expire_all()
    return {(a.writer_id, a.metric): a for a in session.scalars(select(Alert).order_by(Alert.id))}


def test_the_job_stores_the_spike_once_with_its_source(platform, engine, spike_day) -> None:
    sessions = make_session_factory(engine)
    result = run_job(sessions, "alerts")
    assert result.status == "succeeded", result.error
    assert result.rows_written == 4
    stored = alerts(platform)
    assert set(stored) == {(1, "readers"), (1, "views"), (None, "readers"), (None, "views")}
    readers = stored[(1, "readers")]
    series = daily_series(platform, Scope(1), Period(spike_day, spike_day))
    assert readers.day == spike_day
    assert readers.observed == series.loc[spike_day, "unique_readers"]
    assert readers.direction == "spike"
    assert readers.severity == "high"
    assert readers.expected_low <= readers.expected <= readers.expected_high < readers.observed
    assert readers.observed - readers.expected == pytest.approx(SPIKE_READERS, rel=0.2)
    assert (readers.source_kind, readers.story_id) == ("release", 10)
    assert readers.source_label == "The Glass Orchard"
    assert readers.source_share > 0.9
    assert readers.summary.startswith("Story 'The Glass Orchard' accounts for 9")
    assert readers.summary.endswith("of the extra readers; chapter 14 was released that day.")
    assert readers.evidence["releases"][0]["number"] == 14
    assert readers.evidence["contributors"]["story"][0]["value"] == "10"
    assert readers.webhook_status == "none"
    assert readers.read_at is None
    assert readers.job_run_id == result.run_id
    assert stored[(None, "readers")].source_kind == "release"  # the platform's source too

    ids = {key: alert.id for key, alert in stored.items()}
    readers.read_at = utcnow()
    platform.commit()
    again = run_job(sessions, "alerts")
    assert again.status == "succeeded"
    assert again.rows_written == 0  # same rollups, same alerts: nothing to write
    after = alerts(platform)
    assert {key: alert.id for key, alert in after.items()} == ids
    assert after[(1, "readers")].read_at is not None  # the read mark survives reruns
    assert platform.scalar(select(func.count()).select_from(Alert)) == 4


def test_a_platform_without_anomalies_gets_no_alert(session, engine, spike_day) -> None:
    build_alert_platform(session, spike_day, spike=False)
    result = run_job(make_session_factory(engine), "alerts")
    assert result.status == "succeeded"
    assert result.rows_written == 0
    assert session.scalar(select(func.count()).select_from(Alert)) == 0


def test_too_little_history_is_not_judged(session, spike_day) -> None:
    build_alert_platform(session, spike_day)
    # Keep only the last three weeks of rollups: too young a series to judge.
    session.execute(
        WriterDaily.__table__.delete().where(WriterDaily.day < spike_day - timedelta(days=20))
    )
    session.execute(
        StoryReaderDaily.__table__.delete().where(
            StoryReaderDaily.day < spike_day - timedelta(days=20)
        )
    )
    session.commit()
    assert run_alerts(session, today=spike_day + timedelta(days=1)) == 0


def test_breakdown_reads_stories_countries_sources_and_writers(platform, spike_day) -> None:
    frame = breakdown(platform, None, [spike_day])
    assert set(frame["kind"]) == {"story", "country", "acquisition_source", "writer"}
    stories = frame[frame["kind"] == "story"].set_index("value")
    assert stories.loc["10", "label"] == "The Glass Orchard"
    total = daily_series(platform, Scope(), Period(spike_day, spike_day))
    countries = frame[frame["kind"] == "country"]
    assert countries["readers"].sum() == total.loc[spike_day, "unique_readers"]
    assert set(countries["value"]) == {"US", "BR"}
    writer = breakdown(platform, 2, [spike_day])
    assert set(writer["kind"]) == {"story", "country", "acquisition_source"}
    assert set(writer[writer["kind"] == "story"]["value"]) == {"20"}


def test_alerts_as_of_is_yesterday_unless_the_data_is_stale(platform, spike_day) -> None:
    assert alerts_as_of(platform, spike_day + timedelta(days=1)) == spike_day
    # a week without data is still judged (an outage is worth an alert) …
    assert alerts_as_of(platform, spike_day + timedelta(days=8)) == spike_day + timedelta(days=7)
    # … but a database whose data stopped long ago is judged on its last day
    assert alerts_as_of(platform, spike_day + timedelta(days=60)) == spike_day


def _record(day: date, **changes) -> AlertRecord:
    values = {
        "writer_id": 1,
        "metric": "views",
        "day": day,
        "direction": "spike",
        "observed": 90.0,
        "expected": 40.0,
        "expected_low": 20.0,
        "expected_high": 60.0,
        "severity": "high",
        "score": 9.0,
    }
    values.update(changes)
    return AlertRecord(**values)


def test_upsert_updates_in_place_and_retracts_only_unseen_alerts(platform, spike_day) -> None:
    first = upsert_alerts(
        platform,
        [
            _record(spike_day),
            _record(spike_day, writer_id=None),
            _record(spike_day, metric="readers"),
        ],
        [],
        webhook=True,
    )
    platform.commit()
    assert (first.inserted, first.updated, first.retracted) == (3, 0, 0)
    stored = alerts(platform)
    assert {a.webhook_status for a in stored.values()} == {"pending"}
    stored[(1, "readers")].read_at = utcnow()
    platform.commit()
    # Rerun: the views alerts changed, the readers day is normal now (but was read), and
    # the platform's views day is normal now and unseen.
    result = upsert_alerts(
        platform,
        [_record(spike_day, observed=95.0)],
        [(1, "readers", spike_day), (None, "views", spike_day), (1, "views", spike_day)],
        webhook=True,
    )
    platform.commit()
    assert (result.inserted, result.updated, result.retracted) == (0, 1, 1)
    after = alerts(platform)
    assert set(after) == {(1, "views"), (1, "readers")}
    assert after[(1, "views")].observed == 95.0
    assert after[(1, "views")].id == stored[(1, "views")].id
    with pytest.raises(ValueError, match="metric"):
        _record(spike_day, metric="likes")


# --------------------------------------------------------------------------- webhook


def _verify(request: dict) -> dict:
    headers = request["headers"]
    timestamp = headers["X-Legato-Timestamp"]
    expected = hmac.new(
        SECRET.encode(), f"{timestamp}.".encode() + request["body"], hashlib.sha256
    ).hexdigest()
    assert headers["X-Legato-Signature"] == f"sha256={expected}"
    assert abs(int(timestamp) - time.time()) < 120
    return json.loads(request["body"])


def test_new_alerts_are_posted_to_the_webhook(session, engine, receiver, spike_day):
    build_alert_platform(session, spike_day)
    settings = JobSettings(alerts_webhook_url=receiver.url, alerts_webhook_secret=SECRET)
    result = run_job(make_session_factory(engine), "alerts", settings=settings)
    assert result.status == "succeeded"
    assert result.rows_written == 4 + 4  # alerts + delivery attempts
    assert len(receiver.requests) == 4
    assert {r["path"] for r in receiver.requests} == {"/hooks/legato"}
    payloads = {}
    for request in receiver.requests:
        assert request["headers"]["Content-Type"] == "application/json"
        assert request["headers"]["X-Legato-Event"] == "alert.created"
        payload = _verify(request)
        assert request["headers"]["X-Legato-Delivery"] == str(payload["alert"]["id"])
        payloads[(payload["alert"]["writer_id"], payload["alert"]["metric"])] = payload
    stored = alerts(session)
    readers = stored[(1, "readers")]
    alert = payloads[(1, "readers")]["alert"]
    assert payloads[(1, "readers")]["event"] == "alert.created"
    assert alert["id"] == readers.id
    assert alert["scope"] == "writer"
    assert alert["writer_name"] == "Ada Quill"
    assert alert["metric_label"] == "Readers"
    assert alert["unit"] == "readers"
    assert alert["day"] == spike_day.isoformat()
    assert alert["direction"] == "spike"
    assert alert["observed"] == readers.observed
    assert alert["expected"] == round(readers.expected, 2)
    assert alert["source"] == {
        "kind": "release",
        "label": "The Glass Orchard",
        "share": round(readers.source_share, 4),
        "story_id": 10,
    }
    assert alert["summary"] == readers.summary
    assert payloads[(None, "views")]["alert"]["scope"] == "platform"
    assert all(a.webhook_status == "delivered" for a in stored.values())
    assert all(a.webhook_attempts == 1 and a.webhook_delivered_at for a in stored.values())
    # A rerun sends nothing again.
    run_job(make_session_factory(engine), "alerts", settings=settings)
    assert len(receiver.requests) == 4


def test_a_failing_webhook_keeps_the_alert_and_is_retried(
    session, engine, receiver, spike_day
) -> None:
    build_alert_platform(session, spike_day)
    sessions = make_session_factory(engine)
    settings = JobSettings(alerts_webhook_url=receiver.url)
    receiver.status = 500
    first = run_job(sessions, "alerts", settings=settings)
    assert first.status == "succeeded"
    assert len(receiver.requests) == 4
    assert "X-Legato-Signature" not in receiver.requests[0]["headers"]  # no secret, no signature
    stored = alerts(session)
    assert len(stored) == 4
    assert {a.webhook_status for a in stored.values()} == {"pending"}
    assert {a.webhook_attempts for a in stored.values()} == {1}
    assert {a.webhook_error for a in stored.values()} == {"HTTP 500 Internal Server Error"}
    # retried on the next run, delivered once the receiver recovers
    second = run_job(sessions, "alerts", settings=settings)
    assert second.status == "succeeded"
    assert len(receiver.requests) == 8
    receiver.status = 204
    run_job(sessions, "alerts", settings=settings)
    assert len(receiver.requests) == 12
    stored = alerts(session)
    assert {a.webhook_status for a in stored.values()} == {"delivered"}
    assert {a.webhook_attempts for a in stored.values()} == {3}
    assert {a.webhook_error for a in stored.values()} == {None}


def test_webhook_retries_are_bounded(session, engine, receiver, spike_day) -> None:
    build_alert_platform(session, spike_day)
    sessions = make_session_factory(engine)
    settings = JobSettings(alerts_webhook_url=receiver.url)
    receiver.status = 503
    for _ in range(MAX_WEBHOOK_ATTEMPTS + 1):
        assert run_job(sessions, "alerts", settings=settings).status == "succeeded"
    assert len(receiver.requests) == 4 * MAX_WEBHOOK_ATTEMPTS
    stored = alerts(session)
    assert {a.webhook_status for a in stored.values()} == {"failed"}
    assert {a.webhook_attempts for a in stored.values()} == {MAX_WEBHOOK_ATTEMPTS}


def _closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a port just bound and released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


def test_an_unreachable_webhook_does_not_fail_the_job(session, engine, spike_day) -> None:
    build_alert_platform(session, spike_day)
    closed = _closed_port_url()
    result = run_job(
        make_session_factory(engine), "alerts", settings=JobSettings(alerts_webhook_url=closed)
    )
    assert result.status == "succeeded"
    stored = alerts(session)
    assert len(stored) == 4
    assert all(a.webhook_error.startswith("connection failed") for a in stored.values())
    assert {a.webhook_status for a in stored.values()} == {"pending"}


def test_post_webhook_reports_timeouts_and_redirects(receiver) -> None:
    body = b'{"event":"alert.created"}'
    post_webhook(receiver.url, body, secret=SECRET, timeout=2)
    assert _verify(receiver.requests[-1]) == {"event": "alert.created"}
    receiver.delay = 1.5
    started = time.monotonic()
    with pytest.raises(WebhookError, match=re.escape("timed out after 0.3 s")):
        post_webhook(receiver.url, body, timeout=0.3)
    assert time.monotonic() - started < 1.4
    receiver.delay, receiver.status, receiver.location = 0.0, 302, _closed_port_url()
    with pytest.raises(WebhookError, match="HTTP 302"):
        post_webhook(receiver.url, body, timeout=2)
    assert len(receiver.requests) == 3  # the redirect was not followed


def test_a_bug_in_delivery_is_recorded_not_raised(session, spike_day) -> None:
    build_alert_platform(session, spike_day)

    def broken(*_args, **_kwargs) -> None:
        raise RuntimeError("boom")

    rows = run_alerts(
        session,
        today=spike_day + timedelta(days=1),
        webhook_url=_closed_port_url(),
        send=broken,
    )
    assert rows == 8
    assert {a.webhook_error for a in alerts(session).values()} == {
        "delivery failed: RuntimeError: boom"
    }


# --------------------------------------------------------------------------- settings


def test_webhook_settings_are_validated() -> None:
    base = {"SECRET_KEY": "x"}
    config = load_config(
        {
            **base,
            "ALERTS_WEBHOOK_URL": " https://hooks.example.com/legato ",
            "ALERTS_WEBHOOK_SECRET": "s",
        }
    )
    assert config["ALERTS_WEBHOOK_URL"] == "https://hooks.example.com/legato"
    settings = JobSettings.from_config(config)
    assert settings.alerts_webhook_url == "https://hooks.example.com/legato"
    assert settings.alerts_webhook_secret == "s"
    assert load_config(base)["ALERTS_WEBHOOK_URL"] is None
    assert JobSettings.from_config(load_config(base)).alerts_webhook_url is None
    for bad in (
        "ftp://hooks.example.com/x",
        "hooks.example.com/legato",
        "http://",
        "https://h:0x/",
    ):
        with pytest.raises(ConfigError, match="ALERTS_WEBHOOK_URL must be an http"):
            load_config({**base, "ALERTS_WEBHOOK_URL": bad})
    with pytest.raises(ConfigError, match="ALERTS_WEBHOOK_SECRET is set but"):
        load_config({**base, "ALERTS_WEBHOOK_SECRET": "s"})


def test_the_job_is_registered_hourly() -> None:
    spec = JOBS["alerts"]
    assert spec.interval_seconds == alerts_job.ALERTS_INTERVAL_SECONDS == 3600
    assert "ALERTS_WEBHOOK_URL" in spec.description
