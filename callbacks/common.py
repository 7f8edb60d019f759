"""What every callback needs: who is asking, which writer they may see, which period and
comparison period, the shared filter inputs and their URL query string, and how a failure
becomes a friendly message.

A writer's scope always comes from the logged-in account; the writer picker value the
browser sends is honoured only for admins.

Page callbacks take the shared filter bar as ``*filter_inputs()`` (writer, preset, start,
end, compare, in that order), turn the values into a :class:`Filters` with
:func:`resolve_filters` (writer pages: through ``callbacks.page_context``, which also names
the scope), and wrap themselves in :func:`friendly_errors` so a failure shows a message in
the page instead of a traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, ParamSpec, TypeVar
from urllib.parse import parse_qs, urlencode

from dash import Input, ctx
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from flask_login import current_user

from components import ids
from components.feedback import error_alert
from data.queries.filters import EARLIEST_DAY, LATEST_DAY, FilterError, Period, Scope

logger = logging.getLogger("legato.callbacks")

PRESET_DAYS = {"7d": 7, "28d": 28, "90d": 90}
DEFAULT_PRESET = "28d"
CUSTOM = "custom"
ALL_WRITERS = 0  # the admin writer picker's "All writers" value
#: Comparison modes: the equally long period just before, or the same dates a year earlier.
COMPARE_PREVIOUS = "previous"
COMPARE_YEAR = "year"
COMPARE_MODES = (COMPARE_PREVIOUS, COMPARE_YEAR)
DEFAULT_COMPARE = COMPARE_PREVIOUS


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
    if preset == CUSTOM:
        start_day, end_day = _parse_day(start), _parse_day(end)
        if start_day is None or end_day is None:
            raise FilterError("Pick a start and an end date for the custom range.")
        if start_day > end_day:
            raise FilterError("The start date is after the end date.")
        if start_day < EARLIEST_DAY or end_day > LATEST_DAY:
            raise FilterError(
                f"Pick dates between {EARLIEST_DAY:%b %-d, %Y} and {LATEST_DAY:%b %-d, %Y}."
            )
        return Period(start_day, end_day)
    days = PRESET_DAYS.get(str(preset), PRESET_DAYS[DEFAULT_PRESET])
    return Period.last_days(days, today)


def describe_period(period: Period) -> str:
    """``"Oct 28 – Nov 24, 2026"``."""
    if period.start.year == period.end.year:
        return f"{period.start:%b %-d} – {period.end:%b %-d, %Y}"
    return f"{period.start:%b %-d, %Y} – {period.end:%b %-d, %Y}"


def _year_earlier(day: date) -> date:
    """The same calendar day a year earlier (February 29 becomes February 28)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def resolve_comparison(period: Period, compare: object) -> Period:
    """The period ``period`` is compared with, always exactly as long (so daily series line
    up day by day): ``"year"`` starts on the same calendar day a year earlier; anything
    else (``"previous"``, unknown values) is ``period.previous()``."""
    if compare == COMPARE_YEAR:
        start = _year_earlier(period.start)
        return Period(start, start + timedelta(days=period.days - 1))
    return period.previous()


def comparison_label(period: Period, compare: object = COMPARE_PREVIOUS) -> str:
    """How KPI cards name the comparison period: "previous 28 days" or "same period last
    year"."""
    if compare == COMPARE_YEAR:
        return "same period last year"
    return f"previous {period.days} day{'s' if period.days != 1 else ''}"


# --------------------------------------------------------------------------- shared filters


def filter_inputs() -> list[Input]:
    """The shared filter bar as callback inputs, in the order page callbacks receive them:
    ``writer`` (admin picker value), ``preset``, ``start``, ``end`` (custom dates),
    ``compare``. Pass them on with :func:`resolve_filters`."""
    return [
        Input(ids.WRITER_SELECT, "value"),
        Input(ids.RANGE_PRESET, "value"),
        Input(ids.RANGE_DATES, "start_date"),
        Input(ids.RANGE_DATES, "end_date"),
        Input(ids.COMPARE_SELECT, "value"),
    ]


