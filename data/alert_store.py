"""Storage of the ``alerts`` job: the daily series it watches, the breakdowns and releases
it attributes an anomaly with, and the idempotent write of its alerts and their webhook
deliveries (read side: ``data.queries.alerts``). Forbidden to callbacks.

Contract:

- :func:`alerts_as_of` — the last day judged: yesterday (the last complete UTC day), or the
  last day with any rollup row when that is more than ``STALE_AFTER_DAYS`` days older (a
  database whose data stopped long ago, like an old demo copy, is judged on its last days
  rather than alerting on weeks of zeros; a platform whose events stopped yesterday still
  gets its drop alert).
- :func:`alert_series` — per scope (the platform, then every writer with rollup rows in
  the window, by id) and metric (``ALERT_METRICS``), the daily series ending ``as_of``,
  zero-filled: ``readers`` = distinct readers that day (``story_reader_daily``; for a writer,
  readers of their stories), ``views`` = chapter opens and ``revenue`` = unlocks + tips +
  subscriptions in minor units (``writer_daily``) — the overview's daily series.
- :func:`breakdown` — one scope's readers, views and revenue on some days by story, reader
  country, acquisition source and (platform only) writer, from ``story_reader_daily``
  (events that name a reader) joined to ``readers``: a bounded read of the given days on
  ``ix_story_reader_daily_writer_id_day``.
- :func:`releases_on` — chapters of the scope's stories published that UTC day.
- :func:`upsert_alerts` — writes the alerts of one run in the caller's transaction (never
  commits): an existing (writer, metric, day) row is updated in place (its read mark and
  webhook state kept), a new one inserted (webhook ``pending`` when a webhook is
  configured, else ``none``); a stored alert whose day was judged again and is no longer
  anomalous (late events filled it in) is deleted while nobody has read it and no webhook
  delivered it, and otherwise kept as it was.
- :func:`pending_deliveries` / :func:`record_delivery` — the alerts whose webhook is still
  to be sent, and the outcome of one attempt (``delivered``, or ``pending`` with the error
  until ``max_attempts`` attempts, then ``failed``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.db import utcnow
from data.models import (
    ALERT_DIRECTIONS,
    ALERT_METRICS,
    ALERT_SEVERITIES,
    ALERT_SOURCE_KINDS,
    Alert,
    Chapter,
    Reader,
    Story,
    StoryReaderDaily,
    Writer,
    WriterDaily,
)

#: A database whose newest rollup day is older than this is judged on its last days.
STALE_AFTER_DAYS = 14
#: Columns of :func:`breakdown`.
BREAKDOWN_COLUMNS = ["kind", "value", "label", "day", "readers", "views", "revenue"]
#: Which breakdown column measures each metric.
BREAKDOWN_AMOUNT = {"readers": "readers", "views": "views", "revenue": "revenue"}
UNKNOWN = "unknown"

SRD = StoryReaderDaily
_W_REVENUE = (
    WriterDaily.revenue_unlock_minor
    + WriterDaily.revenue_tip_minor
    + WriterDaily.revenue_subscription_minor
)
#: A (writer or ``None`` for the platform, metric, day) key of an alert.
AlertKey = tuple[int | None, str, date]


# --------------------------------------------------------------------------- inputs


def alerts_as_of(session: Session, today: date) -> date:
    """The last day the job judges (see the module docstring)."""
    yesterday = today - timedelta(days=1)
    last = session.scalar(select(func.max(WriterDaily.day)).where(WriterDaily.day <= yesterday))
    if last is not None and (yesterday - last).days > STALE_AFTER_DAYS:
        return last
    return yesterday


@dataclass(frozen=True)
class AlertSeries:
    """One watched series: ``writer_id`` (``None``: the platform), ``metric`` and
    ``values`` indexed by consecutive days up to ``as_of`` (missing days 0)."""

    writer_id: int | None
    metric: str
    values: pd.Series


def _daily(frame: pd.DataFrame, days: list[date]) -> pd.Series:
    """``frame``'s ``value`` by ``day`` on exactly ``days`` (0 where missing)."""
    if frame.empty:
        return pd.Series(0.0, index=pd.Index(days, dtype=object), dtype=float)
    series = frame.groupby("day")["value"].sum().astype(float)
    return series.reindex(pd.Index(days, dtype=object), fill_value=0.0).astype(float)


