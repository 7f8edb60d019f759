"""Failed-login throttling, stored in ``login_attempts`` so every process sees it.

An account (by normalised email, whether or not it exists, so the answer does not reveal
which emails are registered) that has ``max_failures`` failed attempts within
``window_seconds`` is refused until the oldest of those failures leaves the window.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.db import utcnow
from data.models import LoginAttempt


def seconds_until_allowed(
    session: Session, email: str, *, max_failures: int, window_seconds: int
) -> int:
    """0 when ``email`` may try to log in now, else the seconds to wait."""
    now = utcnow()
    window_start = now - timedelta(seconds=window_seconds)
    failures = session.scalars(
        select(LoginAttempt.attempted_at)
        .where(
            LoginAttempt.email == email,
            LoginAttempt.attempted_at >= window_start,
            LoginAttempt.succeeded.is_(False),
        )
        .order_by(LoginAttempt.attempted_at.desc())
        .limit(max_failures)
    ).all()
    if len(failures) < max_failures:
        return 0
    oldest_counted = failures[-1]
    wait = (oldest_counted + timedelta(seconds=window_seconds) - now).total_seconds()
    return max(1, int(wait + 0.999))


def record_attempt(session: Session, email: str, ip: str | None, succeeded: bool) -> None:
    """Store one attempt (the caller commits). A success clears nothing: failures simply
    age out of the window."""
    session.add(LoginAttempt(email=email, ip=ip, succeeded=succeeded, attempted_at=utcnow()))


def recent_failures(session: Session, email: str, window_seconds: int) -> int:
    """How many failed attempts ``email`` has within the window."""
    window_start = utcnow() - timedelta(seconds=window_seconds)
    return session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.email == email,
            LoginAttempt.attempted_at >= window_start,
            LoginAttempt.succeeded.is_(False),
        )
    )
