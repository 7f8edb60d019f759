"""Accounts and API keys: the shared primitives, and the admin console's audited service.

Primitives (used by ``app.auth`` for sign-in, key checks and the CLI, and by the service
below, so there is one definition of each): email normalisation and pattern, password
hashing (werkzeug scrypt), the key format (``lgw_…`` write / ``lgr_…`` read, 40 url-safe
random characters) and its stored SHA-256 digest and display prefix.

Service contracts (the admin console's Keys and users page):

- Every function takes the caller's ``Session`` and never commits; the caller commits or
  rolls back, so a change and its ``audit_log`` row (:func:`data.audit.record_audit`) land
  together.
- Invalid input raises :class:`AccessError` whose ``field_errors`` maps form fields
  (``email``, ``display_name``, ``role``, ``writer_id``, ``password``; ``name``, ``kind``,
  ``source``) to messages for the user; a refused action (unknown id, disabling yourself or
  the last active admin, revoking a revoked key) raises it with a top-level message only.
  Either way nothing has been added to or changed in the session.
- Audit details never hold a password or a key (only the key's display prefix).
- Ids (``user_id``, ``key_id``) may come straight from a form: an int or a string of
  digits; anything else is an unknown id.
- Ending sessions: a flask-login session id embeds ``users.password_changed_at`` (whole
  seconds), so a password reset and a disable move that stamp forward by at least one
  second. A reset ends existing sessions at once; a disabled account is refused on its next
  request, and its old sessions stay dead after it is enabled again.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from data.audit import Actor, record_audit
from data.db import utcnow
from data.models import API_KEY_KINDS, ROLES, ApiKey, User, Writer

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_LENGTH = 254
MIN_PASSWORD_LENGTH = 10
#: The sign-in form accepts passwords up to this length, so longer ones could never sign in.
MAX_PASSWORD_LENGTH = 1024
MAX_DISPLAY_NAME_LENGTH = 128
MAX_KEY_NAME_LENGTH = 128

KEY_PREFIXES = {"write": "lgw_", "read": "lgr_"}
SOURCE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
DISPLAY_PREFIX_LENGTH = 12


# --------------------------------------------------------------------------- primitives


def normalise_email(email: str) -> str:
    """Lower-cased, trimmed email; the form accounts are stored and looked up in."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """The stored form of ``password`` (werkzeug scrypt, salted)."""
    return generate_password_hash(password, method="scrypt")


def hash_key(plaintext: str) -> str:
    """The stored digest of a presented API key."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KeyMaterial:
    """A new key: the plaintext (shown once, never stored), its display prefix and digest."""

    plaintext: str
    prefix: str
    digest: str


def new_key_material(kind: str) -> KeyMaterial:
    """Fresh random key material for a ``write`` or ``read`` key (``KeyError`` otherwise)."""
    plaintext = KEY_PREFIXES[kind] + secrets.token_urlsafe(30)
    return KeyMaterial(plaintext, plaintext[:DISPLAY_PREFIX_LENGTH], hash_key(plaintext))


def next_session_stamp(previous: datetime | None, now: datetime) -> datetime:
    """A ``password_changed_at`` value that differs from ``previous`` in whole seconds
    (session ids carry whole seconds): ``now`` truncated, at least ``previous`` + 1 s."""
    stamp = now.replace(microsecond=0)
    if previous is not None and stamp <= previous.replace(microsecond=0):
        stamp = previous.replace(microsecond=0) + timedelta(seconds=1)
    return stamp


# --------------------------------------------------------------------------- service


class AccessError(ValueError):
    """An account or key change was refused; ``field_errors`` maps form fields to messages
    (empty for a refusal that concerns no single field)."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = dict(field_errors or {})


def _invalid(errors: dict[str, str]) -> AccessError:
    return AccessError("Fix the highlighted fields.", errors)


def _as_id(value: object) -> int | None:
    """A form's id value (a writer choice, a row id) as an int; ``None`` for an empty
    choice (no writer / the platform). Raises ``ValueError`` for anything else."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ValueError(value)


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable for an account, or ``None``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH:,} characters."
    return None


@dataclass(frozen=True)
class AccountForm:
    """The new-account form as submitted (raw: checked by :func:`validate_account`).
    ``writer_id`` is the writer a ``writer`` account belongs to."""

    email: str
    role: str
    password: str
    display_name: str = ""
    writer_id: object = None


