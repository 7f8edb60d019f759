"""The story detail page (``/stories/<story_id>``): the story's KPIs for the period, chapter
retention by reader type with abnormal drop-offs marked, next-chapter hook rates, paywall
conversion, revenue per chapter and how the story compares with the writer's other stories
and its genre. Filled by ``callbacks.story``."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.feedback import loading

GRAPH_CONFIG = {"displaylogo": False, "responsive": True}


def _chart_card(graph_id: str, height: int, note: str, extra: Component | None = None) -> Component:
    return dbc.Card(
        dbc.CardBody(
            [
                loading(
                    dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style={"height": f"{height}px"}),
                    kind="graph",
                ),
                *([extra] if extra is not None else []),
                html.P(note, className="text-secondary small mb-0 mt-2"),
            ]
        ),
        className="chart-card h-100",
    )


def layout(story_id: str = "", **_query: Any) -> Component:
    """The page of story ``story_id`` (the path variable; validated by the callback)."""
    return html.Div(
        [
            dcc.Store(id=ids.STORY_ID, data=story_id),
            dcc.Link(
                [html.I(className="bi bi-arrow-left me-1"), "All stories"],
                href="/stories",
                className="small",
            ),
            html.Div(
                [
                    html.H1("Story", id=ids.STORY_TITLE, className="h3 mb-1"),
                    html.P(id=ids.STORY_SUBTITLE, className="text-secondary mb-0"),
                ],
                className="mt-2 mb-4",
            ),
            html.Div(id=ids.STORY_STATUS),
            html.Div(
                [
                    loading(html.Div(id=ids.STORY_KPIS, className="mb-2 kpi-grid")),
                    dbc.Row(
                        [
                            dbc.Col(
                                _chart_card(
                                    ids.STORY_RETENTION_CHART,
                                    400,
                                    "All time, since the story began: the share of readers "
                                    "who opened chapter 1 and went on to open each chapter, "
                                    "for all readers and by reader type (release-day: most "
                                    "chapters opened within a day of release; binge: three or "
                                    "more in one day; catch-up: everyone else).",
                                    html.Div(id=ids.STORY_DROPOFF_NOTE, className="mt-2"),
                                ),
                                xs=12,
                                xl=7,
                                className="mb-4",
                            ),
                            dbc.Col(
                                dbc.Card(
                                    dbc.CardBody(
                                        [
                                            html.H2("How this story compares", className="h6 mb-3"),
                                            loading(html.Div(id=ids.STORY_COMPARISON)),
                                        ]
                                    ),
                                    className="chart-card h-100",
                                ),
                                xs=12,
                                xl=5,
                                className="mb-4",
                            ),
                        ]
                    ),
                    dbc.Row(
                        [
                            dbc.Col(
                                _chart_card(
                                    ids.STORY_HOOK_CHART,
                                    340,
                                    "All time: of the readers who finished a chapter, the "
                                    "share who opened the next one within 24 hours and within "
                                    "7 days (counted from the next chapter's release for "
                                    "readers who were waiting for it).",
                                ),
                                xs=12,
                                lg=6,
                                className="mb-4",
                            ),
                            dbc.Col(
                                _chart_card(
                                    ids.STORY_PAYWALL_CHART,
                                    340,
                                    "All time: of the readers who reached each paid chapter, "
                                    "the share who unlocked it. Subscribers read without "
                                    "unlocking (see the hover).",
                                ),
                                xs=12,
                                lg=6,
                                className="mb-4",
                            ),
                        ]
                    ),
                    _chart_card(
                        ids.STORY_REVENUE_CHART,
                        340,
                        "In the selected period: revenue from events that name a chapter "
                        "(unlocks, and tips or subscriptions sent from a chapter). Revenue "
                        "sent to the story as a whole is in the Revenue card above.",
                    ),
                ],
                id=ids.STORY_CONTENT,
            ),
        ]
    )
