"""The application shell: top navigation, the shared filter bar and the page container.

The shell is the same for every account; the navigation items, the user menu and the
writer picker are filled in by ``callbacks.shell`` from the logged-in account, so this
layout does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids

RANGE_PRESETS = (
    ("7d", "Last 7 days"),
    ("28d", "Last 28 days"),
    ("90d", "Last 90 days"),
    ("custom", "Custom range"),
)
DEFAULT_PRESET = "28d"


@dataclass(frozen=True)
class NavItem:
    """One navigation entry; ``admin`` entries are shown to admins only."""

    label: str
    href: str
    icon: str
    admin: bool = False


def nav_links(items: list[NavItem], active_path: str) -> list[Component]:
    """Navigation links with the current page marked active."""
    links = []
    for item in items:
        active = active_path == item.href or (
            item.href != "/" and active_path.startswith(item.href)
        )
        links.append(
            dbc.NavItem(
                dbc.NavLink(
                    [html.I(className=f"bi {item.icon} me-1"), item.label],
                    href=item.href,
                    active=active,
                    className="shell-nav-link",
                )
            )
        )
    return links


def user_menu(display_name: str, role: str) -> Component:
    """The signed-in account and a sign-out link."""
    return dbc.DropdownMenu(
        [
            dbc.DropdownMenuItem(f"Signed in as {display_name}", header=True),
            dbc.DropdownMenuItem(f"Role: {role}", disabled=True),
            dbc.DropdownMenuItem(divider=True),
            dbc.DropdownMenuItem(
                [html.I(className="bi bi-box-arrow-right me-2"), "Sign out"],
                href="/logout",
                external_link=True,
                id="shell-sign-out",
            ),
        ],
        label=display_name,
        align_end=True,
        color="light",
        size="sm",
        toggle_class_name="shell-user-toggle",
    )


def filter_bar() -> Component:
    """Date range (presets or custom) and, for admins, the writer being viewed."""
    return html.Div(
        dbc.Container(
            dbc.Row(
                [
                    dbc.Col(
                        html.Div(
                            [
                                dbc.Label(
                                    "Writer", html_for=ids.WRITER_SELECT, className="me-2 mb-0"
                                ),
                                dcc.Dropdown(
                                    id=ids.WRITER_SELECT,
                                    options=[],
                                    clearable=False,
                                    placeholder="Choose a writer",
                                    className="shell-writer-dropdown",
                                    persistence=True,
                                    persistence_type="session",
                                ),
                            ],
                            className="d-flex align-items-center",
                        ),
                        id=ids.WRITER_SELECT_WRAPPER,
                        xs=12,
                        md="auto",
                        style={"display": "none"},
                    ),
                    dbc.Col(
                        html.Div(
                            [
                                dbc.Label(
                                    "Period", html_for=ids.RANGE_PRESET, className="me-2 mb-0"
                                ),
                                dbc.Select(
                                    id=ids.RANGE_PRESET,
                                    options=[
                                        {"label": label, "value": key}
                                        for key, label in RANGE_PRESETS
                                    ],
                                    value=DEFAULT_PRESET,
                                    persistence=True,
                                    persistence_type="session",
                                    className="shell-range-select",
                                ),
                            ],
                            className="d-flex align-items-center",
                        ),
                        xs=12,
                        md="auto",
                    ),
                    dbc.Col(
                        dcc.DatePickerRange(
                            id=ids.RANGE_DATES,
                            display_format="MMM D, YYYY",
                            minimum_nights=0,
                            persistence=True,
                            persistence_type="session",
                        ),
                        id=ids.RANGE_DATES_WRAPPER,
                        xs=12,
                        md="auto",
                        style={"display": "none"},
                    ),
                    dbc.Col(
                        html.Span(id=ids.RANGE_LABEL, className="text-secondary small"),
                        xs=12,
                        md=True,
                        className="text-md-end",
                    ),
                ],
                className="g-2 align-items-center",
            ),
            fluid="xxl",
        ),
        id=ids.FILTER_BAR,
        className="shell-filter-bar",
    )


def layout() -> Component:
    """The whole-app layout (called per page load; no I/O)."""
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh=False),
            dbc.Navbar(
                dbc.Container(
                    [
                        dbc.NavbarBrand(
                            [
                                html.Span(
                                    html.I(className="bi bi-bar-chart-line-fill"),
                                    className="brand-mark",
                                ),
                                html.Span("Legato Analytics", className="ms-2"),
                            ],
                            href="/",
                            className="d-flex align-items-center",
                        ),
                        dbc.NavbarToggler(id="shell-nav-toggler"),
                        dbc.Collapse(
                            [
                                dbc.Nav(id=ids.NAV, className="me-auto", navbar=True),
                                html.Div(id=ids.USER_MENU),
                            ],
                            id="shell-nav-collapse",
                            navbar=True,
                        ),
                    ],
                    fluid="xxl",
                ),
                color="white",
                className="shell-navbar border-bottom",
                expand="md",
            ),
            filter_bar(),
            html.Main(dbc.Container(dash.page_container, fluid="xxl", className="py-4")),
        ],
        className="shell",
    )