def validate_account(session: Session, form: AccountForm) -> dict[str, str]:
    """Field messages for ``form`` (empty when it can be created): a valid, unused email;
    a role of ``ROLES``; a writer account linked to an existing writer and an admin to none;
    a password of ``MIN_PASSWORD_LENGTH`` to ``MAX_PASSWORD_LENGTH`` characters."""
    errors: dict[str, str] = {}
    email = normalise_email(form.email or "")
    if not email:
        errors["email"] = "Enter the email the person signs in with."
    elif len(email) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.match(email):
        errors["email"] = f"'{email}' is not a valid email address."
    elif session.scalar(select(User.id).where(User.email == email)) is not None:
        errors["email"] = "An account with this email already exists."
    if len((form.display_name or "").strip()) > MAX_DISPLAY_NAME_LENGTH:
        errors["display_name"] = f"Use at most {MAX_DISPLAY_NAME_LENGTH} characters."
    try:
        writer_id = _as_id(form.writer_id)
    except ValueError:
        writer_id = None
        errors["writer_id"] = "Pick a writer from the list."
    if form.role not in ROLES:
        errors["role"] = "Pick a role: admin or writer."
    elif form.role == "writer" and "writer_id" not in errors:
        if writer_id is None:
            errors["writer_id"] = "A writer account needs the writer it belongs to."
        elif session.get(Writer, writer_id) is None:
            errors["writer_id"] = f"There is no writer with id {writer_id}."
    elif form.role == "admin" and writer_id is not None:
        errors["writer_id"] = "An admin account is not linked to a writer; clear this field."
    if (problem := password_problem(form.password or "")) is not None:
        errors["password"] = problem
    return errors


def create_account(session: Session, form: AccountForm, actor: Actor) -> User:
    """Create an active dashboard account from ``form`` and audit it (``user.create``).
    Raises ``AccessError`` with field errors (see :func:`validate_account`). Flushes."""
    errors = validate_account(session, form)
    if errors:
        raise _invalid(errors)
    email = normalise_email(form.email)
    user = User(
        email=email,
        password_hash=hash_password(form.password),
        role=form.role,
        writer_id=_as_id(form.writer_id) if form.role == "writer" else None,
        display_name=(form.display_name or "").strip() or email.split("@")[0],
        is_active=True,
        created_at=utcnow(),
        password_changed_at=next_session_stamp(None, utcnow()),
    )
    session.add(user)
    session.flush()
    record_audit(
        session,
        actor,
        "user.create",
        "user",
        user.id,
        {"email": user.email, "role": user.role, "writer_id": user.writer_id},
    )
    session.flush()
    return user


def _account(session: Session, user_id: object) -> User:
    try:
        key = _as_id(user_id)
    except ValueError:
        key = None
    user = session.get(User, key) if key is not None else None
    if user is None:
        raise AccessError(f"There is no account with id {user_id}.")
    return user


def set_account_active(session: Session, user_id: object, active: bool, actor: Actor) -> User:
    """Enable or disable account ``user_id`` and audit it (``user.enable`` /
    ``user.disable``); disabling also moves the session stamp (module docstring). Asking
    for the state the account is already in changes and audits nothing. Raises
    ``AccessError`` for an unknown account, for disabling your own account, and for
    disabling the last active admin. Flushes."""
    user = _account(session, user_id)
    if user.is_active == active:
        return user
    if not active:
        if actor.user_id is not None and user.id == actor.user_id:
            raise AccessError("You can't disable your own account.")
        if user.role == "admin":
            active_admins = session.scalar(
                select(func.count())
                .select_from(User)
                .where(User.role == "admin", User.is_active.is_(True))
            )
            if (active_admins or 0) <= 1:
                raise AccessError("This is the last active admin account; it stays enabled.")
        user.password_changed_at = next_session_stamp(user.password_changed_at, utcnow())
    user.is_active = active
    record_audit(
        session,
        actor,
        "user.enable" if active else "user.disable",
        "user",
        user.id,
        {"email": user.email},
    )
    session.flush()
    return user


