"""Timeline annotations: chapter releases, release histories (for hiatus detection in
``app.analytics.cadence``) and experiment starts/stops (docs/metrics.md, "Annotations").
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data.models import Chapter, Experiment, Story
from data.queries.common import bounds, scoped
from data.queries.filters import Period, Scope

ANNOTATION_COLUMNS = ["at", "kind", "story_id", "chapter_id", "label"]


def release_annotations(
    session: Session, scope: Scope, period: Period, story_id: int | None = None
) -> pd.DataFrame:
    """Chapters of the scope's stories (or of one story in the scope) published in the
    period: ``at``, ``kind`` = ``release``, ``story_id``, ``chapter_id``, ``label``
    ("<story title> · Ch. N"), by time."""
    start, end = bounds(period)
    statement = scoped(
        select(Chapter.published_at, Chapter.story_id, Chapter.id, Story.title, Chapter.number)
        .join(Story, Story.id == Chapter.story_id)
        .where(Chapter.published_at >= start, Chapter.published_at < end)
        .order_by(Chapter.published_at, Chapter.id),
        Story.writer_id,
        scope,
    )
    if story_id is not None:
        statement = statement.where(Chapter.story_id == story_id)
    rows = [
        (at, "release", story, chapter, f"{title} · Ch. {number}")
        for at, story, chapter, title, number in session.execute(statement).all()
    ]
    return pd.DataFrame(rows, columns=ANNOTATION_COLUMNS)


def release_history(
    session: Session, scope: Scope, story_id: int | None = None
) -> dict[int, list[datetime]]:
    """Every publication time per story of the scope (or of one story in it), sorted;
    stories without published chapters are absent."""
    statement = scoped(
        select(Chapter.story_id, Chapter.published_at)
        .join(Story, Story.id == Chapter.story_id)
        .where(Chapter.published_at.is_not(None))
        .order_by(Chapter.story_id, Chapter.published_at),
        Story.writer_id,
        scope,
    )
    if story_id is not None:
        statement = statement.where(Chapter.story_id == story_id)
    history: dict[int, list[datetime]] = {}
    for story, at in session.execute(statement).all():
        history.setdefault(int(story), []).append(at)
    return history


def story_titles(session: Session, scope: Scope) -> dict[int, str]:
    """Title of every story of the scope."""
    statement = scoped(select(Story.id, Story.title), Story.writer_id, scope)
    return {int(i): title for i, title in session.execute(statement).all()}


def experiment_annotations(session: Session, scope: Scope, period: Period) -> pd.DataFrame:
    """Experiment starts and stops in the period (``ANNOTATION_COLUMNS``, ``kind``
    ``experiment_start`` / ``experiment_stop``, ``label`` = experiment name). Experiments
    are platform-wide, so a writer scope sees none (dashboards for writers do not reveal
    the platform's experiments)."""
    if not scope.is_platform:
        return pd.DataFrame(columns=ANNOTATION_COLUMNS)
    start, end = bounds(period)
    rows = session.execute(
        select(Experiment.name, Experiment.started_at, Experiment.stopped_at).where(
            or_(
                Experiment.started_at.between(start, end),
                Experiment.stopped_at.between(start, end),
            )
        )
    ).all()
    records = []
    for name, started, stopped in rows:
        if started is not None and start <= started < end:
            records.append((started, "experiment_start", None, None, name))
        if stopped is not None and start <= stopped < end:
            records.append((stopped, "experiment_stop", None, None, name))
    records.sort(key=lambda record: (record[0], record[1], record[4]))
    return pd.DataFrame(records, columns=ANNOTATION_COLUMNS)
