"""The ``alerts`` job: find anomalous days in the platform's and every writer's daily
readers, views and revenue, store them with their likely source, and deliver new ones to
the optional webhook.

Contract of :func:`run_alerts` (definitions: docs/metrics.md, "Alerts"):

1. judges the last ``LOOKBACK_DAYS`` complete days up to ``data.alert_store.alerts_as_of``
   of every series of ``data.alert_store.alert_series``, each day against the days before
   it (``app.analytics.anomalies``; ``MIN_DEVIATION`` per metric); an anomalous day is
   attributed from that scope's breakdown on the day and the same weekday of the
   ``ATTRIBUTION_WEEKS`` weeks before (a bounded read of those days only) and the releases
   that day;
2. stores them with ``data.alert_store.upsert_alerts`` — idempotent: a rerun updates the
   same rows (read marks and webhook state kept) and retracts unseen alerts of re-judged
   days that are no longer anomalous — and **commits**, so an alert is never lost to a
   webhook failure after it;
3. when a webhook URL is configured, POSTs each alert still pending (up to
   ``MAX_DELIVERIES_PER_RUN`` per run, oldest first) as JSON with a ``timeout``, signed with
   HMAC-SHA256 when a secret is configured, and records the outcome on the row, committing
   after each: a 2xx answer is ``delivered``; anything else (an error status, a redirect, a
   refused connection, a timeout) keeps it ``pending`` with the error until its
   ``MAX_WEBHOOK_ATTEMPTS``-th attempt (one per run), then ``failed``. No delivery error
   ever fails the job.

Returns the rows written: alerts inserted, updated or retracted, plus delivery attempts
recorded.

Webhook request: ``POST`` with ``Content-Type: application/json``, the body of
:func:`webhook_payload`, ``X-Legato-Event: alert.created``, ``X-Legato-Delivery`` (the alert
id) and, with a secret, ``X-Legato-Timestamp`` (Unix seconds) and ``X-Legato-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>." + body>`` — the receiver recomputes it with the
shared secret and rejects old timestamps to stop replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.analytics.anomalies import (
    ATTRIBUTION_WEEKS,
    BASELINE_WEEKS,
    Anomaly,
    Attribution,
    Release,
    contribution_records,
    dimension_contributions,
    judged_days,
    likely_source,
)
from data.alert_store import (
    BREAKDOWN_AMOUNT,
    AlertKey,
    AlertRecord,
    PendingDelivery,
    alert_series,
    alerts_as_of,
    breakdown,
    pending_deliveries,
    record_delivery,
    releases_on,
    upsert_alerts,
)
from data.db import utcnow
from data.models import JobRun

logger = logging.getLogger("legato.jobs")
JOB_NAME = "alerts"

#: The scheduler runs the job hourly: late events of the last days are taken into account
#: within the hour, and pending webhooks are retried once an hour.
ALERTS_INTERVAL_SECONDS = 60 * 60
#: Complete days judged on every run (the newest is ``alerts_as_of``).
LOOKBACK_DAYS = 3
#: Days of each series read besides the judged days: the baseline of the oldest judged day,
#: plus a week so a series that started before the window is not mistaken for a young one.
HISTORY_MARGIN_DAYS = 7 * BASELINE_WEEKS + 7
#: The smallest deviation worth an alert, per metric (readers, chapter opens, minor units of
#: the reporting currency: 1000 = $10.00, about one subscription — a single purchase on a
#: quiet day is not news).
MIN_DEVIATION = {"readers": 5.0, "views": 10.0, "revenue": 1000.0}
METRIC_LABELS = {"readers": "Readers", "views": "Views", "revenue": "Revenue"}
#: Webhook delivery: attempts per alert (one per run), seconds per attempt, alerts per run.
MAX_WEBHOOK_ATTEMPTS = 5
WEBHOOK_TIMEOUT_SECONDS = 5.0
MAX_DELIVERIES_PER_RUN = 50
USER_AGENT = "Legato-Alerts/1.0"


class WebhookError(RuntimeError):
    """A webhook delivery failed; the message says how (stored on the alert)."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are failures: a POST must not be replayed elsewhere (or turned into a GET)."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


