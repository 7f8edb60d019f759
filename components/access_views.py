"""Keys and users page pieces: the API key and account tables (with their per-row
buttons), the forms, the shown-once key box and the audit trail. Pure: plain rows in
(dicts), Dash components out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.formatting import DASH

HIDDEN = {"display": "none"}
SHOWN: dict[str, str] = {}
#: The read-key scope select's value for "the whole platform" (no writer).
PLATFORM_SCOPE = "platform"


def when(value: datetime | None, *, missing: str = DASH) -> str:
    """``"Nov 24, 2026 14:03"`` (UTC), or ``missing``."""
    return missing if value is None else f"{value:%b %-d, %Y %H:%M}"


def _field(form: str, name: str, label: str, control: Component, help_text: str = "") -> Component:
    children: list[Component] = [
        dbc.Label(label, html_for=ids.access_form_id(form, name), className="mb-1"),
        control,
        html.Div(id=ids.access_feedback_id(form, name), className="invalid-feedback d-block"),
    ]
    if help_text:
        children.append(dbc.FormText(help_text))
    return html.Div(children, className="mb-3")


def _input_field(
    form: str, name: str, label: str, *, help_text: str = "", **input_props: Any
) -> Component:
    """A text-like field of ``form``: its label, a ``dbc.Input`` with ``input_props``, its
    feedback and help."""
    return _field(
        form, name, label, dbc.Input(id=ids.access_form_id(form, name), **input_props), help_text
    )


# --------------------------------------------------------------------------- API keys


def key_scope(row: Mapping[str, Any]) -> str:
    """What a key may do, in words: the source it writes as, or the writer / platform it
    reads."""
    if row["kind"] == "write":
        return f"source {row['source']}"
    return row.get("writer") or (
        f"writer {row['writer_id']}" if row.get("writer_id") else "Platform"
    )


def kind_badge(kind: str) -> Component:
    return dbc.Badge(
        "Write" if kind == "write" else "Read",
        color="primary" if kind == "write" else "info",
        className="text-uppercase kind-badge",
    )


def keys_table(rows: Sequence[Mapping[str, Any]]) -> Component:
    """The API keys: ``rows`` have id, name, kind, prefix, source, writer_id, writer,
    created_at, created_by, last_used_at, revoked_at. Active keys get a Revoke button."""
    if not rows:
        return html.P(
            "No API keys yet: create one for each client that sends or reads data.",
            className="text-secondary mb-0",
        )
    header = html.Thead(
        html.Tr(
            [
                html.Th("Key"),
                html.Th("Kind"),
                html.Th("Scope"),
                html.Th("Created"),
                html.Th("Last used"),
                html.Th("Status"),
                html.Th(html.Span("Actions", className="visually-hidden")),
            ]
        )
    )
    body = []
    for row in rows:
        revoked = row["revoked_at"] is not None
        body.append(
            html.Tr(
                [
                    html.Td(
                        [
                            html.Div(row["name"], className="fw-semibold"),
                            html.Code(f"{row['prefix']}…", className="small key-prefix"),
                        ]
                    ),
                    html.Td(kind_badge(row["kind"])),
                    html.Td(key_scope(row), className="small"),
                    html.Td(
                        [
                            html.Div(when(row["created_at"]), className="small"),
                            html.Div(row.get("created_by") or "", className="small text-secondary"),
                        ]
                    ),
                    html.Td(when(row["last_used_at"], missing="Never"), className="small"),
                    html.Td(
                        dbc.Badge(f"Revoked {row['revoked_at']:%b %-d}", color="secondary")
                        if revoked
                        else dbc.Badge("Active", color="success")
                    ),
                    html.Td(
                        None
                        if revoked
                        else dbc.Button(
                            "Revoke",
                            id={"type": ids.ADMIN_ACCESS_REVOKE, "index": row["id"]},
                            color="danger",
                            outline=True,
                            size="sm",
                        ),
                        className="text-end",
                    ),
                ],
                className="text-secondary" if revoked else "",
                id=f"admin-access-key-row-{row['id']}",
            )
        )
    return dbc.Table(
        [header, html.Tbody(body)], hover=True, responsive=True, className="align-middle mb-0"
    )


def key_form() -> Component:
    """The new-key form: name, kind, and the source (write) or writer scope (read); the
    writer options are filled in by the page's callback."""
    form = "key"
    return html.Div(
        [
            _input_field(
                form,
                "name",
                "Name",
                help_text="What uses the key, so you know what breaks when you revoke it.",
                placeholder="e.g. iOS app",
            ),
            _field(
                form,
                "kind",
                "Kind",
                dbc.RadioItems(
                    id=ids.access_form_id(form, "kind"),
                    options=[
                        {"label": "Write: send events (ingest)", "value": "write"},
                        {"label": "Read: the read API", "value": "read"},
                    ],
                    value="write",
                ),
            ),
            html.Div(
                _input_field(
                    form,
                    "source",
                    "Source",
                    help_text="Names the client's events (their de-duplication namespace).",
                    placeholder="e.g. ios",
                ),
                id=ids.ADMIN_ACCESS_SOURCE_WRAPPER,
            ),
            html.Div(
                _field(
                    form,
                    "writer",
                    "Reads",
                    dbc.Select(
                        id=ids.access_form_id(form, "writer"),
                        options=[{"label": "The whole platform", "value": PLATFORM_SCOPE}],
                        value=PLATFORM_SCOPE,
                    ),
                ),
                id=ids.ADMIN_ACCESS_KEY_WRITER_WRAPPER,
                style=HIDDEN,
            ),
            dbc.Button(
                [html.I(className="bi bi-key me-2"), "Create key"],
                id=ids.access_form_id(form, "submit"),
                color="primary",
            ),
            html.Div(id=ids.access_form_id(form, "message")),
        ]
    )