@dataclass(frozen=True)
class Filters:
    """What the filter bar asks for, resolved for one viewer: the data ``scope``, the
    ``period``, the ``comparison`` period and the comparison ``compare`` mode."""

    scope: Scope
    period: Period
    comparison: Period
    compare: str
    #: The canonical URL query string of these filters (for links that keep the view).
    query: str = ""

    @property
    def comparison_label(self) -> str:
        """How KPI cards name the comparison period ("previous 28 days", "same period
        last year")."""
        return comparison_label(self.period, self.compare)


def resolve_filters(
    viewer: Viewer,
    requested_writer: object,
    preset: object,
    start: object,
    end: object,
    compare: object,
    *,
    today: date,
) -> Filters:
    """The filter bar's values (as ``filter_inputs()`` delivers them) for ``viewer``.

    The scope follows :func:`resolve_scope` (a writer's own, whatever the picker says); the
    period :func:`resolve_period`; the comparison :func:`resolve_comparison`. Raises
    ``AccessDenied`` (unlinked writer account) and ``FilterError`` (bad custom range).
    """
    scope = resolve_scope(viewer, requested_writer)
    period = resolve_period(preset, start, end, today)
    mode = compare if compare in COMPARE_MODES else DEFAULT_COMPARE
    state = normalize_filters(
        FilterState(
            str(preset or ""),
            start if isinstance(start, str) else None,
            end if isinstance(end, str) else None,
            str(mode),
            None if scope.is_platform else scope.writer_id,
        ),
        is_admin=viewer.is_admin,
        today=today,
    )
    return Filters(scope, period, resolve_comparison(period, mode), str(mode), filter_query(state))


@dataclass(frozen=True)
class FilterState:
    """The filter bar's state as it is kept in the URL query string.

    ``preset`` is one of ``PRESET_DAYS`` or ``"custom"``; ``start``/``end`` are ISO days
    (the custom range; for a preset, the preset's days so the custom picker starts there);
    ``compare`` one of ``COMPARE_MODES``; ``writer`` the admin picker's writer id
    (``ALL_WRITERS`` for the whole platform, ``None`` for writers, who have no picker).
    """

    preset: str = DEFAULT_PRESET
    start: str | None = None
    end: str | None = None
    compare: str = DEFAULT_COMPARE
    writer: int | None = None


def _writer_value(value: object) -> int | None:
    if value in (None, "", "all"):
        return None
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def normalize_filters(state: FilterState, *, is_admin: bool, today: date) -> FilterState:
    """``state`` with unknown values replaced by defaults: an unknown preset becomes the
    default preset, an unknown comparison the default, the writer ``None`` for writers and
    a writer id or ``ALL_WRITERS`` for admins; a preset's ``start``/``end`` become its days.
    Custom dates are kept as given (a missing or bad one is reported by
    :func:`resolve_period`)."""
    preset = state.preset if state.preset in PRESET_DAYS or state.preset == CUSTOM else None
    preset = preset or DEFAULT_PRESET
    compare = state.compare if state.compare in COMPARE_MODES else DEFAULT_COMPARE
    writer = _writer_value(state.writer) if is_admin else None
    if is_admin and writer is None:
        writer = ALL_WRITERS
    start, end = state.start, state.end
    if preset != CUSTOM:
        period = Period.last_days(PRESET_DAYS[preset], today)
        start, end = period.start.isoformat(), period.end.isoformat()
    else:
        start = day.isoformat() if (day := _parse_day(start)) else None
        end = day.isoformat() if (day := _parse_day(end)) else None
    return FilterState(preset, start, end, compare, writer)


