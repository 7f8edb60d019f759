"""The Audience page: who the readers are and whether they come back.

KPI cards (active, new and returning readers; casual / regular / loyal segments), reader
segments, new vs returning, devices, a world map and a top list of countries, age bands,
acquisition sources, and a cohort retention heat map (by first-read week, or by entry
chapter of one story).
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.feedback import loading
from components.panels import GRAPH_CONFIG, MAP_CONFIG, chart_card, note, page_header

COHORT_FIRST_WEEK = "first_week"
COHORT_ENTRY_CHAPTER = "entry_chapter"
COHORT_MODES = (
    (COHORT_FIRST_WEEK, "By first-read week"),
    (COHORT_ENTRY_CHAPTER, "By entry chapter"),
)
SEGMENT_HELP = (
    "Segments count the days each reader was active with you in the period: loyal on at "
    "least 30% of the days, regular from 10%, casual below."
)


def _cohort_controls() -> Component:
    return dbc.Row(
        [
            dbc.Col(
                dbc.RadioItems(
                    id=ids.AUDIENCE_COHORT_MODE,
                    options=[{"label": label, "value": key} for key, label in COHORT_MODES],
                    value=COHORT_FIRST_WEEK,
                    inline=True,
                    className="metric-switch",
                    inputClassName="btn-check",
                    labelClassName="btn btn-sm btn-outline-primary me-1 mb-1",
                    labelCheckedClassName="active",
                ),
                xs=12,
                md="auto",
            ),
            dbc.Col(
                html.Div(
                    [
                        dbc.Label(
                            "Story", html_for=ids.AUDIENCE_COHORT_STORY, className="me-2 mb-0"
                        ),
                        dcc.Dropdown(
                            id=ids.AUDIENCE_COHORT_STORY,
                            options=[],
                            clearable=False,
                            placeholder="Choose a story",
                            className="cohort-story-dropdown",
                        ),
                    ],
                    className="d-flex align-items-center",
                ),
                id=ids.AUDIENCE_COHORT_STORY_WRAPPER,
                xs=12,
                md=True,
                style={"display": "none"},
            ),
        ],
        className="g-2 align-items-center mb-2",
    )


def layout(**_query: Any) -> Component:
    """Header, status, KPI cards and the audience charts (filled by callbacks.audience)."""
    return html.Div(
        [
            page_header(
                "Audience",
                ids.AUDIENCE_TITLE,
                ids.AUDIENCE_SUBTITLE,
                lead="Readers active on your stories in the period: who they are, where "
                "they read from, and whether they come back.",
            ),
            html.Div(id=ids.AUDIENCE_STATUS),
            loading(html.Div(id=ids.AUDIENCE_KPIS, className="mb-2 kpi-grid")),
            dbc.Row(
                [
                    dbc.Col(
                        chart_card(
                            ids.AUDIENCE_SEGMENTS_CHART,
                            height=320,
                            footer=note(SEGMENT_HELP),
                        ),
                        xs=12,
                        md=6,
                        xl=4,
                    ),
                    dbc.Col(
                        chart_card(
                            ids.AUDIENCE_NEW_RETURNING_CHART,
                            height=320,
                            footer=note(
                                "Returning readers were also active on your stories before "
                                "the period."
                            ),
                        ),
                        xs=12,
                        md=6,
                        xl=4,
                    ),
                    dbc.Col(chart_card(ids.AUDIENCE_DEVICES_CHART, height=320), xs=12, xl=4),
                ],
                className="g-3 mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        chart_card(ids.AUDIENCE_MAP, height=380, config=MAP_CONFIG), xs=12, lg=8
                    ),
                    dbc.Col(chart_card(ids.AUDIENCE_COUNTRIES_CHART, height=380), xs=12, lg=4),
                ],
                className="g-3 mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(chart_card(ids.AUDIENCE_AGE_CHART, height=320), xs=12, md=6),
                    dbc.Col(chart_card(ids.AUDIENCE_SOURCES_CHART, height=320), xs=12, md=6),
                ],
                className="g-3 mb-3",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        _cohort_controls(),
                        loading(
                            dcc.Graph(id=ids.AUDIENCE_COHORT_CHART, config=GRAPH_CONFIG),
                            kind="graph",
                        ),
                        html.Div(id=ids.AUDIENCE_COHORT_NOTE),
                    ]
                ),
                className="chart-card mb-3",
            ),
        ]
    )
