"""The page shown for an unknown address."""

from __future__ import annotations

from typing import Any

from dash import html
from dash.development.base_component import Component

from components.feedback import empty_state


def layout(**_query: Any) -> Component:
    """A friendly 404 with a way back."""
    return html.Div(
        [
            empty_state(
                "Page not found",
                "This address doesn't match a page. Use the navigation above to get back.",
                icon="bi-signpost-split",
            ),
            html.Div(
                html.A("Go to your overview", href="/", className="btn btn-primary mt-3"),
                className="text-center",
            ),
        ]
    )
