"""Admin: the experiments list (status, traffic, days running, health) and the create form."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.experiments import experiment_form
from components.feedback import loading

#: (key, label) of the metrics offered in the form (mirrors ``data.experiments.METRICS``,
#: which the callbacks check against; components may not import ``data``).
METRIC_OPTIONS = (
    ("unlock_conversion", "Unlock conversion"),
    ("chapter_completion_rate", "Chapter completion rate"),
    ("revenue_per_reader", "Revenue per reader"),
    ("reading_time", "Reading time per reader"),
    ("chapters_read", "Chapters read per reader"),
)


def layout(**_query: Any) -> Component:
    """Header, the experiments table and the new-experiment form."""
    return html.Div(
        [
            dcc.Location(id=ids.ADMIN_EXP_NEW_REDIRECT, refresh="callback-nav"),
            html.Div(
                [
                    html.H1("Experiments", className="h3 mb-1"),
                    html.P(
                        "A/B tests on covers, titles, blurbs, paywall position and release "
                        "times. Open one for its results.",
                        className="text-secondary mb-0",
                    ),
                ],
                className="mb-4",
            ),
            html.Div(id=ids.ADMIN_EXP_LIST_STATUS),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.Div(
                            [
                                html.H2("All experiments", className="h5 mb-0"),
                                dbc.Switch(
                                    id=ids.ADMIN_EXP_SHOW_ARCHIVED,
                                    label="Show archived",
                                    value=False,
                                    className="mb-0",
                                ),
                            ],
                            className="d-flex justify-content-between align-items-center mb-3",
                        ),
                        loading(html.Div(id=ids.ADMIN_EXP_LIST)),
                    ]
                ),
                className="chart-card mb-4",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H2("New experiment", className="h5 mb-3"),
                        experiment_form("new", METRIC_OPTIONS, submit_label="Create draft"),
                    ]
                ),
                className="chart-card",
            ),
        ]
    )