def signature(body: bytes, secret: str, timestamp: int) -> str:
    """``sha256=<hex>``: HMAC-SHA256 with ``secret`` of ``"<timestamp>." + body``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def post_webhook(
    url: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    secret: str | None = None,
    timeout: float = WEBHOOK_TIMEOUT_SECONDS,
) -> None:
    """POST ``body`` (JSON) to ``url`` (see the module docstring for the headers). Returns
    on a 2xx answer; raises ``WebhookError`` on any other status, a redirect, a connection
    error or after ``timeout`` seconds."""
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", USER_AGENT)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    if secret:
        timestamp = int(time.time())
        request.add_header("X-Legato-Timestamp", str(timestamp))
        request.add_header("X-Legato-Signature", signature(body, secret, timestamp))
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
            response.read(65536)
    except urllib.error.HTTPError as error:
        raise WebhookError(f"HTTP {error.code} {error.reason}".strip()) from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError):
            raise WebhookError(f"timed out after {timeout:g} s") from None
        raise WebhookError(f"connection failed: {reason}") from None
    except TimeoutError:
        raise WebhookError(f"timed out after {timeout:g} s") from None
    except OSError as error:
        raise WebhookError(f"connection failed: {error}") from None
    if not 200 <= status < 300:
        raise WebhookError(f"HTTP {status}")


def _number(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def webhook_payload(delivery: PendingDelivery, currency: str = "USD") -> dict[str, Any]:
    """The JSON document POSTed for one alert: ``event`` (``alert.created``) and ``alert``
    with its id, scope (``writer`` with ``writer_id`` and ``writer_name``, or ``platform``),
    ``metric`` and ``metric_label``, ``unit`` (``readers``, ``views`` or ``minor``: minor
    units of ``currency``), ``day``, ``direction``, ``severity``, ``observed``,
    ``expected``, ``expected_low``, ``expected_high``, ``score``, ``source`` (``kind``,
    ``label``, ``share``, ``story_id``; ``null`` when none stands out), ``summary`` and
    ``created_at`` (ISO 8601, UTC)."""
    alert = delivery.alert
    source = None
    if alert.source_kind is not None:
        source = {
            "kind": alert.source_kind,
            "label": alert.source_label,
            "share": None if alert.source_share is None else round(alert.source_share, 4),
            "story_id": alert.story_id,
        }
    return {
        "event": "alert.created",
        "alert": {
            "id": alert.id,
            "scope": "platform" if alert.writer_id is None else "writer",
            "writer_id": alert.writer_id,
            "writer_name": delivery.writer_name,
            "metric": alert.metric,
            "metric_label": METRIC_LABELS.get(alert.metric, alert.metric),
            "unit": "minor" if alert.metric == "revenue" else alert.metric,
            "currency": currency,
            "day": alert.day.isoformat(),
            "direction": alert.direction,
            "severity": alert.severity,
            "observed": _number(alert.observed),
            "expected": _number(alert.expected),
            "expected_low": _number(alert.expected_low),
            "expected_high": _number(alert.expected_high),
            "score": _number(alert.score),
            "source": source,
            "summary": alert.summary,
            "created_at": alert.created_at.isoformat(timespec="seconds") + "Z",
        },
    }


def _running_run_id(session: Session) -> int | None:
    """This job's run in progress (the runner records it before calling the job and holds
    the lock, so it is ours); ``None`` outside the runner."""
    return session.scalar(
        select(JobRun.id)
        .where(JobRun.job_name == JOB_NAME, JobRun.status == "running")
        .order_by(JobRun.id.desc())
        .limit(1)
    )


def _evidence(anomaly: Anomaly, attribution: Attribution) -> dict[str, Any]:
    expectation = anomaly.expectation
    return {
        "method": "weekly pattern (Theil–Sen level × weekday factor, held-out MAD spread)",
        "score": round(anomaly.score, 2),
        "relative_change": (
            None if anomaly.relative_change is None else round(anomaly.relative_change, 4)
        ),
        "level": round(expectation.level, 2),
        "weekday_factor": round(expectation.weekday_factor, 4),
        "trend_per_week": round(expectation.trend_per_week, 2),
        "spread": round(expectation.spread, 2),
        "history_days": expectation.history_days,
        "source_weeks": ATTRIBUTION_WEEKS,
        "contributors": contribution_records(attribution),
        "releases": [
            {
                "story_id": release.story_id,
                "chapter_id": release.chapter_id,
                "number": release.number,
                "label": release.label,
            }
            for release in attribution.releases
        ],
    }


class _Attributor:
    """Attributes anomalies, reading each (scope, day)'s breakdown and releases once."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._breakdowns: dict[tuple[int | None, date], pd.DataFrame] = {}
        self._releases: dict[tuple[int | None, date], tuple[Release, ...]] = {}

    def attribute(self, writer_id: int | None, metric: str, anomaly: Anomaly) -> Attribution:
        day = anomaly.day
        baseline = [day - timedelta(days=7 * week) for week in range(1, ATTRIBUTION_WEEKS + 1)]
        key = (writer_id, day)
        if key not in self._breakdowns:
            self._breakdowns[key] = breakdown(self._session, writer_id, [day, *baseline])
            self._releases[key] = tuple(
                Release(row.story_id, row.chapter_id, row.number, row.label)
                for row in releases_on(self._session, writer_id, day)
            )
        frame = self._breakdowns[key]
        amounts = frame[["kind", "value", "label", "day", BREAKDOWN_AMOUNT[metric]]].rename(
            columns={BREAKDOWN_AMOUNT[metric]: "amount"}
        )
        contributions = dimension_contributions(amounts, day, baseline)
        return likely_source(contributions, anomaly.direction, metric, self._releases[key])


