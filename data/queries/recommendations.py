"""The Recommendations page's read side: a writer's stored advice, with what is dismissed and
when it was computed (written by the ``recommendations`` job through
``data.recommendation_store``; definitions: docs/metrics.md, "Recommendations").

Scope rule: only a writer scope has recommendations; the platform scope gets an empty list
(the page asks an admin to pick a writer). Nothing here reads another writer's rows
whatever the arguments say: every statement is filtered by the scope's writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from data.models import (
    RECOMMENDATION_KINDS,
    Chapter,
    JobRun,
    Recommendation,
    RecommendationDismissal,
    Story,
)
from data.queries.filters import Scope

#: The job's name (``app.jobs.registry``): the page says when it last ran.
RECOMMENDATIONS_JOB = "recommendations"
#: How often the scheduler runs the job (``app.jobs.registry`` uses this; the page says it).
RECOMMENDATIONS_EVERY_HOURS = 6
#: How pages label each kind.
KIND_LABELS = RECOMMENDATION_KINDS


@dataclass(frozen=True)
class StoredRecommendation:
    """One stored piece of advice as the page shows it. ``dismissed_at`` is set when the
    writer dismissed it (then it is listed only with "show dismissed")."""

    fingerprint: str
    kind: str
    rank: int
    priority: float
    title: str
    detail: str
    expected_effect: str
    evidence: dict[str, Any]
    story_id: int | None
    story_title: str | None
    chapter_id: int | None
    chapter_number: int | None
    computed_at: datetime
    dismissed_at: datetime | None = None


@dataclass(frozen=True)
class RecommendationList:
    """A writer's advice: ``active`` (not dismissed) and ``dismissed`` (only when asked
    for), each by rank; ``computed_at`` of the stored set (``None``: nothing stored) and
    when the job last finished successfully (``None``: it never has)."""

    writer_id: int | None
    active: list[StoredRecommendation] = field(default_factory=list)
    dismissed: list[StoredRecommendation] = field(default_factory=list)
    dismissed_count: int = 0
    computed_at: datetime | None = None
    last_run_at: datetime | None = None


def last_job_run(session: Session) -> datetime | None:
    """When the ``recommendations`` job last finished successfully (any writer)."""
    return session.scalar(
        select(func.max(JobRun.finished_at)).where(
            JobRun.job_name == RECOMMENDATIONS_JOB, JobRun.status == "succeeded"
        )
    )


def writer_recommendations(
    session: Session, scope: Scope, *, include_dismissed: bool = False
) -> RecommendationList:
    """The scope writer's stored advice (see :class:`RecommendationList`); the platform
    scope gets an empty list with ``writer_id`` ``None``. One query for the advice (with
    its story title, chapter number and dismissal), one for the job's last run."""
    last_run = last_job_run(session)
    if scope.is_platform:
        return RecommendationList(None, last_run_at=last_run)
    writer_id = int(scope.writer_id)  # type: ignore[arg-type]
    R, D = Recommendation, RecommendationDismissal  # noqa: N806
    rows = session.execute(
        select(
            R.fingerprint,
            R.kind,
            R.rank,
            R.priority,
            R.title,
            R.detail,
            R.expected_effect,
            R.evidence,
            R.story_id,
            Story.title,
            R.chapter_id,
            Chapter.number,
            R.computed_at,
            D.dismissed_at,
        )
        .outerjoin(Story, and_(Story.id == R.story_id, Story.writer_id == writer_id))
        .outerjoin(Chapter, Chapter.id == R.chapter_id)
        .outerjoin(D, and_(D.writer_id == R.writer_id, D.fingerprint == R.fingerprint))
        .where(R.writer_id == writer_id)
        .order_by(R.rank, R.id)
    ).all()
    items = [
        StoredRecommendation(
            fingerprint=row[0],
            kind=row[1],
            rank=int(row[2]),
            priority=float(row[3]),
            title=row[4],
            detail=row[5],
            expected_effect=row[6],
            evidence=dict(row[7] or {}),
            story_id=row[8],
            story_title=row[9],
            chapter_id=row[10],
            chapter_number=row[11],
            computed_at=row[12],
            dismissed_at=row[13],
        )
        for row in rows
    ]
    dismissed = [item for item in items if item.dismissed_at is not None]
    return RecommendationList(
        writer_id,
        active=[item for item in items if item.dismissed_at is None],
        dismissed=dismissed if include_dismissed else [],
        dismissed_count=len(dismissed),
        computed_at=max((item.computed_at for item in items), default=None),
        last_run_at=last_run,
    )
