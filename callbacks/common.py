"""What every callback needs: who is asking, which writer they may see, which period.

A writer's scope always comes from the logged-in account; the writer picker value the
browser sends is honoured only for admins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_login import current_user

from data.queries.filters import FilterError, Period, Scope

logger = logging.getLogger("legato.callbacks")

PRESET_DAYS = {"7d": 7, "28d": 28, "90d": 90}
DEFAULT_PRESET = "28d"
ALL_WRITERS = 0  # the admin writer picker's "All writers" value


class AccessDenied(PermissionError):
    """The account may not see what was asked for."""


@dataclass(frozen=True)
class Viewer:
    """The logged-in account, as callbacks need it."""

    user_id: int
    role: str
    writer_id: int | None
    display_name: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def current_viewer() -> Viewer:
    """The account of the current request; raises ``AccessDenied`` when nobody is signed
    in (the request guard already refuses that, this is the second line)."""
    if not current_user or not current_user.is_authenticated:
        raise AccessDenied("sign in required")
    return Viewer(
        user_id=current_user.id,
        role=current_user.role,
        writer_id=current_user.writer_id,
        display_name=current_user.display_name,
    )


def resolve_scope(viewer: Viewer, requested_writer: object) -> Scope:
    """The data scope for ``viewer``.

    Writers always get their own writer, whatever ``requested_writer`` says. Admins get the
    requested writer id, or the whole platform for ``ALL_WRITERS``/``None``. Raises
    ``AccessDenied`` for a writer account not linked to a writer.
    """
    if not viewer.is_admin:
        if viewer.writer_id is None:
            raise AccessDenied("this account is not linked to a writer")
        return Scope(writer_id=viewer.writer_id)
    if requested_writer in (None, "", ALL_WRITERS):
        return Scope(writer_id=None)
    try:
        return Scope(writer_id=int(requested_writer))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return Scope(writer_id=None)


def today_utc() -> date:
    return datetime.now(UTC).date()


def _parse_day(value: object) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def resolve_period(preset: object, start: object, end: object, today: date) -> Period:
    """The period chosen in the filter bar.

    Presets are the last N days ending today. ``custom`` uses the picked dates (ISO
    strings); a custom choice with a missing or inverted date raises ``FilterError`` with a
    message for the user. Unknown presets fall back to the default.
    """
    if preset == "custom":
        start_day, end_day = _parse_day(start), _parse_day(end)
        if start_day is None or end_day is None:
            raise FilterError("Pick a start and an end date for the custom range.")
        if start_day > end_day:
            raise FilterError("The start date is after the end date.")
        return Period(start_day, end_day)
    days = PRESET_DAYS.get(str(preset), PRESET_DAYS[DEFAULT_PRESET])
    return Period.last_days(days, today)


def describe_period(period: Period) -> str:
    """``"Oct 28 – Nov 24, 2026"``."""
    if period.start.year == period.end.year:
        return f"{period.start:%b %-d} – {period.end:%b %-d, %Y}"
    return f"{period.start:%b %-d, %Y} – {period.end:%b %-d, %Y}"


def comparison_label(period: Period) -> str:
    """How KPI cards name the previous period."""
    return f"previous {period.days} day{'s' if period.days != 1 else ''}"
