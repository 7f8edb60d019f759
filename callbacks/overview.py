"""Overview page: KPI cards and the daily chart for the viewer's scope and period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import plotly.graph_objects as go
from dash import Dash, Input, Output
from dash.development.base_component import Component
from sqlalchemy.orm import Session, sessionmaker

from callbacks.common import (
    AccessDenied,
    Viewer,
    comparison_label,
    current_viewer,
    describe_period,
    logger,
    resolve_period,
    resolve_scope,
    today_utc,
)
from components import ids
from components.feedback import empty_state, error_alert
from components.figures import daily_metric_figure, empty_figure
from components.formatting import CURRENCY_SYMBOLS
from components.kpi import KpiCardData, kpi_row
from components.pages.overview import CHART_METRICS
from data.queries.filters import FilterError
from data.queries.overview import KPI_SPECS, daily_series, overview_kpis, writer_name

UNITS = {spec.key: spec.unit for spec in KPI_SPECS}
LABELS = dict(CHART_METRICS)
NO_DATA_HELP = (
    "Nothing was read in this period. Try a longer period, or check that your reading "
    "apps send events to Legato (see the API guide)."
)


@dataclass(frozen=True)
class OverviewView:
    """Everything the Overview callback puts on the page."""

    subtitle: str
    status: Component | None
    kpis: Component
    figure: go.Figure


def build_overview(
    session: Session,
    viewer: Viewer,
    requested_writer: object,
    preset: object,
    start: object,
    end: object,
    metric: object,
    *,
    today: date,
    currency: str = "USD",
) -> OverviewView:
    """Compute the Overview for ``viewer``. The scope comes from the account (writers) or
    the picker (admins only). Raises ``AccessDenied`` and ``FilterError``."""
    scope = resolve_scope(viewer, requested_writer)
    period = resolve_period(preset, start, end, today)
    if scope.is_platform:
        who = "All writers"
    else:
        name = writer_name(session, scope.writer_id)
        if name is None:
            raise AccessDenied(f"there is no writer with id {scope.writer_id}")
        who = name
    kpis = overview_kpis(session, scope, period)
    cards = [
        KpiCardData(
            kpi.key, kpi.label, kpi.unit, kpi.value, kpi.previous, kpi.change, kpi.help_text
        )
        for kpi in kpis
    ]
    label = comparison_label(period)
    subtitle = f"{who} · {describe_period(period)}"
    metric_key = metric if metric in UNITS else "views"
    current = daily_series(session, scope, period)
    has_data = any(kpi.value for kpi in kpis if kpi.key != "completion_rate")
    if not has_data:
        figure = empty_figure(f"Daily {LABELS[metric_key].lower()}", "No activity in this period")
        status = empty_state("No reading activity yet", NO_DATA_HELP, icon="bi-book")
    else:
        previous = daily_series(session, scope, period.previous())
        figure = daily_metric_figure(
            current[metric_key],
            previous[metric_key],
            metric_key=metric_key,
            metric_label=LABELS[metric_key],
            unit=UNITS[metric_key],
            currency_symbol=CURRENCY_SYMBOLS.get(currency, "$"),
            partial_last_day=period.end == today,
        )
        status = None
    return OverviewView(
        subtitle, status, kpi_row(cards, currency=currency, comparison_label=label), figure
    )


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the Overview callback onto ``app``."""

    @app.callback(
        Output(ids.OVERVIEW_SUBTITLE, "children"),
        Output(ids.OVERVIEW_STATUS, "children"),
        Output(ids.OVERVIEW_KPIS, "children"),
        Output(ids.OVERVIEW_CHART, "figure"),
        Input(ids.WRITER_SELECT, "value"),
        Input(ids.RANGE_PRESET, "value"),
        Input(ids.RANGE_DATES, "start_date"),
        Input(ids.RANGE_DATES, "end_date"),
        Input(ids.OVERVIEW_METRIC, "value"),
    )
    def update_overview(writer: object, preset: object, start: object, end: object, metric: object):
        blank = empty_figure("Daily activity", "")
        try:
            viewer = current_viewer()
            with sessions() as session:
                view = build_overview(
                    session,
                    viewer,
                    writer,
                    preset,
                    start,
                    end,
                    metric,
                    today=today_utc(),
                    currency=app.server.config.get("REPORTING_CURRENCY", "USD"),
                )
        except FilterError as error:
            return "", error_alert(str(error)), [], blank
        except AccessDenied as error:
            return "", error_alert(f"You can't see this: {error}."), [], blank
        except Exception:
            logger.exception("overview callback failed")
            return "", error_alert("We couldn't load your overview. Please try again."), [], blank
        return view.subtitle, view.status, view.kpis, view.figure
