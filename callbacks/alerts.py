"""Alerts page: the stored alerts of the viewer's scope (``data.queries.alerts``, written
by the ``alerts`` job) as a notification list, and "Mark as read" / "Mark all as read".

Scope: a writer always sees and marks their own alerts, whatever the writer picker value or
a forged button id says (the scope comes from the signed-in account, and marking is limited
in SQL to that scope's alerts, so another writer's alert id marks nothing). An admin sees
the alerts of the writer picked in the picker, and the platform's alerts on "All writers".
The read mark belongs to the alerts' owner: admins mark platform alerts; a writer's alerts
are marked read by that writer only (an admin looking at them does not clear the writer's
"New" badges). The period filter does not apply: the list shows the newest alerts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session, sessionmaker

from callbacks.common import (
    AccessDenied,
    Viewer,
    clicked,
    current_viewer,
    error_message,
    friendly_errors,
    resolve_scope,
)
from callbacks.page_context import reporting_currency, scope_name
from components import ids
from components.alert_views import AlertEntry, alerts_list, no_alerts_state
from components.pages.alerts import UNREAD
from data.queries.alerts import AlertItem, list_alerts, mark_alerts_read
from data.queries.filters import FilterError, Scope

logger = logging.getLogger("legato.callbacks")
READ_ONLY_NOTE = "Only {who} can mark these alerts as read; you are seeing them as an admin."


@dataclass(frozen=True)
class AlertsView:
    """What the list callback puts on the page: subtitle, a status line (or ``None``), the
    list (or its empty state) and whether "Mark all as read" is disabled."""

    subtitle: str
    status: Component | None
    content: Component
    mark_all_disabled: bool


def entry(item: AlertItem) -> AlertEntry:
    """The list entry of one stored alert."""
    numbers = tuple(
        int(release["number"])
        for release in item.releases
        if isinstance(release.get("number"), int) and not isinstance(release.get("number"), bool)
    )
    return AlertEntry(
        id=item.id,
        metric=item.metric,
        day=item.day,
        direction=item.direction,
        observed=item.observed,
        expected=item.expected,
        expected_low=item.expected_low,
        expected_high=item.expected_high,
        severity=item.severity,
        score=item.score,
        source_kind=item.source_kind,
        source_label=item.source_label,
        source_share=item.source_share,
        story_id=item.story_id,
        story_title=item.story_title,
        created_at=item.created_at,
        unread=item.unread,
        release_numbers=numbers,
    )


def can_mark(viewer: Viewer, scope: Scope) -> bool:
    """Whether ``viewer`` may mark ``scope``'s alerts read: a writer their own (the only
    scope they get), an admin the platform's."""
    if viewer.is_admin:
        return scope.is_platform
    return scope.writer_id is not None and scope.writer_id == viewer.writer_id


def build_alerts(
    session: Session,
    viewer: Viewer,
    requested_writer: object,
    show: object,
    *,
    currency: str = "USD",
) -> AlertsView:
    """The subtitle, status, list and button state for ``viewer`` (writers: always their
    own alerts; admins: the picked writer's, or the platform's). Raises ``AccessDenied``."""
    scope = resolve_scope(viewer, requested_writer)
    who = scope_name(session, scope)
    unread_only = show == UNREAD
    listing = list_alerts(session, scope, unread_only=unread_only)
    markable = can_mark(viewer, scope)
    counts = (
        f"{listing.unread} unread of {listing.total} alert{'s' if listing.total != 1 else ''}"
        if listing.total
        else "no alerts"
    )
    subtitle = f"{who} · {counts}"
    status = None
    if not markable and listing.unread:
        status = dbc.Alert(
            [
                dbc.Badge("Read-only", color="secondary", className="me-2"),
                READ_ONLY_NOTE.format(who=who),
            ],
            color="light",
            className="py-2 small",
        )
    if not listing.items:
        return AlertsView(
            subtitle,
            status,
            no_alerts_state(
                unread_only=unread_only and listing.total > 0, platform=scope.is_platform
            ),
            True,
        )
    content = alerts_list(
        [entry(item) for item in listing.items], currency=currency, can_mark=markable
    )
    return AlertsView(subtitle, status, content, not (markable and listing.unread))


def mark_read(
    session: Session, viewer: Viewer, requested_writer: object, alert_id: object | None
) -> tuple[bool, str]:
    """Mark one alert (``alert_id``) or all unread alerts (``None``) of the viewer's scope
    read and commit. Returns (ok, message). An id that is not an unread alert of that
    scope (another writer's, a made-up one) marks nothing; admins may not mark a writer's
    alerts (see the module docstring)."""
    try:
        scope = resolve_scope(viewer, requested_writer)
        if not can_mark(viewer, scope):
            raise AccessDenied(f"only {scope_name(session, scope)} can mark their alerts as read")
        marked = mark_alerts_read(
            session,
            scope,
            user_id=viewer.user_id,
            alert_ids=None if alert_id is None else [alert_id],
        )
    except (AccessDenied, FilterError) as error:
        session.rollback()
        return False, error_message(error)
    session.commit()
    if alert_id is not None:
        if not marked:
            return False, "That alert is not one of your unread alerts; nothing was changed."
        return True, "Marked as read."
    if not marked:
        return True, "There were no unread alerts."
    return True, f"Marked {marked} alert{'s' if marked != 1 else ''} as read."


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the Alerts callbacks onto ``app``."""

    @app.callback(
        Output(ids.ALERTS_SUBTITLE, "children"),
        Output(ids.ALERTS_STATUS, "children"),
        Output(ids.ALERTS_LIST, "children"),
        Output(ids.ALERTS_MARK_ALL, "disabled"),
        Input(ids.WRITER_SELECT, "value"),
        Input(ids.ALERTS_SHOW, "value"),
        Input(ids.ALERTS_VERSION, "data"),
    )
    @friendly_errors("your alerts", lambda alert: ("", alert, None, True))
    def update_alerts(writer, show, _version) -> tuple:
        viewer = current_viewer()
        with sessions() as session:
            view = build_alerts(session, viewer, writer, show, currency=reporting_currency(app))
        return view.subtitle, view.status, view.content, view.mark_all_disabled

    @app.callback(
        Output(ids.ALERTS_MESSAGE, "children"),
        Output(ids.ALERTS_VERSION, "data"),
        Output(ids.NAV_REFRESH, "data"),
        Input(ids.ALERTS_MARK_ALL, "n_clicks"),
        Input({"type": ids.ALERTS_MARK_ONE, "index": ALL}, "n_clicks"),
        State(ids.WRITER_SELECT, "value"),
        State(ids.ALERTS_VERSION, "data"),
        prevent_initial_call=True,
    )
    def mark(_all, _one, writer, version) -> tuple:
        if not clicked():
            raise PreventUpdate
        trigger = ctx.triggered_id
        alert_id = None if trigger == ids.ALERTS_MARK_ALL else trigger["index"]
        try:
            viewer = current_viewer()
            with sessions() as session:
                ok, message = mark_read(session, viewer, writer, alert_id)
        except AccessDenied as error:
            ok, message = False, error_message(error)
        except Exception:
            logger.exception("marking alerts read failed")
            ok, message = False, "We couldn't save that. Please try again."
        alert: Component = dbc.Alert(
            message,
            color="success" if ok else "warning",
            dismissable=True,
            duration=6000,
            className="py-2",
            id="alerts-message-alert",
        )
        # The navigation's unread badge is recounted too.
        return alert, (version or 0) + 1, (version or 0) + 1
