"""The Recommendations page: ranked, evidence-backed advice for the writer (filled by
callbacks.recommendations), with a "Show dismissed" switch to bring dismissed advice back."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.feedback import loading
from components.panels import page_header


def layout(**_query: Any) -> Component:
    """Header, the dismiss/restore message area, the "Show dismissed" switch and the list."""
    return html.Div(
        [
            dcc.Store(id=ids.RECO_VERSION, data=0),
            page_header(
                "Recommendations",
                ids.RECO_TITLE,
                ids.RECO_SUBTITLE,
                lead="Concrete suggestions from your stories' numbers, most valuable first: "
                "what to change, the numbers behind it and what to expect. Dismiss what "
                "doesn't fit; it stays dismissed when recommendations are recomputed.",
            ),
            html.Div(id=ids.RECO_MESSAGE),
            dbc.Switch(
                id=ids.RECO_SHOW_DISMISSED,
                label="Show dismissed",
                value=False,
                className="mb-3",
            ),
            loading(html.Div(id=ids.RECO_LIST)),
        ]
    )
