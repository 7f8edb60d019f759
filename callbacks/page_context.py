"""What the writer pages (Audience, Revenue, Growth, Export) resolve first: the viewer's
filters, whose data it is and the subtitle that says so.

The scope follows ``callbacks.common.resolve_filters``: a writer always sees their own
data whatever the picker value says; admins see the picked writer or the whole platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from callbacks.common import AccessDenied, Filters, Viewer, describe_period, resolve_filters
from data.queries.filters import Scope
from data.queries.overview import writer_name

PLATFORM_NAME = "All writers"


def scope_name(session: Session, scope: Scope) -> str:
    """The display name of ``scope``: the writer's name, or "All writers" for the
    platform. Raises ``AccessDenied`` when the writer does not exist (an admin's stale
    picker value)."""
    if scope.is_platform:
        return PLATFORM_NAME
    name = writer_name(session, scope.writer_id)
    if name is None:
        raise AccessDenied(f"there is no writer with id {scope.writer_id}")
    return name


@dataclass(frozen=True)
class PageContext:
    """The resolved ``filters``, the ``who`` they show and the page ``subtitle``
    ("Ada Quill · Oct 28 – Nov 24, 2026")."""

    filters: Filters
    who: str

    @property
    def subtitle(self) -> str:
        return f"{self.who} · {describe_period(self.filters.period)}"


def page_context(
    session: Session,
    viewer: Viewer,
    requested_writer: object,
    preset: object,
    start: object,
    end: object,
    compare: object,
    *,
    today: date,
) -> PageContext:
    """Resolve the shared filter bar for ``viewer`` (arguments as
    ``callbacks.common.filter_inputs()`` delivers them). Raises ``AccessDenied`` (unlinked
    writer account, unknown writer) and ``FilterError`` (bad custom range)."""
    filters = resolve_filters(viewer, requested_writer, preset, start, end, compare, today=today)
    return PageContext(filters, scope_name(session, filters.scope))