def alert_series(session: Session, as_of: date, history_days: int) -> list[AlertSeries]:
    """Every watched series over the ``history_days`` days ending ``as_of`` (see the module
    docstring): the platform's first, then each writer's with any rollup row in the window,
    by writer id; per scope the metrics in ``ALERT_METRICS`` order. Three bulk queries."""
    start = as_of - timedelta(days=history_days - 1)
    days = [start + timedelta(days=offset) for offset in range(history_days)]
    wd = WriterDaily
    sums = pd.DataFrame(
        session.execute(
            select(wd.writer_id, wd.day, wd.chapter_views, _W_REVENUE).where(
                wd.day.between(start, as_of)
            )
        ).all(),
        columns=["writer_id", "day", "views", "revenue"],
    )
    writer_readers = pd.DataFrame(
        session.execute(
            select(SRD.writer_id, SRD.day, func.count(func.distinct(SRD.reader_id)))
            .where(SRD.day.between(start, as_of), SRD.writer_id.is_not(None))
            .group_by(SRD.writer_id, SRD.day)
        ).all(),
        columns=["writer_id", "day", "value"],
    )
    platform_readers = pd.DataFrame(
        session.execute(
            select(SRD.day, func.count(func.distinct(SRD.reader_id)))
            .where(SRD.day.between(start, as_of))
            .group_by(SRD.day)
        ).all(),
        columns=["day", "value"],
    )
    platform_sums = sums.groupby("day", as_index=False)[["views", "revenue"]].sum()
    result = [
        AlertSeries(None, "readers", _daily(platform_readers, days)),
        AlertSeries(None, "views", _daily(platform_sums.rename(columns={"views": "value"}), days)),
        AlertSeries(
            None, "revenue", _daily(platform_sums.rename(columns={"revenue": "value"}), days)
        ),
    ]
    writer_ids = sorted(
        {int(w) for w in sums["writer_id"]} | {int(w) for w in writer_readers["writer_id"]}
    )
    sums_by_writer = dict(tuple(sums.groupby("writer_id")))
    readers_by_writer = dict(tuple(writer_readers.groupby("writer_id")))
    empty = pd.DataFrame(columns=["day", "value"])
    for writer_id in writer_ids:
        own = sums_by_writer.get(writer_id)
        readers = readers_by_writer.get(writer_id, empty)
        views = own.rename(columns={"views": "value"}) if own is not None else empty
        revenue = own.rename(columns={"revenue": "value"}) if own is not None else empty
        result.extend(
            [
                AlertSeries(writer_id, "readers", _daily(readers[["day", "value"]], days)),
                AlertSeries(writer_id, "views", _daily(views[["day", "value"]], days)),
                AlertSeries(writer_id, "revenue", _daily(revenue[["day", "value"]], days)),
            ]
        )
    return result


def _scope_filter(session: Session, writer_id: int | None, days: Sequence[date]) -> list[Any]:
    """Conditions on ``story_reader_daily`` for the scope's rows on ``days``, spelled so
    that both the writer and the platform read ``ix_story_reader_daily_writer_id_day`` (the
    platform as one probe per writer with rollup rows on those days)."""
    if writer_id is not None:
        return [SRD.writer_id == writer_id, SRD.day.in_(list(days))]
    writers = list(
        session.scalars(
            select(WriterDaily.writer_id).distinct().where(WriterDaily.day.in_(list(days)))
        )
    )
    return [SRD.writer_id.in_(writers), SRD.day.in_(list(days))]


