"""Shell callbacks: navigation by role, the user menu, the admin writer picker and the
filter bar's period label."""

from __future__ import annotations

from dash import Dash, Input, Output
from dash.development.base_component import Component
from sqlalchemy.orm import Session, sessionmaker

from callbacks.common import (
    ALL_WRITERS,
    AccessDenied,
    Viewer,
    current_viewer,
    describe_period,
    logger,
    resolve_period,
    today_utc,
)
from components import ids
from components.pages import PAGES
from components.shell import NavItem, nav_links, user_menu
from data.queries.filters import FilterError
from data.queries.overview import writer_choices

HIDDEN = {"display": "none"}
SHOWN: dict[str, str] = {}


def nav_items_for(viewer: Viewer) -> list[NavItem]:
    """The pages ``viewer`` may open, in page order (admin pages only for admins)."""
    return [
        NavItem(page.title, page.path, page.icon, admin=page.admin_only)
        for page in PAGES
        if page.in_nav and (viewer.is_admin or not page.admin_only)
    ]


def writer_picker(session: Session, viewer: Viewer, current_value: object) -> tuple[list, object]:
    """Options and value of the admin writer picker (empty for writers)."""
    if not viewer.is_admin:
        return [], None
    options = [{"label": "All writers", "value": ALL_WRITERS}] + [
        {"label": name, "value": writer_id} for writer_id, name in writer_choices(session)
    ]
    valid = {option["value"] for option in options}
    return options, current_value if current_value in valid else ALL_WRITERS


def period_label(preset: object, start: object, end: object) -> str:
    """The filter bar's description of the chosen period and its comparison."""
    try:
        period = resolve_period(preset, start, end, today_utc())
    except FilterError as error:
        return str(error)
    previous = period.previous()
    return f"{describe_period(period)} · compared with {describe_period(previous)}"


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the shell callbacks onto ``app``."""

    @app.callback(
        Output(ids.NAV, "children"),
        Output(ids.USER_MENU, "children"),
        Output(ids.WRITER_SELECT_WRAPPER, "style"),
        Output(ids.WRITER_SELECT, "options"),
        Output(ids.WRITER_SELECT, "value"),
        Output(ids.FILTER_BAR, "style"),
        Input(ids.URL, "pathname"),
        Input(ids.WRITER_SELECT, "value"),
    )
    def update_shell(pathname: str | None, writer_value: object) -> tuple:
        path = pathname or "/"
        try:
            viewer = current_viewer()
        except AccessDenied:
            return [], None, HIDDEN, [], None, HIDDEN
        links: list[Component] = nav_links(nav_items_for(viewer), path)
        on_admin_page = path.startswith("/admin")
        with sessions() as session:
            options, value = writer_picker(session, viewer, writer_value)
        picker_style = SHOWN if viewer.is_admin and not on_admin_page else HIDDEN
        return (
            links,
            user_menu(viewer.display_name, viewer.role),
            picker_style,
            options,
            value,
            SHOWN,
        )

    @app.callback(
        Output(ids.RANGE_DATES_WRAPPER, "style"),
        Output(ids.RANGE_LABEL, "children"),
        Input(ids.RANGE_PRESET, "value"),
        Input(ids.RANGE_DATES, "start_date"),
        Input(ids.RANGE_DATES, "end_date"),
    )
    def update_period(preset: object, start: object, end: object) -> tuple:
        try:
            label = period_label(preset, start, end)
        except Exception:  # a label must never break the page
            logger.exception("period label failed")
            label = ""
        return (SHOWN if preset == "custom" else HIDDEN), label
