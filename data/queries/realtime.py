"""Real-time platform metrics (admins) from a short, indexed window of raw events.

Every query is a range scan of an ``events`` index over a short window (definitions:
docs/metrics.md, "Real-time"). Windows ending now read ``ix_events_received_at``: an
event whose ``occurred_at`` is in the window was received at most ``max_future`` (the
ingest's ``INGEST_MAX_FUTURE_SECONDS``) before the window opens. The "today" totals read
``ix_events_event_type_occurred_day``. *active readers* = distinct readers with any
event in the last 5 minutes; *reading now* = distinct readers with a ``chapter_start`` or
``chapter_progress`` in the last 5 minutes; *most-read stories* = chapter opens per story
in the last hour; *revenue today* / *signups today* = since 00:00 UTC; the per-minute
series covers the last 60 whole minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from data.db import utcnow
from data.models import Event, EventType, Story
from data.sql import utc_day, utc_minute

ACTIVE_WINDOW = timedelta(minutes=5)
#: The ingest's default ``INGEST_MAX_FUTURE_SECONDS``.
DEFAULT_MAX_FUTURE = timedelta(hours=1)
READING_TYPES = (EventType.CHAPTER_START.value, EventType.CHAPTER_PROGRESS.value)
REVENUE_TYPES = (
    EventType.CHAPTER_UNLOCK.value,
    EventType.TIP.value,
    EventType.SUBSCRIBE.value,
)


@dataclass(frozen=True)
class RealtimeSnapshot:
    """Real-time metrics at ``as_of``; ``top_stories`` (``story_id``, ``title``, ``views``,
    ``readers``) and ``per_minute`` (``minute``, ``events``, ``readers``, ``views``; 60
    rows, oldest first)."""

    as_of: datetime
    active_readers: int
    reading_now: int
    revenue_today: int
    signups_today: int
    top_stories: pd.DataFrame
    per_minute: pd.DataFrame


def realtime_snapshot(
    session: Session,
    now: datetime | None = None,
    *,
    top: int = 10,
    reporting_currency: str = "USD",
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> RealtimeSnapshot:
    """The metrics of the module docstring at ``now`` (default: the current UTC time).
    Events after ``now`` are ignored. ``max_future`` is how far ahead of its
    ``received_at`` an event's ``occurred_at`` may be (the ingest's limit): events beyond
    it are outside the windows' index scans."""
    now = now or utcnow()
    e = Event.__table__.c

    def occurred_since(start: datetime, *, strictly: bool = False) -> tuple[Any, ...]:
        """``start`` (<) <= occurred_at <= now, bounded on the received_at index and on
        the day indexes (whichever the planner picks, its range is short)."""
        after = e.occurred_at > start if strictly else e.occurred_at >= start
        return (
            e.received_at >= start - max_future,
            utc_day(e.occurred_at) >= start.date(),
            after,
            e.occurred_at <= now,
        )

    active, reading = session.execute(
        select(
            func.count(func.distinct(e.reader_id)),
            func.count(func.distinct(e.reader_id)).filter(e.event_type.in_(READING_TYPES)),
        ).where(*occurred_since(now - ACTIVE_WINDOW, strictly=True))
    ).one()
    revenue, signups = session.execute(
        select(
            func.coalesce(
                func.sum(e.revenue_minor).filter(
                    e.event_type.in_(REVENUE_TYPES),
                    or_(e.currency.is_(None), e.currency == reporting_currency),
                ),
                0,
            ),
            func.count().filter(e.event_type == EventType.SIGNUP.value),
        ).where(
            e.event_type.in_((*REVENUE_TYPES, EventType.SIGNUP.value)),
            utc_day(e.occurred_at) == now.date(),
            e.occurred_at <= now,
        )
    ).one()
    hour_start = now.replace(second=0, microsecond=0) - timedelta(minutes=59)
    in_hour = occurred_since(hour_start)
    top_rows = session.execute(
        select(
            e.story_id,
            func.count().label("views"),
            func.count(func.distinct(e.reader_id)).label("readers"),
        )
        .where(*in_hour, e.event_type == EventType.CHAPTER_START.value, e.story_id.is_not(None))
        .group_by(e.story_id)
        .order_by(func.count().desc(), e.story_id)
        .limit(top)
    ).all()
    titles = dict(
        session.execute(
            select(Story.id, Story.title).where(Story.id.in_([row[0] for row in top_rows]))
        ).all()
    )
    top_stories = pd.DataFrame(
        [(s, titles.get(s), int(v), int(r)) for s, v, r in top_rows],
        columns=["story_id", "title", "views", "readers"],
    )
    minute = utc_minute(e.occurred_at)
    counted = {
        _naive_minute(at): (int(events), int(readers), int(views))
        for at, events, readers, views in session.execute(
            select(
                minute,
                func.count(),
                func.count(func.distinct(e.reader_id)),
                func.count().filter(e.event_type == EventType.CHAPTER_START.value),
            )
            .where(*in_hour)
            .group_by(minute)
        ).all()
    }
    minutes = [hour_start + timedelta(minutes=m) for m in range(60)]
    per_minute = pd.DataFrame(
        [(m, *counted.get(m, (0, 0, 0))) for m in minutes],
        columns=["minute", "events", "readers", "views"],
    )
    for name in ("events", "readers", "views"):
        per_minute[name] = per_minute[name].astype("int64")
    return RealtimeSnapshot(
        as_of=now,
        active_readers=int(active),
        reading_now=int(reading),
        revenue_today=int(revenue),
        signups_today=int(signups),
        top_stories=top_stories,
        per_minute=per_minute,
    )


def _naive_minute(value: datetime | str) -> datetime:
    """A grouped minute as a naive datetime (drivers may return text or an aware value)."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=None, second=0, microsecond=0)
