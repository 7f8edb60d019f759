"""Shell callbacks: navigation by role, the user menu, the admin writer picker's options,
and the shared filters kept in the URL query string.

The filter bar (writer, period, comparison) and the address bar are kept in step by one
callback, :func:`sync_filters`, in both directions:

- a page load or a navigation whose URL has a filter query (``?range=7d&compare=year``,
  ``?start=2026-10-01&end=2026-10-28``, ``&writer=2`` for admins) sets the controls;
  a URL without one keeps the current controls (so plain links such as ``/stories`` keep
  the chosen period);
- a change of a control, and every navigation, writes the canonical query of the
  controls to ``ids.FILTER_QUERY``; a clientside callback then puts it into the address
  bar with ``history.replaceState`` — no reload, no page re-render, no history entry per
  filter change, and a copied link reproduces the view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dash import Dash, Input, Output, State, ctx, html, no_update
from dash.development.base_component import Component
from sqlalchemy.orm import Session, sessionmaker

from callbacks.common import (
    ALL_WRITERS,
    CUSTOM,
    AccessDenied,
    FilterState,
    Viewer,
    current_viewer,
    describe_period,
    filter_query,
    logger,
    normalize_filters,
    parse_filter_query,
    resolve_comparison,
    resolve_period,
    today_utc,
)
from components import ids
from components.pages import PAGES, page_for_path
from components.shell import PERIOD_CONTROLS_SHOWN, NavItem, nav_links, user_menu
from data.queries.alerts import unread_alert_count
from data.queries.filters import FilterError
from data.queries.overview import writer_choices

HIDDEN = {"display": "none"}
SHOWN: dict[str, str] = {}
PERIOD_SHOWN = PERIOD_CONTROLS_SHOWN
#: Put the canonical filter query into the address bar without a reload, a page re-render
#: (Dash's router listens to ``dcc.Location`` events, which ``replaceState`` does not send) or
#: a new history entry: whenever ``update_filters`` computed it, and after a navigation to a
#: URL without a query of its own (``/stories``), so the new address carries the filters too.
#: (A navigation to a URL with a query waits for ``update_filters`` to apply that query.)
REPLACE_QUERY = """
function (query) {
    const here = window.location;
    if (typeof query === "string" && query && here.search !== query) {
        window.history.replaceState(window.history.state, "", here.pathname + query + here.hash);
    }
}
"""
FILL_EMPTY_QUERY = """
function (pathname, query) {
    const here = window.location;
    if (typeof query === "string" && query && !here.search) {
        window.history.replaceState(window.history.state, "", here.pathname + query + here.hash);
    }
}
"""

#: The navigation collapses behind the toggler below laptop widths: the toggler opens and
#: closes it, and a navigation closes it.
TOGGLE_NAV = f"""
function (clicks, pathname, isOpen) {{
    const triggered = (window.dash_clientside.callback_context.triggered || [])
        .map(function (item) {{ return item.prop_id; }});
    return triggered.indexOf("{ids.NAV_TOGGLER}.n_clicks") !== -1 ? !isOpen : false;
}}
"""


ALERTS_PATH = "/alerts"


def nav_items_for(viewer: Viewer, unread_alerts: int = 0) -> list[NavItem]:
    """The pages ``viewer`` may open, in page order (admin pages only for admins), the
    Alerts entry with ``unread_alerts`` as its badge."""
    return [
        NavItem(
            page.title,
            page.path,
            page.icon,
            admin=page.admin_only,
            badge=unread_alerts if page.path == ALERTS_PATH else None,
        )
        for page in PAGES
        if page.in_nav and (viewer.is_admin or not page.admin_only)
    ]


def unread_alerts_for(session: Session, viewer: Viewer) -> int:
    """The navigation badge's count: a writer's own unread alerts; for an admin, the
    platform's (the writer picker's choice is read on the Alerts page itself)."""
    return unread_alert_count(session, None if viewer.is_admin else viewer.writer_id)


@dataclass(frozen=True)
class FilterParts:
    """Which parts of the filter bar a page shows: the admin writer picker, the period."""

    writer: bool
    period: bool


def filter_parts(viewer: Viewer, path: str) -> FilterParts:
    """The filter bar's parts for ``viewer`` on ``path``: the writer picker for admins on
    pages that show one writer's data, the period controls on pages that read them;
    neither on an unknown path (the not-found page)."""
    page = page_for_path(path)
    if page is None:
        return FilterParts(writer=False, period=False)
    return FilterParts(writer=viewer.is_admin and page.uses_writer, period=page.uses_period)


def writer_picker_options(session: Session, viewer: Viewer) -> list[dict]:
    """Options of the admin writer picker: "All writers" then every writer by name (none
    for writers, who have no picker)."""
    if not viewer.is_admin:
        return []
    return [{"label": "All writers", "value": ALL_WRITERS}] + [
        {"label": name, "value": writer_id} for writer_id, name in writer_choices(session)
    ]


def writer_picker(session: Session, viewer: Viewer, current_value: object) -> tuple[list, object]:
    """Options of the admin writer picker and ``current_value`` when it is one of them
    (else ``ALL_WRITERS``); ``([], None)`` for writers."""
    if not viewer.is_admin:
        return [], None
    options = writer_picker_options(session, viewer)
    valid = {option["value"] for option in options}
    return options, current_value if current_value in valid else ALL_WRITERS


def period_label(preset: object, start: object, end: object, compare: object = "previous") -> str:
    """The filter bar's description of the chosen period and its comparison period (or the
    problem with a custom range)."""
    try:
        period = resolve_period(preset, start, end, today_utc())
    except FilterError as error:
        return str(error)
    comparison = resolve_comparison(period, compare)
    return f"{describe_period(period)} · compared with {describe_period(comparison)}"


def label_parts(label: str) -> list[Component]:
    """The period label as unbreakable parts ("Oct 1 – Oct 28, 2026", "· compared with
    …"), so a narrow filter bar wraps it between them, not inside a date."""
    head, separator, tail = label.partition(" · ")
    parts: list[Component] = [html.Span(head, className="text-nowrap")]
    if separator:
        parts += [" ", html.Span(f"· {tail}", className="text-nowrap")]
    return parts


@dataclass(frozen=True)
class FilterSync:
    """What :func:`sync_filters` decides: the ``state`` the controls should show and the
    canonical ``query`` for the address bar."""

    state: FilterState
    query: str


URL_TRIGGERS = frozenset({ids.URL})


def sync_filters(
    viewer: Viewer,
    triggered_by: object,
    search: object,
    controls: FilterState,
    *,
    today: date,
) -> FilterSync:
    """The filter state after ``triggered_by`` (a component id; ``None`` on page load).

    When the URL triggered it (or on page load) and ``search`` names filters, they win;
    otherwise the ``controls`` stay. Either way the state is normalised
    (:func:`callbacks.common.normalize_filters`: defaults for unknown values, the writer
    only for admins) and its canonical query computed.
    """
    from_url = triggered_by is None or triggered_by in URL_TRIGGERS
    requested = parse_filter_query(search) if from_url else None
    state = normalize_filters(requested or controls, is_admin=viewer.is_admin, today=today)
    return FilterSync(state, filter_query(state))


def _changed(new: object, old: object) -> object:
    return no_update if new == old else new


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the shell callbacks onto ``app``."""

    @app.callback(
        Output(ids.NAV, "children"),
        Output(ids.USER_MENU, "children"),
        Output(ids.WRITER_SELECT_WRAPPER, "style"),
        Output(ids.PERIOD_CONTROLS, "style"),
        Output(ids.FILTER_BAR, "style"),
        Input(ids.URL, "pathname"),
        Input(ids.NAV_REFRESH, "data"),
    )
    def update_shell(pathname: str | None, _refresh: int | None) -> tuple:
        path = pathname or "/"
        try:
            viewer = current_viewer()
        except AccessDenied:
            return [], None, HIDDEN, HIDDEN, HIDDEN
        try:
            with sessions() as session:
                unread = unread_alerts_for(session, viewer)
        except Exception:  # a missing badge must not take the navigation down
            logger.exception("unread alert count failed")
            unread = 0
        try:
            links: list[Component] = nav_links(nav_items_for(viewer, unread), path)
        except Exception:  # the shell must never take the page down
            logger.exception("shell callback failed")
            return [], None, HIDDEN, PERIOD_SHOWN, SHOWN
        parts = filter_parts(viewer, path)
        return (
            links,
            user_menu(viewer.display_name, viewer.role),
            SHOWN if parts.writer else HIDDEN,
            PERIOD_SHOWN if parts.period else HIDDEN,
            SHOWN if parts.writer or parts.period else HIDDEN,
        )

    @app.callback(
        Output(ids.RANGE_PRESET, "value"),
        Output(ids.RANGE_DATES, "start_date"),
        Output(ids.RANGE_DATES, "end_date"),
        Output(ids.COMPARE_SELECT, "value"),
        Output(ids.WRITER_SELECT, "value"),
        Output(ids.WRITER_SELECT, "options"),
        Output(ids.RANGE_DATES_WRAPPER, "style"),
        Output(ids.RANGE_LABEL, "children"),
        Output(ids.FILTER_QUERY, "data"),
        Input(ids.URL, "pathname"),
        Input(ids.URL, "search"),
        Input(ids.RANGE_PRESET, "value"),
        Input(ids.RANGE_DATES, "start_date"),
        Input(ids.RANGE_DATES, "end_date"),
        Input(ids.COMPARE_SELECT, "value"),
        Input(ids.WRITER_SELECT, "value"),
        State(ids.WRITER_SELECT, "options"),
    )
    def update_filters(
        _pathname: str | None,
        search: str | None,
        preset: object,
        start: object,
        end: object,
        compare: object,
        writer: object,
        writer_options: list | None,
    ) -> tuple:
        current = (preset, start, end, compare, writer)
        try:
            viewer = current_viewer()
        except AccessDenied:
            return (*(no_update,) * 6, HIDDEN, "", no_update)
        # The picker's options go out with its value: Dash's dropdown clears a value that
        # is not among its options, so a URL's writer= must never arrive before them.
        options: object = no_update
        if viewer.is_admin and not writer_options:
            try:
                with sessions() as session:
                    options = writer_picker_options(session, viewer)
            except Exception:
                logger.exception("writer picker options failed")
        controls = FilterState(
            preset=str(preset or ""),
            start=start if isinstance(start, str) else None,
            end=end if isinstance(end, str) else None,
            compare=str(compare or ""),
            writer=writer if isinstance(writer, int) else None,
        )
        try:
            result = sync_filters(viewer, ctx.triggered_id, search, controls, today=today_utc())
            state = result.state
            label = period_label(state.preset, state.start, state.end, state.compare)
        except Exception:  # the filter bar must never take the page down
            logger.exception("filter sync failed")
            return (*(no_update,) * 5, options, no_update, "", no_update)
        wanted = (state.preset, state.start, state.end, state.compare, state.writer)
        return (
            *(_changed(new, old) for new, old in zip(wanted, current, strict=True)),
            options,
            SHOWN if state.preset == CUSTOM else HIDDEN,
            label_parts(label),
            result.query,
        )

    app.clientside_callback(
        TOGGLE_NAV,
        Output(ids.NAV_COLLAPSE, "is_open"),
        Input(ids.NAV_TOGGLER, "n_clicks"),
        Input(ids.URL, "pathname"),
        State(ids.NAV_COLLAPSE, "is_open"),
        prevent_initial_call=True,
    )
    app.clientside_callback(REPLACE_QUERY, Input(ids.FILTER_QUERY, "data"))
    app.clientside_callback(
        FILL_EMPTY_QUERY, Input(ids.URL, "pathname"), State(ids.FILTER_QUERY, "data")
    )
