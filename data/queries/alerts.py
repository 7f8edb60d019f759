"""Alerts, ready to show: the notification list, the unread count, and the one write the
page makes — marking its own alerts read (definitions: docs/metrics.md, "Alerts").

The ``alerts`` job stores the alerts (``data.alert_store``); nothing here computes one.

Scope rule: a writer scope sees and marks only alerts with its ``writer_id``; the platform
scope (``writer_id`` ``None``) only the platform's alerts (``writer_id`` NULL), which only
admins are given. An id of another scope's alert is treated exactly like a missing one:
nothing is read or marked, and the answer says nothing about it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from data.db import utcnow
from data.models import Alert, Story
from data.queries.filters import FilterError, Scope

#: The most alerts the list shows (newest days first).
LIST_LIMIT = 100
#: At most this many ids may be marked in one call.
MAX_MARK_IDS = 500


@dataclass(frozen=True)
class AlertItem:
    """One alert as the list shows it.

    ``metric`` readers|views|revenue (revenue in minor units of the reporting currency);
    ``observed`` vs ``expected`` within ``expected_low`` … ``expected_high``; ``direction``
    spike|drop; ``severity`` low|medium|high; the likely source (``source_kind`` release|
    story|writer|country|acquisition_source or ``None``, ``source_label``, ``source_share``
    of the deviation 0–1, ``story_id`` and the story's current ``story_title`` when it is a
    catalog story of the scope); ``releases`` (chapter ``number`` and ``label`` of the
    chapters that source released that day); ``summary`` (the job's sentence); ``read_at``
    (``None``: unread)."""

    id: int
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
    source_kind: str | None
    source_label: str | None
    source_share: float | None
    story_id: int | None
    story_title: str | None
    summary: str
    created_at: datetime
    read_at: datetime | None
    releases: tuple[dict[str, Any], ...] = field(default=())

    @property
    def unread(self) -> bool:
        return self.read_at is None


@dataclass(frozen=True)
class AlertList:
    """The newest ``items`` (at most ``LIST_LIMIT``) and the scope's ``total`` and
    ``unread`` counts."""

    items: list[AlertItem]
    total: int
    unread: int


def _in_scope(writer_id: int | None) -> Any:
    return Alert.writer_id.is_(None) if writer_id is None else Alert.writer_id == writer_id


def _releases(evidence: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(evidence, dict) or not isinstance(evidence.get("releases"), list):
        return ()
    return tuple(
        {"number": item.get("number"), "label": str(item.get("label", ""))}
        for item in evidence["releases"]
        if isinstance(item, dict)
    )


def list_alerts(
    session: Session, scope: Scope, *, unread_only: bool = False, limit: int = LIST_LIMIT
) -> AlertList:
    """The scope's alerts, newest day first (then most severe, then newest), optionally
    unread only, with the scope's counts."""
    story_in_scope = and_(
        Story.id == Alert.story_id,
        *(() if scope.is_platform else (Story.writer_id == scope.writer_id,)),
    )
    statement = (
        select(Alert, Story.title)
        .outerjoin(Story, story_in_scope)
        .where(_in_scope(scope.writer_id))
        .order_by(Alert.day.desc(), Alert.score.desc(), Alert.id.desc())
        .limit(max(1, min(int(limit), LIST_LIMIT)))
    )
    if unread_only:
        statement = statement.where(Alert.read_at.is_(None))
    items = [
        AlertItem(
            id=alert.id,
            writer_id=alert.writer_id,
            metric=alert.metric,
            day=alert.day,
            direction=alert.direction,
            observed=float(alert.observed),
            expected=float(alert.expected),
            expected_low=float(alert.expected_low),
            expected_high=float(alert.expected_high),
            severity=alert.severity,
            score=float(alert.score),
            source_kind=alert.source_kind,
            source_label=alert.source_label,
            source_share=alert.source_share,
            story_id=alert.story_id,
            story_title=title,
            summary=alert.summary,
            created_at=alert.created_at,
            read_at=alert.read_at,
            releases=_releases(alert.evidence),
        )
        for alert, title in session.execute(statement).all()
    ]
    total, unread = session.execute(
        select(func.count(), func.count().filter(Alert.read_at.is_(None))).where(
            _in_scope(scope.writer_id)
        )
    ).one()
    return AlertList(items, int(total or 0), int(unread or 0))


def unread_alert_count(session: Session, writer_id: int | None) -> int:
    """Unread alerts of writer ``writer_id`` (``None``: the platform's), for a navigation
    badge. The caller decides who may ask for which (a writer: their own id only)."""
    return int(
        session.scalar(select(func.count()).where(_in_scope(writer_id), Alert.read_at.is_(None)))
        or 0
    )


def _ids(alert_ids: Iterable[object]) -> list[int]:
    """``alert_ids`` as positive ints; raises ``FilterError`` for anything else."""
    values = list(alert_ids)
    if len(values) > MAX_MARK_IDS:
        raise FilterError(f"at most {MAX_MARK_IDS} alerts can be marked at once")
    result = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise FilterError("alert ids must be whole numbers")
        try:
            number = int(value)
        except ValueError:
            raise FilterError("alert ids must be whole numbers") from None
        if number < 1:
            raise FilterError("alert ids must be positive")
        result.append(number)
    return result


def mark_alerts_read(
    session: Session,
    scope: Scope,
    *,
    user_id: int | None,
    alert_ids: Iterable[object] | None = None,
    now: datetime | None = None,
) -> int:
    """Mark the scope's unread alerts read (only those in ``alert_ids`` when given; ids of
    other scopes' alerts are ignored) by ``user_id`` at ``now``. Returns how many were
    marked. Raises ``FilterError`` for malformed ids. Does not commit."""
    conditions = [_in_scope(scope.writer_id), Alert.read_at.is_(None)]
    if alert_ids is not None:
        ids = _ids(alert_ids)
        if not ids:
            return 0
        conditions.append(Alert.id.in_(ids))
    result = session.execute(
        update(Alert)
        .where(*conditions)
        .values(read_at=now or utcnow(), read_by_id=user_id)
        .execution_options(synchronize_session=False)
    )
    return max(result.rowcount or 0, 0)
