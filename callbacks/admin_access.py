"""Admin Keys and users page (``/admin/access``): list, create and revoke API keys; list,
create, disable/enable accounts and reset passwords; the trail of those changes.

Every callback touches ``admin-`` components, so the request guard refuses them to
non-admins (403); each plain function below checks the role again (``AccessDenied``).
Changes go through ``data.access`` (validated, audited under the signed-in admin's name);
the functions here commit on success and roll back on a refusal, so invalid input changes
nothing. A new key's plaintext travels once, in the create callback's response, into a
read-only field that "I've stored it" empties; it is never kept in a store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session, sessionmaker

from callbacks.common import AccessDenied, Viewer, clicked, current_viewer, logger
from components import ids
from components.access_views import (
    HIDDEN,
    PLATFORM_SCOPE,
    SHOWN,
    audit_table,
    key_scope,
    keys_table,
    users_table,
)
from components.feedback import error_alert
from data.access import (
    AccessError,
    AccountForm,
    ApiKeyForm,
    create_account,
    issue_api_key,
    reset_account_password,
    revoke_key,
    set_account_active,
)
from data.audit import Actor
from data.queries.admin import accounts, api_keys, audit_entries
from data.queries.overview import writer_choices, writer_name

#: Form fields (``components.ids.access_form_id`` suffixes) whose values each form submits.
T = TypeVar("T")
KEY_FIELDS = ("name", "kind", "source", "writer")
USER_FIELDS = ("email", "display_name", "role", "writer", "password")
RESET_FIELDS = ("password",)
#: Fields with an ``invalid`` property (inputs and selects; radio items have none).
INVALID_FIELDS = {
    "key": ("name", "source", "writer"),
    "user": ("email", "display_name", "role", "writer", "password"),
    "reset": ("password",),
}
FEEDBACK_FIELDS = {"key": KEY_FIELDS, "user": USER_FIELDS, "reset": RESET_FIELDS}
#: Service field name -> form field.
FORM_FIELD = {"writer_id": "writer"}
AUDITED_TARGETS = ("api_key", "user")
AUDIT_ROWS = 15


def _admin(viewer: Viewer) -> Actor:
    if not viewer.is_admin:
        raise AccessDenied("administrators only")
    return Actor(user_id=viewer.user_id, label=viewer.display_name or f"user {viewer.user_id}")


# --------------------------------------------------------------------------- lists


@dataclass(frozen=True)
class AccessLists:
    """The page's tables and the writer options of its forms."""

    keys: Component
    users: Component
    audit: Component
    key_writer_options: list[dict[str, Any]]
    user_writer_options: list[dict[str, Any]]


def build_lists(session: Session, viewer: Viewer) -> AccessLists:
    """The keys, accounts and recent changes, and the writer choices (read-key scope:
    the platform or a writer; an account's writer)."""
    _admin(viewer)
    key_rows = [asdict(row) for row in api_keys(session)]
    user_rows = [asdict(row) for row in accounts(session)]
    entries = [asdict(entry) for entry in audit_entries(session, AUDITED_TARGETS, limit=AUDIT_ROWS)]
    writers = [
        {"label": name, "value": str(writer_id)} for writer_id, name in writer_choices(session)
    ]
    return AccessLists(
        keys=keys_table(key_rows),
        users=users_table(user_rows, current_user_id=viewer.user_id),
        audit=audit_table(entries),
        key_writer_options=[{"label": "The whole platform", "value": PLATFORM_SCOPE}, *writers],
        user_writer_options=writers,
    )


# --------------------------------------------------------------------------- forms


@dataclass(frozen=True)
class FormOutcome:
    """Field messages (by form field), an overall message, and on a created key its
    plaintext (shown once) and a description of it."""

    field_messages: dict[str, str]
    message: str
    ok: bool
    plaintext: str | None = None
    description: str = ""


def _refused(session: Session, error: AccessError) -> FormOutcome:
    session.rollback()
    messages = {FORM_FIELD.get(name, name): text for name, text in error.field_errors.items()}
    return FormOutcome(messages, str(error), False)


