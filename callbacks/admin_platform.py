"""Admin Platform page: platform-wide KPIs and the writers table (admin only: the
request guard refuses these callbacks to writers, and they check the role again)."""

from __future__ import annotations

from datetime import date

from dash import Dash, Input, Output
from dash.development.base_component import Component
from sqlalchemy.orm import Session, sessionmaker

from callbacks.common import (
    AccessDenied,
    Viewer,
    comparison_label,
    current_viewer,
    logger,
    resolve_period,
    today_utc,
)
from components import ids
from components.feedback import error_alert
from components.kpi import KpiCardData, kpi_row
from data.queries.filters import FilterError, Scope
from data.queries.overview import overview_kpis, writer_leaderboard


def build_platform(
    session: Session,
    viewer: Viewer,
    preset: object,
    start: object,
    end: object,
    *,
    today: date,
    currency: str = "USD",
) -> tuple[Component, list[dict]]:
    """Platform KPI cards and writer rows (revenue in major units). Raises
    ``AccessDenied`` for non-admins and ``FilterError`` for a bad period."""
    if not viewer.is_admin:
        raise AccessDenied("administrators only")
    period = resolve_period(preset, start, end, today)
    kpis = overview_kpis(session, Scope(writer_id=None), period)
    cards = [
        KpiCardData(
            kpi.key, kpi.label, kpi.unit, kpi.value, kpi.previous, kpi.change, kpi.help_text
        )
        for kpi in kpis
    ]
    board = writer_leaderboard(session, period)
    rows = [
        {
            "writer_id": int(row.writer_id),
            "writer": row.writer,
            "stories": int(row.stories),
            "views": int(row.views),
            "unique_readers": int(row.unique_readers),
            "reading_hours": round(float(row.reading_seconds) / 3600, 1),
            "completion_rate": float(row.completion_rate),
            "follows": int(row.follows),
            "revenue": round(float(row.revenue) / 100, 2),
        }
        for row in board.itertuples()
    ]
    return kpi_row(cards, currency=currency, comparison_label=comparison_label(period)), rows


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the Platform page callback onto ``app``."""

    @app.callback(
        Output(ids.ADMIN_PLATFORM_STATUS, "children"),
        Output(ids.ADMIN_PLATFORM_KPIS, "children"),
        Output(ids.ADMIN_PLATFORM_WRITERS, "rowData"),
        Input(ids.RANGE_PRESET, "value"),
        Input(ids.RANGE_DATES, "start_date"),
        Input(ids.RANGE_DATES, "end_date"),
    )
    def update_platform(preset: object, start: object, end: object):
        try:
            viewer = current_viewer()
            with sessions() as session:
                kpis, rows = build_platform(
                    session,
                    viewer,
                    preset,
                    start,
                    end,
                    today=today_utc(),
                    currency=app.server.config.get("REPORTING_CURRENCY", "USD"),
                )
        except FilterError as error:
            return error_alert(str(error)), [], []
        except AccessDenied:
            return error_alert("This page is for administrators only."), [], []
        except Exception:
            logger.exception("platform callback failed")
            return error_alert("We couldn't load the platform view. Please try again."), [], []
        return None, kpis, rows
