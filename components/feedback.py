"""Empty, error and loading states shared by every page."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components.theme import PRIMARY


def empty_state(title: str, explanation: str, *, icon: str = "bi-inbox") -> Component:
    """A friendly panel that says why there is nothing to show and what to do."""
    return html.Div(
        [
            html.I(className=f"bi {icon} empty-state-icon"),
            html.H5(title, className="mt-2 mb-1"),
            html.P(explanation, className="text-secondary mb-0"),
        ],
        className="empty-state",
        role="status",
    )


def error_alert(message: str) -> Component:
    """The in-page message shown when a callback failed (details stay in the server log).
    Bootstrap's alert carries ``role="alert"``, so screen readers announce it."""
    return dbc.Alert(
        [html.I(className="bi bi-exclamation-triangle me-2", **{"aria-hidden": "true"}), message],
        color="danger",
        className="mb-3",
    )


def loading(children: Component | list[Component], *, kind: str = "default") -> Component:
    """Wrap content in a spinner shown while its callback runs."""
    return dcc.Loading(children, type=kind, color=PRIMARY, delay_show=150)