def submit_key(session: Session, viewer: Viewer, values: Mapping[str, Any]) -> FormOutcome:
    """Create an API key from the form ``values`` (``KEY_FIELDS``); commits on success
    only. A read key ignores the source field and a write key the writer field (the form
    hides them)."""
    actor = _admin(viewer)
    kind = str(values.get("kind") or "")
    form = ApiKeyForm(
        name=str(values.get("name") or ""),
        kind=kind,
        source=str(values.get("source") or "") if kind == "write" else "",
        writer_id=_read_scope(values.get("writer")) if kind == "read" else None,
    )
    try:
        key, plaintext = issue_api_key(session, form, actor)
    except AccessError as error:
        return _refused(session, error)
    session.commit()
    writer = writer_name(session, key.writer_id) if key.writer_id is not None else None
    scope = key_scope(
        {"kind": key.kind, "source": key.source, "writer_id": key.writer_id, "writer": writer}
    )
    description = f"{'Write' if key.kind == 'write' else 'Read'} key '{key.name}' ({scope})."
    return FormOutcome({}, f"Key '{key.name}' created.", True, plaintext, description)


def _read_scope(value: object) -> object:
    """The read-key scope select's value as a writer choice (``None``: the platform)."""
    return None if value in (None, "", PLATFORM_SCOPE) else value


def revoke(session: Session, viewer: Viewer, key_id: object) -> tuple[bool, str]:
    """Revoke key ``key_id``; commits on success. Returns (ok, message)."""
    actor = _admin(viewer)
    try:
        key = revoke_key(session, key_id, actor)
    except AccessError as error:
        session.rollback()
        return False, str(error)
    session.commit()
    return True, f"Key '{key.name}' ({key.prefix}…) revoked: requests with it are refused now."


def submit_user(session: Session, viewer: Viewer, values: Mapping[str, Any]) -> FormOutcome:
    """Create an account from the form ``values`` (``USER_FIELDS``); commits on success
    only. An admin account ignores the writer field (the form hides it)."""
    actor = _admin(viewer)
    role = str(values.get("role") or "")
    form = AccountForm(
        email=str(values.get("email") or ""),
        role=role,
        password=str(values.get("password") or ""),
        display_name=str(values.get("display_name") or ""),
        writer_id=values.get("writer") if role == "writer" else None,
    )
    try:
        user = create_account(session, form, actor)
    except AccessError as error:
        return _refused(session, error)
    session.commit()
    return FormOutcome({}, f"Account {user.email} created; it can sign in now.", True)


def set_active(session: Session, viewer: Viewer, user_id: object, active: bool) -> tuple[bool, str]:
    """Enable or disable account ``user_id``; commits on success. Returns (ok, message)."""
    actor = _admin(viewer)
    try:
        user = set_account_active(session, user_id, active, actor)
    except AccessError as error:
        session.rollback()
        return False, str(error)
    session.commit()
    if active:
        return True, f"{user.email} is enabled and can sign in again."
    return True, f"{user.email} is disabled and was signed out everywhere."


def submit_reset(
    session: Session, viewer: Viewer, user_id: object, values: Mapping[str, Any]
) -> FormOutcome:
    """Set a new password (``values["password"]``) for account ``user_id``; commits on
    success only."""
    actor = _admin(viewer)
    try:
        user = reset_account_password(
            session,
            user_id,
            str(values.get("password") or ""),
            actor,
        )
    except AccessError as error:
        return _refused(session, error)
    session.commit()
    if user.id == viewer.user_id:
        return FormOutcome({}, "Your password changed: sign in again with the new one.", True)
    return FormOutcome(
        {}, f"New password set for {user.email}; their other sessions have ended.", True
    )


def feedback_outputs(form: str, outcome: FormOutcome | None) -> list[Any]:
    """Messages for ``FEEDBACK_FIELDS[form]``, ``invalid`` flags for
    ``INVALID_FIELDS[form]``, then the form's overall alert (``None`` for a clean form)."""
    messages = outcome.field_messages if outcome else {}
    feedback = [messages.get(name, "") for name in FEEDBACK_FIELDS[form]]
    invalid = [name in messages for name in INVALID_FIELDS[form]]
    alert = None
    if outcome is not None:
        alert = dbc.Alert(
            outcome.message, color="success" if outcome.ok else "danger", className="mt-3 mb-0 py-2"
        )
    return [*feedback, *invalid, alert]


def _alert(ok: bool, message: str) -> Component:
    return dbc.Alert(
        message, color="success" if ok else "danger", dismissable=True, className="py-2"
    )


