"""Dashboard accounts: the flask-login user object and account operations.

Passwords are hashed with werkzeug's scrypt (``data.access.hash_password``; the admin
console's audited account service lives there too). The session carries
``"<user id>.<password change time>"`` so a password reset or a disabled account ends
every existing session on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from data.access import EMAIL_PATTERN, MIN_PASSWORD_LENGTH, hash_password, normalise_email
from data.db import utcnow
from data.models import ROLES, User, Writer

__all__ = [
    "EMAIL_PATTERN",
    "MIN_PASSWORD_LENGTH",
    "AccountError",
    "AccountUser",
    "create_user",
    "load_account",
    "normalise_email",
    "verify_credentials",
]
# Checked against when the email is unknown, so both paths cost one scrypt verification.
_DUMMY_HASH = hash_password("legato-timing-equaliser")


class AccountError(ValueError):
    """An account operation was refused; the message says why, for the user."""


@dataclass(frozen=True)
class AccountUser(UserMixin):
    """The logged-in account as flask-login sees it (a snapshot, not an ORM object)."""

    id: int
    email: str
    role: str
    writer_id: int | None
    display_name: str
    active: bool
    password_changed_at: datetime

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def get_id(self) -> str:
        return f"{self.id}.{int(self.password_changed_at.timestamp())}"

    @classmethod
    def from_model(cls, user: User) -> AccountUser:
        return cls(
            id=user.id,
            email=user.email,
            role=user.role,
            writer_id=user.writer_id,
            display_name=user.display_name or user.email,
            active=user.is_active,
            password_changed_at=user.password_changed_at,
        )


def load_account(session: Session, session_id: str) -> AccountUser | None:
    """The active account for a flask-login session id, or ``None`` when the id is
    malformed, the account is gone or disabled, or its password changed since."""
    user_part, _, stamp = session_id.partition(".")
    if not user_part.isdigit() or not stamp.isdigit():
        return None
    user = session.get(User, int(user_part))
    if user is None or not user.is_active:
        return None
    if int(user.password_changed_at.timestamp()) != int(stamp):
        return None
    return AccountUser.from_model(user)


def verify_credentials(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, else ``None`` (constant work either
    way: an unknown email still costs one hash verification)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    return user


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    writer_id: int | None = None,
    display_name: str = "",
) -> User:
    """Create a dashboard account (the caller commits).

    Raises ``AccountError`` for an invalid email, a password shorter than
    ``MIN_PASSWORD_LENGTH``, an unknown role, a writer account without an existing writer,
    an admin linked to a writer, or an email already in use.
    """
    email = normalise_email(email)
    if not EMAIL_PATTERN.match(email):
        raise AccountError(f"'{email}' is not a valid email address")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, got '{role}'")
    if role == "writer":
        if writer_id is None:
            raise AccountError("a writer account needs --writer-id (the writer it belongs to)")
        if session.get(Writer, writer_id) is None:
            raise AccountError(f"there is no writer with id {writer_id}")
    elif writer_id is not None:
        raise AccountError("an admin account is not linked to a writer; omit --writer-id")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"an account with email '{email}' already exists")
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        writer_id=writer_id,
        display_name=display_name or email.split("@")[0],
        is_active=True,
        password_changed_at=utcnow().replace(microsecond=0),
    )
    session.add(user)
    session.flush()
    return user