def breakdown(session: Session, writer_id: int | None, days: Sequence[date]) -> pd.DataFrame:
    """Readers (distinct), views and revenue (minor units) of the scope on ``days`` by
    ``kind``: ``story`` (value: story id, label: its title), ``country`` and
    ``acquisition_source`` (value and label: the reader's trait, ``unknown`` when missing)
    and, for the platform (``writer_id`` ``None``), ``writer`` (value: writer id, label:
    display name). ``BREAKDOWN_COLUMNS``; only days with activity appear."""
    if not days:
        return pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    conditions = _scope_filter(session, writer_id, days)
    frames = []
    stories = pd.DataFrame(
        session.execute(
            select(
                SRD.story_id,
                SRD.day,
                func.count(func.distinct(SRD.reader_id)),
                func.sum(SRD.chapter_views),
                func.sum(SRD.revenue_minor),
            )
            .where(*conditions)
            .group_by(SRD.story_id, SRD.day)
        ).all(),
        columns=["value", "day", "readers", "views", "revenue"],
    )
    if not stories.empty:
        titles = dict(
            session.execute(
                select(Story.id, Story.title).where(
                    Story.id.in_([int(v) for v in stories["value"].unique()])
                )
            ).all()
        )
        stories["label"] = [titles.get(int(v), f"Story #{v}") for v in stories["value"]]
        frames.append(stories.assign(kind="story"))
    per_reader = (
        select(
            SRD.day.label("day"),
            SRD.reader_id.label("reader_id"),
            func.sum(SRD.chapter_views).label("views"),
            func.sum(SRD.revenue_minor).label("revenue"),
        )
        .where(*conditions)
        .group_by(SRD.day, SRD.reader_id)
        .subquery()
    )
    country = func.coalesce(Reader.country, UNKNOWN)
    source = func.coalesce(Reader.acquisition_source, UNKNOWN)
    traits = pd.DataFrame(
        session.execute(
            select(
                per_reader.c.day,
                country,
                source,
                func.count(),
                func.sum(per_reader.c.views),
                func.sum(per_reader.c.revenue),
            )
            .select_from(per_reader)
            .outerjoin(Reader, Reader.id == per_reader.c.reader_id)
            .group_by(per_reader.c.day, country, source)
        ).all(),
        columns=["day", "country", "acquisition_source", "readers", "views", "revenue"],
    )
    for kind in ("country", "acquisition_source"):
        if traits.empty:
            continue
        part = traits.groupby(["day", kind], as_index=False)[["readers", "views", "revenue"]].sum()
        part = part.rename(columns={kind: "value"})
        frames.append(part.assign(kind=kind, label=part["value"]))
    if writer_id is None:
        writers = pd.DataFrame(
            session.execute(
                select(
                    SRD.writer_id,
                    SRD.day,
                    func.count(func.distinct(SRD.reader_id)),
                    func.sum(SRD.chapter_views),
                    func.sum(SRD.revenue_minor),
                )
                .where(*conditions)
                .group_by(SRD.writer_id, SRD.day)
            ).all(),
            columns=["value", "day", "readers", "views", "revenue"],
        )
        if not writers.empty:
            names = dict(session.execute(select(Writer.id, Writer.display_name)).all())
            writers["label"] = [names.get(int(v), f"Writer #{v}") for v in writers["value"]]
            frames.append(writers.assign(kind="writer"))
    if not frames:
        return pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    result = pd.concat(frames, ignore_index=True)
    result["value"] = result["value"].astype(str)
    for column in ("readers", "views", "revenue"):
        result[column] = result[column].astype(float)
    return result[BREAKDOWN_COLUMNS].sort_values(["kind", "value", "day"]).reset_index(drop=True)


@dataclass(frozen=True)
class ReleaseRow:
    """A chapter published on a day: story, chapter, its number and "<title> · Ch. N"."""

    story_id: int
    chapter_id: int
    number: int
    label: str


def releases_on(session: Session, writer_id: int | None, day: date) -> list[ReleaseRow]:
    """Chapters of the scope's stories (every story for the platform) published on the UTC
    ``day``, by time then chapter id."""
    start = datetime.combine(day, time.min)
    statement = (
        select(Chapter.story_id, Chapter.id, Chapter.number, Story.title)
        .join(Story, Story.id == Chapter.story_id)
        .where(Chapter.published_at >= start, Chapter.published_at < start + timedelta(days=1))
        .order_by(Chapter.published_at, Chapter.id)
    )
    if writer_id is not None:
        statement = statement.where(Story.writer_id == writer_id)
    return [
        ReleaseRow(int(story), int(chapter), int(number), f"{title} · Ch. {number}")
        for story, chapter, number, title in session.execute(statement).all()
    ]


# --------------------------------------------------------------------------- the write


@dataclass(frozen=True)
class AlertRecord:
    """One alert to store (column meanings: ``data.models.Alert``)."""

    writer_id: int | None
    metric: str
    day: date
    direction: str
    observed: float
    expected: float
    expected_low: float
    expected_high: float
    severity: str
    score: float
    source_kind: str | None = None
    source_label: str | None = None
    source_share: float | None = None
    story_id: int | None = None
    summary: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.metric not in ALERT_METRICS:
            raise ValueError(f"unknown alert metric {self.metric!r}")
        if self.direction not in ALERT_DIRECTIONS:
            raise ValueError(f"unknown alert direction {self.direction!r}")
        if self.severity not in ALERT_SEVERITIES:
            raise ValueError(f"unknown alert severity {self.severity!r}")
        if self.source_kind is not None and self.source_kind not in ALERT_SOURCE_KINDS:
            raise ValueError(f"unknown alert source kind {self.source_kind!r}")

    @property
    def key(self) -> AlertKey:
        return (self.writer_id, self.metric, self.day)


