"""The Revenue page: what the writer earned, from which source, on which days and from
which stories; the revenue forecast's place (filled once the forecasting job exists)."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html
from dash.development.base_component import Component

from components import ids
from components.feedback import loading
from components.panels import chart_card, page_header

FORECAST_PENDING = (
    "Revenue forecasts appear here once the forecasting job has run for you; until then "
    "this page shows your revenue history only."
)


def forecast_message(message: str = FORECAST_PENDING) -> list[Component | str]:
    """The forecast panel's text: where the forecast stands, or what the chart shows."""
    return [html.I(className="bi bi-graph-up-arrow me-2"), html.Strong("Forecast: "), message]


def forecast_note() -> Component:
    """The panel that tells the writer where the forecast stands (callbacks.revenue
    replaces the text), and the forecast chart, shown once there is a stored forecast."""
    return html.Div(
        [
            dbc.Alert(
                forecast_message(),
                color="light",
                className="forecast-note mb-3 border",
                id=ids.REVENUE_FORECAST_NOTE,
            ),
            html.Div(
                chart_card(ids.REVENUE_FORECAST_CHART, height=360),
                id=ids.REVENUE_FORECAST_WRAPPER,
                className="mb-3",
                style={"display": "none"},
            ),
        ]
    )


def layout(**_query: Any) -> Component:
    """Header, status, KPI cards, revenue by source over time, the source mix and
    revenue by story (filled by callbacks.revenue)."""
    return html.Div(
        [
            page_header(
                "Revenue",
                ids.REVENUE_TITLE,
                ids.REVENUE_SUBTITLE,
                lead="Chapter unlocks, tips and subscriptions on your stories, in your "
                "reporting currency.",
            ),
            html.Div(id=ids.REVENUE_STATUS),
            loading(html.Div(id=ids.REVENUE_KPIS, className="mb-2 kpi-grid")),
            dbc.Row(
                [
                    dbc.Col(chart_card(ids.REVENUE_SOURCES_CHART, height=380), xs=12, xl=8),
                    dbc.Col(chart_card(ids.REVENUE_MIX_CHART, height=380), xs=12, xl=4),
                ],
                className="g-3 mb-3",
            ),
            forecast_note(),
            chart_card(ids.REVENUE_STORIES_CHART, height=None),
        ]
    )
