"""Admin Real-time page: the real-time snapshot (``data.queries.realtime``) every few
seconds. Admin only: the request guard refuses these callbacks to writers (their ids start
with ``admin-``) and :func:`build_realtime` checks the role again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import plotly.graph_objects as go
from dash import Dash, Input, Output, no_update
from dash.development.base_component import Component
from sqlalchemy.orm import Session, sessionmaker

from callbacks.common import AccessDenied, Viewer, current_viewer, logger
from components import ids
from components.feedback import error_alert
from components.figures import figure as blank_figure
from components.pages.admin_realtime import REFRESH_SECONDS, quiet_state, tiles
from components.realtime_views import as_of_text, per_minute_figure, top_stories_table
from data.db import utcnow
from data.queries.realtime import realtime_snapshot

TOP_STORIES = 8
SHOWN: dict[str, str] = {}
HIDDEN = {"display": "none"}


@dataclass(frozen=True)
class RealtimeView:
    """Everything the page shows for one refresh (``quiet``: nothing in the last hour)."""

    as_of: str
    tiles: Component
    figure: go.Figure
    quiet: bool
    top_stories: Component


def build_realtime(
    session: Session,
    viewer: Viewer,
    now: datetime,
    *,
    currency: str = "USD",
    max_future: timedelta = timedelta(hours=1),
    top: int = TOP_STORIES,
) -> RealtimeView:
    """The page at ``now``: tiles (revenue in ``currency``, the reporting currency), the
    per-minute chart and the top stories. ``max_future`` is the ingest's
    ``INGEST_MAX_FUTURE_SECONDS`` (it bounds the window scans). Raises ``AccessDenied`` for
    non-admins."""
    if not viewer.is_admin:
        raise AccessDenied("administrators only")
    snapshot = realtime_snapshot(
        session, now, top=top, reporting_currency=currency, max_future=max_future
    )
    minutes = snapshot.per_minute
    quiet = int(minutes["events"].sum()) == 0 and snapshot.active_readers == 0
    figure = per_minute_figure(
        [value.to_pydatetime() for value in minutes["minute"]],
        {name: minutes[name].tolist() for name in ("events", "views", "readers")},
    )
    rows = [
        {
            "story_id": int(row.story_id),
            "title": row.title,
            "views": int(row.views),
            "readers": int(row.readers),
        }
        for row in snapshot.top_stories.itertuples()
    ]
    values: dict[str, float | None] = {
        "active_readers": snapshot.active_readers,
        "reading_now": snapshot.reading_now,
        "revenue_today": snapshot.revenue_today,
        "signups_today": snapshot.signups_today,
    }
    return RealtimeView(
        as_of=as_of_text(snapshot.as_of, REFRESH_SECONDS),
        tiles=tiles(values, currency=currency),
        figure=figure,
        quiet=quiet,
        top_stories=top_stories_table(rows),
    )


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the Real-time page's refresh onto ``app``."""
    config = app.server.config

    @app.callback(
        Output(ids.ADMIN_RT_AS_OF, "children"),
        Output(ids.ADMIN_RT_STATUS, "children"),
        Output(ids.ADMIN_RT_TILES, "children"),
        Output(ids.ADMIN_RT_CHART, "figure"),
        Output(ids.ADMIN_RT_CHART_WRAPPER, "style"),
        Output(ids.ADMIN_RT_EMPTY, "children"),
        Output(ids.ADMIN_RT_TOP, "children"),
        Input(ids.ADMIN_RT_INTERVAL, "n_intervals"),
    )
    def refresh(_n_intervals: int | None):
        try:
            viewer = current_viewer()
            with sessions() as session:
                view = build_realtime(
                    session,
                    viewer,
                    utcnow(),
                    currency=config.get("REPORTING_CURRENCY", "USD"),
                    max_future=timedelta(seconds=int(config["INGEST_MAX_FUTURE_SECONDS"])),
                )
        except AccessDenied:
            alert = error_alert("This page is for administrators only.")
            return "", alert, None, blank_figure([], {}), HIDDEN, None, None
        except Exception:
            logger.exception("real-time refresh failed")
            alert = error_alert("We couldn't refresh the real-time view; retrying shortly.")
            # Keep the last good numbers on screen under the message.
            return "Refresh failed", alert, *(no_update,) * 5
        return (
            view.as_of,
            None,
            view.tiles,
            view.figure,
            HIDDEN if view.quiet else SHOWN,
            quiet_state() if view.quiet else None,
            view.top_stories,
        )
