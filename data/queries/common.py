"""Helpers every query module shares: scope enforcement, the reader segment and period
bounds.

Scope rule (the one place it is decided): a story, chapter or reader is *in scope* for a
writer scope only when the catalog says it belongs to that writer. Query functions that
take an id look it up through :func:`story_in_scope` and return an empty result (or
``None``) when it is out of scope, so no filter value can widen a writer's scope.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from data.models import Reader, Story
from data.queries.filters import UNKNOWN_TRAIT, Period, Scope, Segment

T = TypeVar("T", bound=Select[Any])


def scoped(statement: T, column: Any, scope: Scope) -> T:
    """``statement`` limited to ``column == scope.writer_id`` (unchanged for the platform)."""
    return statement if scope.is_platform else statement.where(column == scope.writer_id)


def in_segment(statement: T, reader_column: Any, segment: Segment | None) -> T:
    """``statement`` limited to rows whose ``reader_column`` (a reader id) names a reader
    in ``segment`` (unchanged for ``None`` or the everyone segment): a semi-join on
    ``readers`` by trait, ``"unknown"`` matching a NULL trait."""
    if segment is None or segment.is_everyone:
        return statement
    conditions = []
    for name, values in segment.conditions().items():
        column = getattr(Reader, name)
        known = [value for value in values if value != UNKNOWN_TRAIT]
        options = [column.in_(known)] if known else []
        if UNKNOWN_TRAIT in values:
            options.append(column.is_(None))
        conditions.append(or_(*options))
    return statement.where(reader_column.in_(select(Reader.id).where(*conditions)))


def story_in_scope(session: Session, scope: Scope, story_id: int) -> Story | None:
    """The catalog story ``story_id`` when it exists and belongs to the scope, else ``None``."""
    story = session.get(Story, story_id)
    if story is None or (not scope.is_platform and story.writer_id != scope.writer_id):
        return None
    return story


def bounds(period: Period) -> tuple[datetime, datetime]:
    """``[start, end)`` datetimes covering the period's UTC days."""
    return (
        datetime.combine(period.start, time.min),
        datetime.combine(period.end + timedelta(days=1), time.min),
    )


def frame(session: Session, statement: Any, columns: list[str]) -> pd.DataFrame:
    """Run ``statement`` and return its rows as a DataFrame with ``columns`` (also when
    there are no rows)."""
    return pd.DataFrame(session.execute(statement).all(), columns=columns)


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """Element-wise ``numerator / denominator`` as floats, 0.0 where the denominator is 0."""
    numerator = numerator.astype(float)
    denominator = denominator.astype(float)
    return (numerator / denominator.where(denominator > 0, 1.0)).where(denominator > 0, 0.0)


def story_ids_of(session: Session, scope: Scope) -> list[int]:
    """Ids of the scope's catalog stories (every story for the platform)."""
    return list(
        session.scalars(scoped(select(Story.id), Story.writer_id, scope).order_by(Story.id))
    )