def new_key_box() -> Component:
    """The box that shows a new key once (hidden until the callback fills it in)."""
    return html.Div(
        dbc.Alert(
            [
                html.H2(
                    [html.I(className="bi bi-shield-lock me-2"), "Copy the new key now"],
                    className="h6 alert-heading",
                ),
                html.P(
                    [
                        html.Span(id=ids.ADMIN_ACCESS_NEW_KEY_LABEL),
                        " This is the only time it is shown: Legato stores only a hash of it. "
                        "Put it in the client's secret settings.",
                    ],
                    className="mb-2 small",
                ),
                dbc.Label(
                    "New API key",
                    html_for=ids.ADMIN_ACCESS_NEW_KEY_VALUE,
                    className="visually-hidden",
                ),
                dbc.InputGroup(
                    [
                        dbc.Input(
                            id=ids.ADMIN_ACCESS_NEW_KEY_VALUE,
                            value="",
                            readonly=True,
                            className="font-monospace",
                        ),
                        dbc.InputGroupText(
                            dcc.Clipboard(
                                target_id=ids.ADMIN_ACCESS_NEW_KEY_VALUE,
                                title="Copy the key",
                                className="key-copy",
                            )
                        ),
                    ],
                    className="mb-2",
                ),
                dbc.Button(
                    "I've stored it",
                    id=ids.ADMIN_ACCESS_NEW_KEY_DONE,
                    color="success",
                    size="sm",
                ),
            ],
            color="success",
            className="mb-3",
        ),
        id=ids.ADMIN_ACCESS_NEW_KEY,
        style=HIDDEN,
    )


# --------------------------------------------------------------------------- accounts


def users_table(rows: Sequence[Mapping[str, Any]], *, current_user_id: int | None) -> Component:
    """The dashboard accounts: ``rows`` have id, email, display_name, role, writer,
    active, created_at, last_login_at. Each row has Reset password and Disable/Enable
    buttons; your own account cannot be disabled here."""
    if not rows:
        return html.P("No accounts yet.", className="text-secondary mb-0")
    header = html.Thead(
        html.Tr(
            [
                html.Th("Account"),
                html.Th("Role"),
                html.Th("Writer"),
                html.Th("Last sign-in"),
                html.Th("Status"),
                html.Th(html.Span("Actions", className="visually-hidden")),
            ]
        )
    )
    body = []
    for row in rows:
        yours = row["id"] == current_user_id
        action = "disable" if row["active"] else "enable"
        buttons: list[Component] = [
            dbc.Button(
                "Reset password",
                id={"type": ids.ADMIN_ACCESS_RESET, "index": row["id"]},
                color="secondary",
                outline=True,
                size="sm",
            )
        ]
        if not yours:
            buttons.append(
                dbc.Button(
                    "Disable" if row["active"] else "Enable",
                    id={"type": ids.ADMIN_ACCESS_TOGGLE, "index": row["id"], "action": action},
                    color="danger" if row["active"] else "success",
                    outline=True,
                    size="sm",
                    className="ms-2",
                )
            )
        body.append(
            html.Tr(
                [
                    html.Td(
                        [
                            html.Div(row["email"], className="fw-semibold"),
                            html.Div(
                                [
                                    row["display_name"],
                                    dbc.Badge(
                                        "You", color="light", className="ms-2 border text-dark"
                                    )
                                    if yours
                                    else None,
                                ],
                                className="small text-secondary",
                            ),
                        ]
                    ),
                    html.Td(row["role"].title()),
                    html.Td(row.get("writer") or DASH, className="small"),
                    html.Td(when(row["last_login_at"], missing="Never"), className="small"),
                    html.Td(
                        dbc.Badge("Active", color="success")
                        if row["active"]
                        else dbc.Badge("Disabled", color="secondary")
                    ),
                    html.Td(buttons, className="text-end text-nowrap"),
                ],
                className="" if row["active"] else "text-secondary",
                id=f"admin-access-user-row-{row['id']}",
            )
        )
    return dbc.Table(
        [header, html.Tbody(body)], hover=True, responsive=True, className="align-middle mb-0"
    )


