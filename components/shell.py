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
COMPARE_CHOICES = (
    ("previous", "Previous period"),
    ("year", "Same period last year"),
)
DEFAULT_COMPARE = "previous"


@dataclass(frozen=True)
class NavItem:
    """One navigation entry; ``admin`` entries are shown to admins only."""

    label: str
    href: str
    icon: str
    admin: bool = False
    #: A count shown as a badge after the label (e.g. unread alerts); nothing when 0/None.
    badge: int | None = None


def _is_active(item: NavItem, active_path: str) -> bool:
    return active_path == item.href or (item.href != "/" and active_path.startswith(item.href))


def _nav_label(item: NavItem) -> list[Component]:
    label: list[Component] = [html.I(className=f"bi {item.icon} me-1"), item.label]
    if item.badge:
        shown = f"{item.badge:,}" if item.badge < 100 else "99+"
        label.append(
            dbc.Badge(
                shown,
                color="danger",
                pill=True,
                className="ms-1 shell-nav-badge",
                title=f"{item.badge:,} unread",
            )
        )
        label.append(html.Span(f" ({item.badge:,} unread)", className="visually-hidden"))
    return label


def nav_links(items: list[NavItem], active_path: str) -> list[Component]:
    """Navigation: a link per page for the writer pages, then the admin pages (if any)
    under one "Admin" menu, with the current page (and the menu holding it) marked active."""
    links: list[Component] = [
        dbc.NavItem(
            dbc.NavLink(
                _nav_label(item),
                href=item.href,
                active=_is_active(item, active_path),
                className="shell-nav-link",
            )
        )
        for item in items
        if not item.admin
    ]
    admin_items = [item for item in items if item.admin]
    if admin_items:
        links.append(
            dbc.DropdownMenu(
                [
                    dbc.DropdownMenuItem(
                        _nav_label(item),
                        href=item.href,
                        active=_is_active(item, active_path),
                        className="shell-admin-item",
                    )
                    for item in admin_items
                ],
                label=[html.I(className="bi bi-shield-lock me-1"), "Admin"],
                id=ids.ADMIN_MENU,
                nav=True,
                in_navbar=True,
                align_end=False,
                toggle_class_name="shell-nav-link"
                + (" active" if any(_is_active(item, active_path) for item in admin_items) else ""),
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


def _labelled(label: str, control_id: str, control: Component) -> Component:
    return html.Div(
        [dbc.Label(label, html_for=control_id, className="me-2 mb-0 shell-filter-label"), control],
        className="d-flex align-items-center",
    )


#: The period controls' wrapper: ``display: contents`` keeps its columns in the filter row.
PERIOD_CONTROLS_SHOWN = {"display": "contents"}


def _writer_picker_column() -> Component:
    return dbc.Col(
        _labelled(
            "Writer",
            ids.WRITER_SELECT,
            dcc.Dropdown(
                id=ids.WRITER_SELECT,
                options=[],
                clearable=False,
                placeholder="Choose a writer",
                className="shell-writer-dropdown",
            ),
        ),
        id=ids.WRITER_SELECT_WRAPPER,
        xs=12,
        md="auto",
        style={"display": "none"},
    )


def _select(
    control_id: str, choices: tuple[tuple[str, str], ...], value: str, css: str
) -> Component:
    return dbc.Select(
        id=control_id,
        options=[{"label": label, "value": key} for key, label in choices],
        value=value,
        className=css,
    )


def _period_columns() -> list[Component]:
    return [
        dbc.Col(
            _labelled(
                "Period",
                ids.RANGE_PRESET,
                _select(ids.RANGE_PRESET, RANGE_PRESETS, DEFAULT_PRESET, "shell-range-select"),
            ),
            xs=12,
            sm="auto",
        ),
        dbc.Col(
            dcc.DatePickerRange(
                id=ids.RANGE_DATES,
                display_format="MMM D, YYYY",
                minimum_nights=0,
                start_date_placeholder_text="Start date",
                end_date_placeholder_text="End date",
                updatemode="bothdates",
            ),
            id=ids.RANGE_DATES_WRAPPER,
            xs=12,
            sm="auto",
            style={"display": "none"},
        ),
        dbc.Col(
            _labelled(
                "Compare with",
                ids.COMPARE_SELECT,
                _select(
                    ids.COMPARE_SELECT, COMPARE_CHOICES, DEFAULT_COMPARE, "shell-compare-select"
                ),
            ),
            xs=12,
            sm="auto",
        ),
        dbc.Col(
            html.Span(
                id=ids.RANGE_LABEL, className="text-secondary small", **{"aria-live": "polite"}
            ),
            xs=12,
            xl=True,
            className="text-xl-end",
        ),
    ]


def filter_bar() -> Component:
    """The shared filters: the writer being viewed (admins, on writer pages), the period
    (presets or a custom range) and the comparison period (on pages that use them).
    ``callbacks.shell`` keeps them in the URL query string
    (``?range=28d&compare=previous&writer=2``), so the controls carry no browser-side
    persistence of their own, and shows each part only where the page uses it."""
    return html.Div(
        dbc.Container(
            [
                dcc.Store(id=ids.FILTER_QUERY),
                dbc.Row(
                    [
                        _writer_picker_column(),
                        html.Div(
                            _period_columns(), id=ids.PERIOD_CONTROLS, style=PERIOD_CONTROLS_SHOWN
                        ),
                    ],
                    className="g-2 align-items-center",
                ),
            ],
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
            dcc.Store(id=ids.NAV_REFRESH, data=0),
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
                        dbc.NavbarToggler(id=ids.NAV_TOGGLER, n_clicks=0),
                        dbc.Collapse(
                            [
                                dbc.Nav(id=ids.NAV, className="me-auto", navbar=True),
                                html.Div(id=ids.USER_MENU),
                            ],
                            id=ids.NAV_COLLAPSE,
                            is_open=False,
                            navbar=True,
                        ),
                    ],
                    fluid="xxl",
                ),
                color="white",
                className="shell-navbar border-bottom",
                expand="xl",
                dark=False,
            ),
            filter_bar(),
            html.Main(dbc.Container(dash.page_container, fluid="xxl", className="py-4")),
        ],
        className="shell",
    )
