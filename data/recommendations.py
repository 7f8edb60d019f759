"""A writer's dismissals of recommendations (the Recommendations page's only write).

Contract:

- A dismissal is keyed by ``(writer_id, fingerprint)`` (``recommendation_dismissals``), not
  by a row id, so it keeps applying when the ``recommendations`` job replaces the writer's
  set and produces the same advice again.
- :func:`dismiss_recommendation` dismisses only advice that is currently stored *for that
  writer*: a fingerprint of another writer's advice (or a made-up one) raises
  :class:`RecommendationNotFound` and writes nothing — the caller passes the writer id it
  resolved from the signed-in account, never one from the browser. Dismissing twice is a
  no-op. :func:`restore_recommendation` deletes the dismissal (a no-op when there is none).
- Both take the caller's session and never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from data.db import utcnow
from data.models import Recommendation, RecommendationDismissal

#: Longest fingerprint accepted (the column's length).
MAX_FINGERPRINT_LENGTH = 160


class RecommendationNotFound(LookupError):
    """No current recommendation of that writer has that fingerprint."""


def _checked(fingerprint: object) -> str:
    if not isinstance(fingerprint, str) or not 0 < len(fingerprint) <= MAX_FINGERPRINT_LENGTH:
        raise RecommendationNotFound("that recommendation no longer exists")
    return fingerprint


def dismiss_recommendation(
    session: Session,
    writer_id: int,
    fingerprint: object,
    *,
    user_id: int | None,
    now: datetime | None = None,
) -> bool:
    """Dismiss the writer's current advice ``fingerprint`` on behalf of ``user_id``.
    Returns ``True`` when a dismissal was added, ``False`` when it was already dismissed.
    Raises :class:`RecommendationNotFound` (see the module docstring). Does not commit."""
    key = _checked(fingerprint)
    exists = session.scalar(
        select(Recommendation.id).where(
            Recommendation.writer_id == writer_id, Recommendation.fingerprint == key
        )
    )
    if exists is None:
        raise RecommendationNotFound("that recommendation no longer exists")
    if session.get(RecommendationDismissal, (writer_id, key)) is not None:
        return False
    session.add(
        RecommendationDismissal(
            writer_id=writer_id,
            fingerprint=key,
            dismissed_by_id=user_id,
            dismissed_at=now or utcnow(),
        )
    )
    session.flush()
    return True


def restore_recommendation(session: Session, writer_id: int, fingerprint: object) -> bool:
    """Undo the writer's dismissal of ``fingerprint``; ``True`` when one was removed.
    Does not commit."""
    try:
        key = _checked(fingerprint)
    except RecommendationNotFound:
        return False
    result = session.execute(
        delete(RecommendationDismissal).where(
            RecommendationDismissal.writer_id == writer_id,
            RecommendationDismissal.fingerprint == key,
        )
    )
    return bool(result.rowcount)
