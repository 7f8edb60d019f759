"""What every writer page's callbacks do first: take the signed-in account and the shared
filter bar, resolve whose data and which periods to show, and name them in the subtitle.

The two halves, used by every writer page (Overview, Stories, Story, Audience, Revenue,
Growth, Export):

- in ``register``, a callback hands its inputs to :func:`build_for_viewer`, which calls the
  page's ``build_*`` function with a session, the signed-in :class:`~callbacks.common.Viewer`
  and today's date;
- the ``build_*`` function turns the filter values into a :class:`PageContext` with
  :func:`page_context`: the scope follows ``callbacks.common.resolve_filters`` (a writer
  always sees their own data whatever the picker value says; admins see the picked writer
  or the whole platform), and :func:`scope_name` names it. The Story page resolves the
  filters alone: an admin opens any story, whatever writer the picker names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from dash import Dash
from sqlalchemy.orm import Session, sessionmaker

from callbacks.common import (
    AccessDenied,
    Filters,
    Viewer,
    current_viewer,
    describe_period,
    resolve_filters,
    today_utc,
)
from data.queries.filters import Scope
from data.queries.overview import writer_name

PLATFORM_NAME = "All writers"
DEFAULT_CURRENCY = "USD"
V = TypeVar("V")


def scope_name(session: Session, scope: Scope) -> str:
    """The display name of ``scope``: the writer's name, or "All writers" for the
    platform. Raises ``AccessDenied`` when the writer does not exist (an admin's stale
    picker value or a URL with a bad ``writer=``)."""
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
        return self.subtitle_with()

    def subtitle_with(self, *details: str) -> str:
        """The subtitle with ``details`` between the name and the period ("Ada Quill ·
        4 stories · Oct 28 – Nov 24, 2026")."""
        return " · ".join((self.who, *details, describe_period(self.filters.period)))


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


def build_for_viewer(
    sessions: sessionmaker[Session], build: Callable[..., V], *values: object, **options: object
) -> V:
    """``build(session, viewer, *values, today=today, **options)``: a page's ``build_*``
    function for the signed-in account and today's UTC date, in a session of its own
    (closed on return). ``values`` are passed on unchecked, for ``build`` to validate:
    a callback passes its inputs as Dash delivers them, so a page's ``build_*`` takes them
    in its inputs' order (``*filter_inputs()`` first, then the page's own; the Story page's
    story id comes first). Raises ``AccessDenied`` when nobody is signed in, and whatever
    ``build`` raises (the callback's ``friendly_errors`` shows it)."""
    viewer = current_viewer()
    with sessions() as session:
        return build(session, viewer, *values, today=today_utc(), **options)


def reporting_currency(app: Dash) -> str:
    """The currency money is reported in (the ``REPORTING_CURRENCY`` setting)."""
    return str(app.server.config.get("REPORTING_CURRENCY", DEFAULT_CURRENCY))