def user_form() -> Component:
    """The new-account form (writer options filled in by the page's callback)."""
    form = "user"
    return html.Div(
        [
            _input_field(form, "email", "Email", type="email", placeholder="name@example.com"),
            _input_field(form, "display_name", "Display name", placeholder="Optional"),
            _field(
                form,
                "role",
                "Role",
                dbc.Select(
                    id=ids.access_form_id(form, "role"),
                    options=[
                        {"label": "Writer: sees their own dashboards", "value": "writer"},
                        {"label": "Admin: the whole platform and this console", "value": "admin"},
                    ],
                    value="writer",
                ),
            ),
            html.Div(
                _field(
                    form,
                    "writer",
                    "Writer",
                    dbc.Select(
                        id=ids.access_form_id(form, "writer"),
                        options=[],
                        placeholder="Choose the writer…",
                    ),
                ),
                id=ids.ADMIN_ACCESS_USER_WRITER_WRAPPER,
            ),
            _input_field(
                form,
                "password",
                "Password",
                help_text="At least 10 characters. Share it with the person privately.",
                type="password",
                autocomplete="new-password",
            ),
            dbc.Button(
                [html.I(className="bi bi-person-plus me-2"), "Create account"],
                id=ids.access_form_id(form, "submit"),
                color="primary",
            ),
            html.Div(id=ids.access_form_id(form, "message")),
        ]
    )


def reset_modal() -> Component:
    """The reset-password dialog (opened for one account by the page's callback)."""
    form = "reset"
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Reset password", id=ids.ADMIN_ACCESS_RESET_TITLE)),
            dbc.ModalBody(
                [
                    html.P(
                        "The account is signed out everywhere at once and signs in with the "
                        "new password from then on.",
                        className="small text-secondary",
                    ),
                    _input_field(
                        form,
                        "password",
                        "New password",
                        help_text="At least 10 characters.",
                        type="password",
                        autocomplete="new-password",
                    ),
                ]
            ),
            dbc.ModalFooter(
                [
                    dbc.Button(
                        "Cancel",
                        id=ids.access_form_id(form, "cancel"),
                        color="secondary",
                        outline=True,
                    ),
                    dbc.Button(
                        "Set password", id=ids.access_form_id(form, "submit"), color="primary"
                    ),
                ]
            ),
        ],
        id=ids.ADMIN_ACCESS_RESET_MODAL,
        is_open=False,
    )


# --------------------------------------------------------------------------- audit trail

AUDIT_VERBS = {
    "api_key.create": "Created API key",
    "api_key.revoke": "Revoked API key",
    "user.create": "Created account",
    "user.disable": "Disabled account",
    "user.enable": "Enabled account",
    "user.reset_password": "Reset the password of",
}


def describe_audit(action: str, details: Mapping[str, Any] | None) -> str:
    """One line for an audit row: ``"Created API key lgw_AbC… (write, source web)"``."""
    details = details or {}
    verb = AUDIT_VERBS.get(action, action)
    if action.startswith("api_key."):
        what = f"{details.get('prefix', '?')}… '{details.get('name', '')}'"
        if action == "api_key.create":
            scope = (
                f"source {details.get('source')}"
                if details.get("kind") == "write"
                else (f"writer {details['writer_id']}" if details.get("writer_id") else "platform")
            )
            what += f" ({details.get('kind')}, {scope})"
        return f"{verb} {what}"
    if action == "user.create":
        return f"{verb} {details.get('email', '?')} ({details.get('role', '?')})"
    return f"{verb} {details.get('email', '?')}"


def audit_table(entries: Sequence[Mapping[str, Any]]) -> Component:
    """Recent changes: ``entries`` have at, actor, action, details (newest first)."""
    if not entries:
        return html.P("No changes yet.", className="text-secondary mb-0")
    return dbc.Table(
        html.Tbody(
            [
                html.Tr(
                    [
                        html.Td(when(entry["at"]), className="small text-secondary text-nowrap"),
                        html.Td(entry["actor"] or DASH, className="small"),
                        html.Td(
                            describe_audit(entry["action"], entry.get("details")), className="small"
                        ),
                    ]
                )
                for entry in entries
            ]
        ),
        size="sm",
        responsive=True,
        className="align-middle mb-0",
    )