def parse_filter_query(search: object) -> FilterState | None:
    """The filter state a URL query string names, or ``None`` when it names none of
    ``range``, ``start``, ``end``, ``compare``, ``writer`` (an empty query: keep the
    current filters).

    ``?range=7d`` picks a preset; ``?start=2026-10-01&end=2026-10-28`` (with ``range=custom``
    or no ``range``) a custom range; ``compare=previous|year``; ``writer=<id>`` (admins
    only; honoured by :func:`resolve_scope`). Unknown values fall back to defaults in
    :func:`normalize_filters`; nothing here raises.
    """
    if not isinstance(search, str) or not search.strip("?"):
        return None
    query = parse_qs(search.lstrip("?"), keep_blank_values=True)

    def first(name: str) -> str | None:
        values = query.get(name)
        return values[0].strip() if values else None

    names = ("range", "start", "end", "compare", "writer")
    if not any(name in query for name in names):
        return None
    preset = first("range")
    start, end = first("start"), first("end")
    if preset is None or preset == CUSTOM:
        preset = CUSTOM if (start or end or preset == CUSTOM) else DEFAULT_PRESET
    return FilterState(
        preset=preset,
        start=start or None,
        end=end or None,
        compare=first("compare") or DEFAULT_COMPARE,
        writer=_writer_value(first("writer")),
    )


def filter_query(state: FilterState) -> str:
    """The canonical query string of ``state`` (leading ``?``): ``range`` (or ``start`` and
    ``end`` for a custom range), ``compare``, and ``writer`` when an admin picked one
    writer. ``parse_filter_query(filter_query(s))`` gives ``s`` back (up to the preset's
    days, which the URL does not carry)."""
    pairs: list[tuple[str, str]] = []
    if state.preset == CUSTOM:
        pairs.append(("range", CUSTOM))
        if state.start:
            pairs.append(("start", state.start))
        if state.end:
            pairs.append(("end", state.end))
    else:
        pairs.append(("range", state.preset))
    pairs.append(("compare", state.compare))
    if state.writer not in (None, ALL_WRITERS):
        pairs.append(("writer", str(state.writer)))
    return "?" + urlencode(pairs)


# --------------------------------------------------------------------------- friendly errors

GENERIC_ERROR = "We couldn't load {what}. Please try again in a moment."
P = ParamSpec("P")
R = TypeVar("R")


def error_message(error: BaseException, *, what: str = "this view") -> str:
    """The message a user sees for ``error``: a ``FilterError``'s own message, "You can't
    see this: …" for ``AccessDenied``, and for anything else a generic message about
    ``what`` failed to load (the caller logs it; see :func:`friendly_errors`)."""
    if isinstance(error, FilterError):
        return str(error)
    if isinstance(error, AccessDenied):
        return f"You can't see this: {error}."
    return GENERIC_ERROR.format(what=what)


def friendly_errors(
    what: str, fallback: Callable[[Component], Any]
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a callback so that an exception becomes a friendly message in the page.

    ``FilterError`` and ``AccessDenied`` become their :func:`error_message`; any other
    exception is logged here with ``logger.exception`` (traceback in the server log only)
    and becomes a generic message naming ``what`` ("your overview"). The callback then
    returns ``fallback(alert)``, where ``alert`` is the ``components.feedback.error_alert``
    to place in the page, and ``fallback`` builds the callback's full return value (for
    example ``lambda alert: ("", alert, [], empty_figure(...))``). ``PreventUpdate`` passes
    through. Use it under ``@app.callback(...)``::

        @app.callback(Output(...), ..., *filter_inputs())
        @friendly_errors("your stories", lambda alert: (alert, []))
        def update(writer, preset, start, end, compare): ...
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return function(*args, **kwargs)
            except PreventUpdate:
                raise
            except (FilterError, AccessDenied) as error:
                return fallback(error_alert(error_message(error, what=what)))
            except Exception as error:
                logger.exception("callback %s failed (%s)", function.__qualname__, what)
                return fallback(error_alert(error_message(error, what=what)))

        return guarded

    return decorate


def clicked() -> bool:
    """Whether a real click triggered the running callback. Pattern-matched buttons are
    re-created with ``n_clicks=None`` whenever the list holding them re-renders, which
    fires their callbacks without a click."""
    return bool(ctx.triggered_id) and bool(ctx.triggered and ctx.triggered[0].get("value"))