_UPDATED_FIELDS = (
    "direction",
    "observed",
    "expected",
    "expected_low",
    "expected_high",
    "severity",
    "score",
    "source_kind",
    "source_label",
    "source_share",
    "story_id",
    "summary",
    "evidence",
)


@dataclass(frozen=True)
class UpsertResult:
    """What :func:`upsert_alerts` did: rows ``inserted``, ``updated`` and ``retracted``."""

    inserted: int
    updated: int
    retracted: int

    @property
    def written(self) -> int:
        return self.inserted + self.updated + self.retracted


def upsert_alerts(
    session: Session,
    records: Iterable[AlertRecord],
    judged: Iterable[AlertKey],
    *,
    webhook: bool,
    job_run_id: int | None = None,
    now: datetime | None = None,
) -> UpsertResult:
    """Store ``records`` and retract stored alerts of ``judged`` keys that are not among
    them (see the module docstring). ``webhook``: whether a webhook is configured (new
    alerts then wait for delivery). Does not commit."""
    now = now or utcnow()
    records = list(records)
    judged_keys = set(judged) | {record.key for record in records}
    if not judged_keys:
        return UpsertResult(0, 0, 0)
    days = sorted({key[2] for key in judged_keys})
    existing = {
        (row.writer_id, row.metric, row.day): row
        for row in session.scalars(select(Alert).where(Alert.day.in_(days)))
    }
    inserted = updated = retracted = 0
    wanted = {record.key for record in records}
    for record in records:
        row = existing.get(record.key)
        values = {name: getattr(record, name) for name in _UPDATED_FIELDS}
        if row is None:
            session.add(
                Alert(
                    writer_id=record.writer_id,
                    metric=record.metric,
                    day=record.day,
                    **values,
                    created_at=now,
                    updated_at=now,
                    job_run_id=job_run_id,
                    webhook_status="pending" if webhook else "none",
                    webhook_attempts=0,
                )
            )
            inserted += 1
            continue
        if any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
            row.job_run_id = job_run_id
            updated += 1
    for key, row in existing.items():
        unseen = row.read_at is None and row.webhook_status != "delivered"
        if key in judged_keys and key not in wanted and unseen:
            session.delete(row)
            retracted += 1
    session.flush()
    return UpsertResult(inserted, updated, retracted)


@dataclass(frozen=True)
class PendingDelivery:
    """An alert whose webhook is still to be sent, with its writer's display name."""

    alert: Alert
    writer_name: str | None


def pending_deliveries(session: Session, *, limit: int, max_attempts: int) -> list[PendingDelivery]:
    """Up to ``limit`` alerts with webhook status ``pending`` and fewer than
    ``max_attempts`` attempts, oldest first (each run retries what the last one could not
    deliver)."""
    rows = session.execute(
        select(Alert, Writer.display_name)
        .outerjoin(Writer, Writer.id == Alert.writer_id)
        .where(Alert.webhook_status == "pending", Alert.webhook_attempts < max_attempts)
        .order_by(Alert.id)
        .limit(limit)
    ).all()
    return [PendingDelivery(alert, name) for alert, name in rows]


def record_delivery(
    session: Session,
    alert: Alert,
    *,
    error: str | None,
    max_attempts: int,
    now: datetime | None = None,
) -> None:
    """Record one delivery attempt of ``alert``: ``error`` ``None`` means delivered;
    otherwise the error is kept and the alert stays ``pending`` until its
    ``max_attempts``-th attempt, then ``failed``. Does not commit."""
    now = now or utcnow()
    alert.webhook_attempts = (alert.webhook_attempts or 0) + 1
    alert.webhook_last_attempt_at = now
    if error is None:
        alert.webhook_status = "delivered"
        alert.webhook_delivered_at = now
        alert.webhook_error = None
    else:
        alert.webhook_error = error[:2000]
        alert.webhook_status = "failed" if alert.webhook_attempts >= max_attempts else "pending"
    session.flush()
