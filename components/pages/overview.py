"""The writer Overview page: KPI cards for the period and a daily chart."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.feedback import loading

CHART_METRICS = (
    ("views", "Views"),
    ("unique_readers", "Unique readers"),
    ("reading_seconds", "Reading hours"),
    ("completion_rate", "Completion rate"),
    ("follows", "New followers"),
    ("revenue", "Revenue"),
)


def layout(**_query: Any) -> Component:
    """Header, status area, KPI grid and the daily chart with its metric switch."""
    return html.Div(
        [
            html.Div(
                [
                    html.H1("Overview", id=ids.OVERVIEW_TITLE, className="h3 mb-1"),
                    html.P(id=ids.OVERVIEW_SUBTITLE, className="text-secondary mb-0"),
                ],
                className="mb-4",
            ),
            html.Div(id=ids.OVERVIEW_STATUS),
            loading(html.Div(id=ids.OVERVIEW_KPIS, className="mb-2 kpi-grid")),
            dbc.Card(
                dbc.CardBody(
                    [
                        dbc.RadioItems(
                            id=ids.OVERVIEW_METRIC,
                            options=[
                                {"label": label, "value": key} for key, label in CHART_METRICS
                            ],
                            value="views",
                            inline=True,
                            className="metric-switch mb-2",
                            inputClassName="btn-check",
                            labelClassName="btn btn-sm btn-outline-primary me-1 mb-1",
                            labelCheckedClassName="active",
                        ),
                        loading(
                            dcc.Graph(
                                id=ids.OVERVIEW_CHART,
                                config={"displaylogo": False, "responsive": True},
                                style={"height": "380px"},
                            ),
                            kind="graph",
                        ),
                    ]
                ),
                className="chart-card",
            ),
        ]
    )