def find_alerts(
    session: Session, as_of: date, *, lookback_days: int = LOOKBACK_DAYS
) -> tuple[list[AlertRecord], list[AlertKey]]:
    """The alerts of the ``lookback_days`` days ending ``as_of`` and every key judged
    (steps 1 of the module docstring). Read-only."""
    days = [as_of - timedelta(days=offset) for offset in range(lookback_days - 1, -1, -1)]
    attributor = _Attributor(session)
    records: list[AlertRecord] = []
    judged: list[AlertKey] = []
    for series in alert_series(session, as_of, HISTORY_MARGIN_DAYS + lookback_days):
        results = judged_days(series.values, days, min_deviation=MIN_DEVIATION[series.metric])
        for day, anomaly in results.items():
            judged.append((series.writer_id, series.metric, day))
            if anomaly is None:
                continue
            attribution = attributor.attribute(series.writer_id, series.metric, anomaly)
            records.append(
                AlertRecord(
                    writer_id=series.writer_id,
                    metric=series.metric,
                    day=day,
                    direction=anomaly.direction,
                    observed=anomaly.observed,
                    expected=round(anomaly.expected, 4),
                    expected_low=round(anomaly.low, 4),
                    expected_high=round(anomaly.high, 4),
                    severity=anomaly.severity,
                    score=round(anomaly.score, 4),
                    source_kind=attribution.kind,
                    source_label=attribution.label,
                    source_share=(
                        None if attribution.share is None else round(attribution.share, 4)
                    ),
                    story_id=attribution.story_id,
                    summary=attribution.summary,
                    evidence=_evidence(anomaly, attribution),
                )
            )
    return records, judged


Sender = Callable[..., None]


def deliver_pending(
    session: Session,
    url: str,
    *,
    secret: str | None = None,
    currency: str = "USD",
    send: Sender = post_webhook,
    limit: int = MAX_DELIVERIES_PER_RUN,
) -> int:
    """Deliver pending alerts to ``url`` (step 3 of the module docstring) with ``send``
    (``post_webhook``'s signature). Commits after each attempt; returns attempts made."""
    pending = pending_deliveries(session, limit=limit, max_attempts=MAX_WEBHOOK_ATTEMPTS)
    bodies = [
        json.dumps(webhook_payload(item, currency), separators=(",", ":"), sort_keys=True).encode()
        for item in pending
    ]
    session.commit()  # no transaction stays open while waiting on the receiver
    for item, body in zip(pending, bodies, strict=True):
        error = None
        try:
            send(
                url,
                body,
                headers={
                    "X-Legato-Event": "alert.created",
                    "X-Legato-Delivery": str(item.alert.id),
                },
                secret=secret,
                timeout=WEBHOOK_TIMEOUT_SECONDS,
            )
        except WebhookError as failure:
            error = str(failure)
        except Exception as failure:  # a bug here must not fail the job or lose the alert
            logger.exception("alert %s: webhook delivery raised", item.alert.id)
            error = f"delivery failed: {type(failure).__name__}: {failure}"
        if error is not None:
            logger.warning("alert %s: webhook delivery failed: %s", item.alert.id, error)
        record_delivery(session, item.alert, error=error, max_attempts=MAX_WEBHOOK_ATTEMPTS)
        session.commit()
    return len(pending)


def run_alerts(
    session: Session,
    *,
    today: date | None = None,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    currency: str = "USD",
    send: Sender = post_webhook,
) -> int:
    """Find, store and deliver alerts (see the module docstring); ``today`` defaults to the
    current UTC day. Commits."""
    started = time.perf_counter()
    as_of = alerts_as_of(session, today or utcnow().date())
    run_id = _running_run_id(session)
    records, judged = find_alerts(session, as_of)
    result = upsert_alerts(session, records, judged, webhook=bool(webhook_url), job_run_id=run_id)
    session.commit()  # the alerts are safe before any delivery is tried
    attempts = 0
    if webhook_url:
        attempts = deliver_pending(
            session, webhook_url, secret=webhook_secret, currency=currency, send=send
        )
    logger.info(
        "alerts as of %s: %d days judged, %d anomalies (%d new, %d updated, %d retracted), "
        "%d webhook attempts in %.2fs",
        as_of,
        len(judged),
        len(records),
        result.inserted,
        result.updated,
        result.retracted,
        attempts,
        time.perf_counter() - started,
    )
    return result.written + attempts
