"""Admin: keys and users. API keys (create: shown once; revoke: confirmed), dashboard
accounts (create, disable/enable, reset password) and the trail of these changes."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.access_views import key_form, new_key_box, reset_modal, user_form
from components.feedback import loading


def _section(
    title: str, subtitle: str, table_id: str, message_id: str, form_title: str, form: Component
) -> Component:
    return dbc.Card(
        dbc.CardBody(
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.H2(title, className="h5 mb-1"),
                            html.P(subtitle, className="small text-secondary mb-3"),
                            html.Div(id=message_id),
                            loading(html.Div(id=table_id)),
                        ],
                        xl=8,
                        className="mb-3 mb-xl-0",
                    ),
                    dbc.Col(
                        html.Div(
                            [html.H3(form_title, className="h6 mb-3"), form],
                            className="access-form",
                        ),
                        xl=4,
                    ),
                ],
                className="g-4",
            )
        ),
        className="chart-card mb-4",
    )


def layout(**_query: Any) -> Component:
    """Header, the keys section (with the shown-once box), the accounts section, the
    recent changes, and the confirmation dialogs."""
    return html.Div(
        [
            dcc.Store(id=ids.ADMIN_ACCESS_VERSION, data=0),
            dcc.Store(id=ids.ADMIN_ACCESS_REVOKE_PENDING),
            dcc.Store(id=ids.ADMIN_ACCESS_DISABLE_PENDING),
            dcc.Store(id=ids.ADMIN_ACCESS_RESET_USER),
            dcc.ConfirmDialog(id=ids.ADMIN_ACCESS_REVOKE_CONFIRM),
            dcc.ConfirmDialog(id=ids.ADMIN_ACCESS_DISABLE_CONFIRM),
            reset_modal(),
            html.Div(
                [
                    html.H1("Keys and users", className="h3 mb-1"),
                    html.P(
                        "Who and what may use Legato: API keys for clients, accounts for "
                        "people. Every change is recorded below.",
                        className="text-secondary mb-0",
                    ),
                ],
                className="mb-4",
            ),
            html.Div(id=ids.ADMIN_ACCESS_STATUS),
            new_key_box(),
            _section(
                "API keys",
                "Write keys send events to the ingest API as one source; read keys read one "
                "writer's numbers, or the platform's, through the read API.",
                ids.ADMIN_ACCESS_KEYS,
                ids.ADMIN_ACCESS_KEY_MESSAGE,
                "New API key",
                key_form(),
            ),
            _section(
                "Accounts",
                "People who sign in to the dashboards. A disabled account is signed out at "
                "once and can't sign in until it is enabled again.",
                ids.ADMIN_ACCESS_USERS,
                ids.ADMIN_ACCESS_USER_MESSAGE,
                "New account",
                user_form(),
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H2("Recent changes", className="h5 mb-3"),
                        html.Div(id=ids.ADMIN_ACCESS_AUDIT),
                    ]
                ),
                className="chart-card",
            ),
        ]
    )