# --------------------------------------------------------------------------- wiring


def _form_outputs(form: str, *, duplicate: bool = False) -> list[Output]:
    outputs = [
        Output(ids.access_feedback_id(form, name), "children", allow_duplicate=duplicate)
        for name in FEEDBACK_FIELDS[form]
    ]
    outputs += [
        Output(ids.access_form_id(form, name), "invalid", allow_duplicate=duplicate)
        for name in INVALID_FIELDS[form]
    ]
    if form != "reset":
        outputs.append(Output(ids.access_form_id(form, "message"), "children"))
    return outputs


def _form_states(form: str, fields: tuple[str, ...]) -> list[State]:
    return [State(ids.access_form_id(form, name), "value") for name in fields]


ADMINS_ONLY = "Administrators only."


def _failed(message: str) -> tuple[bool, str]:
    return False, message


def _form_failed(message: str) -> FormOutcome:
    return FormOutcome({}, message, False)


def attempt(
    sessions: sessionmaker[Session],
    action: Callable[[Session, Viewer], T],
    *,
    what: str,
    refused: Callable[[str], T],
) -> T:
    """Run ``action`` for the signed-in account in a new session and return its result.
    Not signed in as an admin: ``refused("Administrators only.")``; any other error is
    logged with its traceback and becomes ``refused("We couldn't <what>. Please try
    again.")`` (the browser never sees a traceback)."""
    try:
        viewer = current_viewer()
        with sessions() as session:
            return action(session, viewer)
    except AccessDenied:
        return refused(ADMINS_ONLY)
    except Exception:
        logger.exception("could not %s", what)
        return refused(f"We couldn't {what}. Please try again.")


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the Keys and users page's callbacks onto ``app``."""

    @app.callback(
        Output(ids.ADMIN_ACCESS_KEYS, "children"),
        Output(ids.ADMIN_ACCESS_USERS, "children"),
        Output(ids.ADMIN_ACCESS_AUDIT, "children"),
        Output(ids.access_form_id("key", "writer"), "options"),
        Output(ids.access_form_id("user", "writer"), "options"),
        Output(ids.ADMIN_ACCESS_STATUS, "children"),
        Input(ids.ADMIN_ACCESS_VERSION, "data"),
    )
    def load(_version: int):
        try:
            viewer = current_viewer()
            with sessions() as session:
                lists = build_lists(session, viewer)
        except AccessDenied:
            return None, None, None, [], [], error_alert("This page is for administrators only.")
        except Exception:
            logger.exception("access lists failed")
            alert = error_alert("We couldn't load the keys and accounts. Please try again.")
            return None, None, None, no_update, no_update, alert
        return (
            lists.keys,
            lists.users,
            lists.audit,
            lists.key_writer_options,
            lists.user_writer_options,
            None,
        )

    # Show the source (write key) or the writer scope (read key); a writer account's link.
    app.clientside_callback(
        """
        function (kind) {
            const hidden = {display: "none"};
            return kind === "read" ? [hidden, {}] : [{}, hidden];
        }
        """,
        Output(ids.ADMIN_ACCESS_SOURCE_WRAPPER, "style"),
        Output(ids.ADMIN_ACCESS_KEY_WRITER_WRAPPER, "style"),
        Input(ids.access_form_id("key", "kind"), "value"),
    )
    app.clientside_callback(
        """
        function (role) { return role === "admin" ? {display: "none"} : {}; }
        """,
        Output(ids.ADMIN_ACCESS_USER_WRITER_WRAPPER, "style"),
        Input(ids.access_form_id("user", "role"), "value"),
    )

    @app.callback(
        *_form_outputs("key"),
        Output(ids.ADMIN_ACCESS_NEW_KEY, "style"),
        Output(ids.ADMIN_ACCESS_NEW_KEY_VALUE, "value"),
        Output(ids.ADMIN_ACCESS_NEW_KEY_LABEL, "children"),
        Output(ids.access_form_id("key", "name"), "value"),
        Output(ids.access_form_id("key", "source"), "value"),
        Output(ids.ADMIN_ACCESS_VERSION, "data", allow_duplicate=True),
        Input(ids.access_form_id("key", "submit"), "n_clicks"),
        *_form_states("key", KEY_FIELDS),
        State(ids.ADMIN_ACCESS_VERSION, "data"),
        prevent_initial_call=True,
    )
    def create_key(n_clicks: int | None, *args: Any):
        if not n_clicks:
            raise PreventUpdate
        *values, version = args
        fields = dict(zip(KEY_FIELDS, values, strict=True))
        outcome = attempt(
            sessions,
            lambda session, viewer: submit_key(session, viewer, fields),
            what="create the key",
            refused=_form_failed,
        )
        if not outcome.ok:
            return [*feedback_outputs("key", outcome), *(no_update,) * 6]
        return [
            *feedback_outputs("key", outcome),
            SHOWN,
            outcome.plaintext,
            outcome.description,
            "",
            "",
            (version or 0) + 1,
        ]

    @app.callback(
        Output(ids.ADMIN_ACCESS_NEW_KEY, "style", allow_duplicate=True),
        Output(ids.ADMIN_ACCESS_NEW_KEY_VALUE, "value", allow_duplicate=True),
        Input(ids.ADMIN_ACCESS_NEW_KEY_DONE, "n_clicks"),
        prevent_initial_call=True,
    )
    def forget_key(n_clicks: int | None):
        if not n_clicks:
            raise PreventUpdate
        return HIDDEN, ""

    @app.callback(
        Output(ids.ADMIN_ACCESS_REVOKE_CONFIRM, "message"),
        Output(ids.ADMIN_ACCESS_REVOKE_CONFIRM, "displayed"),
        Output(ids.ADMIN_ACCESS_REVOKE_PENDING, "data"),
        Input({"type": ids.ADMIN_ACCESS_REVOKE, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def ask_revoke(_clicks: list[int | None]):
        if not clicked():
            raise PreventUpdate
        key_id = ctx.triggered_id["index"]
        message = (
            "Revoke this API key? Clients using it are refused from the next request, "
            "and it can't be restored (create a new key instead)."
        )
        return message, True, key_id

    @app.callback(
        Output(ids.ADMIN_ACCESS_KEY_MESSAGE, "children"),
        Output(ids.ADMIN_ACCESS_VERSION, "data", allow_duplicate=True),
        Input(ids.ADMIN_ACCESS_REVOKE_CONFIRM, "submit_n_clicks"),
        State(ids.ADMIN_ACCESS_REVOKE_PENDING, "data"),
        State(ids.ADMIN_ACCESS_VERSION, "data"),
        prevent_initial_call=True,
    )
    def confirm_revoke(submitted: int | None, key_id: object, version: int | None):
        if not submitted or key_id is None:
            raise PreventUpdate
        ok, message = attempt(
            sessions,
            lambda session, viewer: revoke(session, viewer, key_id),
            what="revoke the key",
            refused=_failed,
        )
        return _alert(ok, message), (version or 0) + 1

    @app.callback(
        *_form_outputs("user"),
        Output(ids.access_form_id("user", "password"), "value"),
        Output(ids.ADMIN_ACCESS_VERSION, "data", allow_duplicate=True),
        Input(ids.access_form_id("user", "submit"), "n_clicks"),
        *_form_states("user", USER_FIELDS),
        State(ids.ADMIN_ACCESS_VERSION, "data"),
        prevent_initial_call=True,
    )
    def create_user(n_clicks: int | None, *args: Any):
        if not n_clicks:
            raise PreventUpdate
        *values, version = args
        fields = dict(zip(USER_FIELDS, values, strict=True))
        outcome = attempt(
            sessions,
            lambda session, viewer: submit_user(session, viewer, fields),
            what="create the account",
            refused=_form_failed,
        )
        return [
            *feedback_outputs("user", outcome),
            "" if outcome.ok else no_update,
            (version or 0) + 1 if outcome.ok else no_update,
        ]

    @app.callback(
        Output(ids.ADMIN_ACCESS_DISABLE_CONFIRM, "message"),
        Output(ids.ADMIN_ACCESS_DISABLE_CONFIRM, "displayed"),
        Output(ids.ADMIN_ACCESS_DISABLE_PENDING, "data"),
        Output(ids.ADMIN_ACCESS_USER_MESSAGE, "children", allow_duplicate=True),
        Output(ids.ADMIN_ACCESS_VERSION, "data", allow_duplicate=True),
        Input({"type": ids.ADMIN_ACCESS_TOGGLE, "index": ALL, "action": ALL}, "n_clicks"),
        State(ids.ADMIN_ACCESS_VERSION, "data"),
        prevent_initial_call=True,
    )
    def toggle(_clicks: list[int | None], version: int | None):
        if not clicked():
            raise PreventUpdate
        user_id = ctx.triggered_id["index"]
        if ctx.triggered_id.get("action") == "disable":
            message = (
                "Disable this account? It is signed out everywhere at once and can't sign "
                "in until an admin enables it again."
            )
            return message, True, user_id, no_update, no_update
        ok, text = attempt(
            sessions,
            lambda session, viewer: set_active(session, viewer, user_id, True),
            what="enable the account",
            refused=_failed,
        )
        return no_update, False, no_update, _alert(ok, text), (version or 0) + 1

    @app.callback(
        Output(ids.ADMIN_ACCESS_USER_MESSAGE, "children", allow_duplicate=True),
        Output(ids.ADMIN_ACCESS_VERSION, "data", allow_duplicate=True),
        Input(ids.ADMIN_ACCESS_DISABLE_CONFIRM, "submit_n_clicks"),
        State(ids.ADMIN_ACCESS_DISABLE_PENDING, "data"),
        State(ids.ADMIN_ACCESS_VERSION, "data"),
        prevent_initial_call=True,
    )
    def confirm_disable(submitted: int | None, user_id: object, version: int | None):
        if not submitted or user_id is None:
            raise PreventUpdate
        ok, message = attempt(
            sessions,
            lambda session, viewer: set_active(session, viewer, user_id, False),
            what="disable the account",
            refused=_failed,
        )
        return _alert(ok, message), (version or 0) + 1

    @app.callback(
        Output(ids.ADMIN_ACCESS_RESET_MODAL, "is_open"),
        Output(ids.ADMIN_ACCESS_RESET_USER, "data"),
        Output(ids.ADMIN_ACCESS_RESET_TITLE, "children"),
        Output(ids.access_form_id("reset", "password"), "value"),
        *_form_outputs("reset"),
        Input({"type": ids.ADMIN_ACCESS_RESET, "index": ALL}, "n_clicks"),
        Input(ids.access_form_id("reset", "cancel"), "n_clicks"),
        prevent_initial_call=True,
    )
    def open_reset(_clicks: list[int | None], _cancel: int | None):
        if not clicked():
            raise PreventUpdate
        clean = feedback_outputs("reset", None)[:-1]
        if ctx.triggered_id == ids.access_form_id("reset", "cancel"):
            return False, None, no_update, "", *clean
        user_id = ctx.triggered_id["index"]
        try:
            viewer = current_viewer()
            _admin(viewer)
            with sessions() as session:
                email = next((row.email for row in accounts(session) if row.id == user_id), None)
        except AccessDenied:
            raise PreventUpdate from None
        if email is None:
            raise PreventUpdate
        return True, user_id, f"Reset the password of {email}", "", *clean

    @app.callback(
        *_form_outputs("reset", duplicate=True),
        Output(ids.ADMIN_ACCESS_RESET_MODAL, "is_open", allow_duplicate=True),
        Output(ids.access_form_id("reset", "password"), "value", allow_duplicate=True),
        Output(ids.ADMIN_ACCESS_USER_MESSAGE, "children", allow_duplicate=True),
        Output(ids.ADMIN_ACCESS_VERSION, "data", allow_duplicate=True),
        Input(ids.access_form_id("reset", "submit"), "n_clicks"),
        State(ids.ADMIN_ACCESS_RESET_USER, "data"),
        *_form_states("reset", RESET_FIELDS),
        State(ids.ADMIN_ACCESS_VERSION, "data"),
        prevent_initial_call=True,
    )
    def save_reset(
        n_clicks: int | None, user_id: object, password: str | None, version: int | None
    ):
        if not n_clicks or user_id is None:
            raise PreventUpdate
        outcome = attempt(
            sessions,
            lambda session, viewer: submit_reset(session, viewer, user_id, {"password": password}),
            what="set the password",
            refused=_form_failed,
        )
        fields = feedback_outputs("reset", outcome)[:-1]
        if not outcome.ok:
            if not outcome.field_messages:
                fields[0] = outcome.message
            return [*fields, no_update, no_update, no_update, no_update]
        return [*fields, False, "", _alert(True, outcome.message), (version or 0) + 1]
