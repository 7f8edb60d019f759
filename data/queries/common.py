"""Helpers every query module shares: scope enforcement and period bounds.

Scope rule (the one place it is decided): a story, chapter or reader is *in scope* for a
writer scope only when the catalog says it belongs to that writer. Query functions that
take an id look it up through :func:`story_in_scope` and return an empty result (or
``None``) when it is out of scope, so no filter value can widen a writer's scope.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from data.models import Story
from data.queries.filters import Period, Scope

T = TypeVar("T", bound=Select[Any])


def scoped(statement: T, column: Any, scope: Scope) -> T:
    """``statement`` limited to ``column == scope.writer_id`` (unchanged for the platform)."""
    return statement if scope.is_platform else statement.where(column == scope.writer_id)


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