def reset_account_password(session: Session, user_id: object, password: str, actor: Actor) -> User:
    """Set a new password for account ``user_id`` (ending its existing sessions) and audit
    it (``user.reset_password``, without the password). Raises ``AccessError`` with a
    ``password`` field error for an unacceptable password, and for an unknown account.
    Flushes."""
    user = _account(session, user_id)
    if (problem := password_problem(password or "")) is not None:
        raise _invalid({"password": problem})
    user.password_hash = hash_password(password)
    user.password_changed_at = next_session_stamp(user.password_changed_at, utcnow())
    record_audit(session, actor, "user.reset_password", "user", user.id, {"email": user.email})
    session.flush()
    return user


@dataclass(frozen=True)
class ApiKeyForm:
    """The new-key form as submitted: a ``write`` key for a ``source``, or a ``read`` key
    for one writer (``writer_id``) or the whole platform (``writer_id`` empty)."""

    name: str
    kind: str
    source: str = ""
    writer_id: object = None


def validate_api_key(session: Session, form: ApiKeyForm) -> dict[str, str]:
    """Field messages for ``form`` (empty when the key can be created): a name; a kind of
    ``API_KEY_KINDS``; a write key with a valid ``source`` (``SOURCE_PATTERN``) and no
    writer; a read key without a source and with no writer or an existing one."""
    errors: dict[str, str] = {}
    name = (form.name or "").strip()
    if not name:
        errors["name"] = "Name the key after what uses it (e.g. 'iOS app')."
    elif len(name) > MAX_KEY_NAME_LENGTH:
        errors["name"] = f"Use at most {MAX_KEY_NAME_LENGTH} characters."
    source = (form.source or "").strip()
    try:
        writer_id = _as_id(form.writer_id)
    except ValueError:
        writer_id = None
        errors["writer_id"] = "Pick a writer from the list."
    if form.kind not in API_KEY_KINDS:
        errors["kind"] = "Pick a kind: write (ingest) or read (read API)."
    elif form.kind == "write":
        if not SOURCE_PATTERN.match(source):
            errors["source"] = (
                "A write key needs a source: 1-64 characters of a-z, 0-9, '_', '.', '-', "
                "starting with a letter or digit."
            )
        if writer_id is not None:
            errors["writer_id"] = "A write key is scoped to a source, not a writer."
    else:
        if source:
            errors["source"] = "A read key has no source; it reads one writer or the platform."
        if writer_id is not None and session.get(Writer, writer_id) is None:
            errors["writer_id"] = f"There is no writer with id {writer_id}."
    return errors


def issue_api_key(session: Session, form: ApiKeyForm, actor: Actor) -> tuple[ApiKey, str]:
    """Create a key from ``form``, audit it (``api_key.create``, with the display prefix
    only) and return ``(row, plaintext)``; the plaintext is never stored. Raises
    ``AccessError`` with field errors (see :func:`validate_api_key`). Flushes."""
    errors = validate_api_key(session, form)
    if errors:
        raise _invalid(errors)
    material = new_key_material(form.kind)
    write = form.kind == "write"
    key = ApiKey(
        name=form.name.strip(),
        kind=form.kind,
        prefix=material.prefix,
        key_hash=material.digest,
        source=(form.source or "").strip() if write else None,
        writer_id=None if write else _as_id(form.writer_id),
        created_by_id=actor.user_id,
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    record_audit(
        session,
        actor,
        "api_key.create",
        "api_key",
        key.id,
        {
            "name": key.name,
            "kind": key.kind,
            "prefix": key.prefix,
            "source": key.source,
            "writer_id": key.writer_id,
        },
    )
    session.flush()
    return key, material.plaintext


def revoke_key(session: Session, key_id: object, actor: Actor) -> ApiKey:
    """Revoke key ``key_id`` and audit it (``api_key.revoke``); requests with it are
    refused from then on. Raises ``AccessError`` for an unknown or already revoked key.
    Flushes."""
    try:
        number = _as_id(key_id)
    except ValueError:
        number = None
    key = session.get(ApiKey, number) if number is not None else None
    if key is None:
        raise AccessError(f"There is no API key with id {key_id}.")
    if key.revoked_at is not None:
        raise AccessError(f"Key {key.prefix}… was already revoked.")
    key.revoked_at = utcnow()
    record_audit(
        session,
        actor,
        "api_key.revoke",
        "api_key",
        key.id,
        {"name": key.name, "kind": key.kind, "prefix": key.prefix},
    )
    session.flush()
    return key
