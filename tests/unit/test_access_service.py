"""The admin console's account and API key service (``data.access``) on SQLite and
PostgreSQL: validation with field messages that change nothing, the audit trail, and the
session stamp that ends existing sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from app.auth.accounts import load_account
from app.auth.api_keys import find_active_key
from data.access import (
    AccessError,
    AccountForm,
    ApiKeyForm,
    create_account,
    issue_api_key,
    next_session_stamp,
    reset_account_password,
    revoke_key,
    set_account_active,
)
from data.audit import Actor
from data.db import utcnow
from data.models import ApiKey, AuditLog, User, Writer
from tests.factories import ACCOUNTS, add_accounts

ADMIN = Actor(user_id=3, label="Admin")


@pytest.fixture
def accounts(session):
    """Writers 1 and 2, and the accounts of ``tests.factories`` (ada=1, bram=2, admin=3)."""
    joined = datetime(2026, 1, 1)
    session.add_all(
        [
            Writer(id=1, handle="ada", display_name="Ada Quill", joined_at=joined),
            Writer(id=2, handle="bram", display_name="Bram Stoker-Lite", joined_at=joined),
        ]
    )
    session.flush()
    add_accounts(session)
    session.commit()
    return session


def _count(session, model) -> int:
    return int(session.scalar(select(func.count()).select_from(model)))


def _audit(session) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).order_by(AuditLog.id)))


# --------------------------------------------------------------------------- accounts


def test_create_account_is_audited_and_can_sign_in(accounts) -> None:
    user = create_account(
        accounts,
        AccountForm(
            email=" New.Writer@Example.com ",
            role="writer",
            password="a-long-password",
            display_name="New Writer",
            writer_id="2",
        ),
        ADMIN,
    )
    accounts.commit()
    assert (user.email, user.role, user.writer_id, user.is_active) == (
        "new.writer@example.com",
        "writer",
        2,
        True,
    )
    assert check_password_hash(user.password_hash, "a-long-password")
    (entry,) = _audit(accounts)
    assert (entry.action, entry.target_type, entry.target_id) == (
        "user.create",
        "user",
        str(user.id),
    )
    assert (entry.actor_user_id, entry.actor_label) == (3, "Admin")
    assert entry.details == {"email": "new.writer@example.com", "role": "writer", "writer_id": 2}
    assert "a-long-password" not in str(entry.details)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (AccountForm("not-an-email", "admin", "long-enough-pw"), "email", "not a valid email"),
        (AccountForm("", "admin", "long-enough-pw"), "email", "Enter the email"),
        (AccountForm(ACCOUNTS.writer_email, "admin", "long-enough-pw"), "email", "already exists"),
        (AccountForm("x@example.com", "owner", "long-enough-pw"), "role", "Pick a role"),
        (AccountForm("x@example.com", "writer", "long-enough-pw"), "writer_id", "needs the writer"),
        (AccountForm("x@example.com", "writer", "long-enough-pw", writer_id=99), "writer_id", "no writer with id 99"),
        (AccountForm("x@example.com", "writer", "long-enough-pw", writer_id="abc"), "writer_id", "Pick a writer"),
        (AccountForm("x@example.com", "admin", "long-enough-pw", writer_id=1), "writer_id", "not linked to a writer"),
        (AccountForm("x@example.com", "admin", "short"), "password", "at least 10 characters"),
        (AccountForm("x@example.com", "admin", "p" * 1025), "password", "at most 1,024"),
        (AccountForm("x@example.com", "admin", "long-enough-pw", "n" * 129), "display_name", "at most 128"),
    ],
)  # fmt: skip
def test_invalid_account_gets_field_messages_and_changes_nothing(
    accounts, form: AccountForm, field: str, message: str
) -> None:
    before = _count(accounts, User)
    with pytest.raises(AccessError) as raised:
        create_account(accounts, form, ADMIN)
    assert message in raised.value.field_errors[field]
    accounts.rollback()
    assert _count(accounts, User) == before
    assert _audit(accounts) == []


def test_disable_ends_sessions_and_enable_does_not_revive_them(accounts) -> None:
    ada = accounts.scalar(select(User).where(User.email == ACCOUNTS.writer_email))
    old_session_id = f"{ada.id}.{int(ada.password_changed_at.timestamp())}"
    assert load_account(accounts, old_session_id) is not None

    set_account_active(accounts, ada.id, False, ADMIN)
    accounts.commit()
    assert ada.is_active is False
    assert load_account(accounts, old_session_id) is None

    set_account_active(accounts, ada.id, True, ADMIN)
    accounts.commit()
    assert ada.is_active is True
    assert load_account(accounts, old_session_id) is None  # the stamp moved on disable
    fresh = f"{ada.id}.{int(ada.password_changed_at.timestamp())}"
    assert load_account(accounts, fresh) is not None
    assert [entry.action for entry in _audit(accounts)] == ["user.disable", "user.enable"]

    set_account_active(accounts, ada.id, True, ADMIN)  # already enabled: nothing to do
    assert len(_audit(accounts)) == 2


def test_you_cannot_disable_yourself_or_the_last_admin(accounts) -> None:
    with pytest.raises(AccessError, match="your own account"):
        set_account_active(accounts, 3, False, ADMIN)
    other_admin = Actor(user_id=None, label="ops")
    with pytest.raises(AccessError, match="last active admin"):
        set_account_active(accounts, 3, False, other_admin)
    with pytest.raises(AccessError, match="no account with id 404"):
        set_account_active(accounts, 404, False, ADMIN)
    accounts.rollback()
    assert accounts.get(User, 3).is_active is True
    assert _audit(accounts) == []


def test_reset_password_ends_sessions_even_within_the_same_second(accounts) -> None:
    bram = accounts.scalar(select(User).where(User.email == ACCOUNTS.other_writer_email))
    bram.password_changed_at = utcnow().replace(microsecond=0)  # changed "just now"
    accounts.commit()
    old_session_id = f"{bram.id}.{int(bram.password_changed_at.timestamp())}"

    with pytest.raises(AccessError) as raised:
        reset_account_password(accounts, bram.id, "short", ADMIN)
    assert "at least 10" in raised.value.field_errors["password"]
    accounts.rollback()
    assert load_account(accounts, old_session_id) is not None

    reset_account_password(accounts, bram.id, "brand-new-password", ADMIN)
    accounts.commit()
    assert check_password_hash(bram.password_hash, "brand-new-password")
    assert load_account(accounts, old_session_id) is None
    (entry,) = _audit(accounts)
    assert entry.action == "user.reset_password"
    assert "brand-new-password" not in str(entry.details)


def test_next_session_stamp_always_moves_forward() -> None:
    now = datetime(2026, 11, 24, 12, 0, 0, 700_000)
    assert next_session_stamp(None, now) == datetime(2026, 11, 24, 12, 0, 0)
    assert next_session_stamp(datetime(2026, 11, 24, 12, 0, 0), now) == datetime(
        2026, 11, 24, 12, 0, 1
    )
    assert next_session_stamp(datetime(2026, 11, 24, 11, 0), now) == datetime(2026, 11, 24, 12)
    later = datetime(2026, 11, 24, 13, 0, 0)  # a clock that went backwards
    assert next_session_stamp(later, now) == later + timedelta(seconds=1)


# --------------------------------------------------------------------------- API keys


def test_issue_write_key_works_once_shown_and_audits_only_the_prefix(accounts) -> None:
    key, plaintext = issue_api_key(accounts, ApiKeyForm("iOS app", "write", source="ios"), ADMIN)
    accounts.commit()
    assert plaintext.startswith("lgw_")
    assert len(plaintext) > 40
    assert key.prefix == plaintext[:12]
    assert plaintext not in (key.key_hash, key.prefix)
    assert (key.source, key.writer_id, key.created_by_id) == ("ios", None, 3)
    assert find_active_key(accounts, plaintext, "write").id == key.id
    (entry,) = _audit(accounts)
    assert entry.action == "api_key.create"
    assert entry.details == {
        "name": "iOS app",
        "kind": "write",
        "prefix": key.prefix,
        "source": "ios",
        "writer_id": None,
    }
    assert plaintext not in str(entry.details)


def test_issue_read_keys_for_a_writer_and_the_platform(accounts) -> None:
    writer_key, writer_plain = issue_api_key(
        accounts, ApiKeyForm("Ada BI", "read", writer_id="1"), ADMIN
    )
    platform_key, _ = issue_api_key(accounts, ApiKeyForm("Warehouse", "read", writer_id=""), ADMIN)
    accounts.commit()
    assert writer_plain.startswith("lgr_")
    assert (writer_key.writer_id, writer_key.source) == (1, None)
    assert (platform_key.writer_id, platform_key.source) == (None, None)
    assert find_active_key(accounts, writer_plain, "read").id == writer_key.id


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (ApiKeyForm(" ", "write", source="ios"), "name", "Name the key"),
        (ApiKeyForm("x" * 129, "write", source="ios"), "name", "at most 128"),
        (ApiKeyForm("x", "admin"), "kind", "Pick a kind"),
        (ApiKeyForm("x", "write"), "source", "needs a source"),
        (ApiKeyForm("x", "write", source="Bad Source!"), "source", "needs a source"),
        (ApiKeyForm("x", "write", source="ios", writer_id=1), "writer_id", "not a writer"),
        (ApiKeyForm("x", "read", source="ios"), "source", "has no source"),
        (ApiKeyForm("x", "read", writer_id=42), "writer_id", "no writer with id 42"),
    ],
)
def test_invalid_key_gets_field_messages_and_changes_nothing(
    accounts, form: ApiKeyForm, field: str, message: str
) -> None:
    with pytest.raises(AccessError) as raised:
        issue_api_key(accounts, form, ADMIN)
    assert message in raised.value.field_errors[field]
    accounts.rollback()
    assert _count(accounts, ApiKey) == 0
    assert _audit(accounts) == []


def test_revoke_key_is_audited_and_refused_twice(accounts) -> None:
    key, plaintext = issue_api_key(accounts, ApiKeyForm("web", "write", source="web"), ADMIN)
    accounts.commit()
    revoke_key(accounts, key.id, ADMIN)
    accounts.commit()
    assert key.revoked_at is not None
    assert find_active_key(accounts, plaintext, "write") is None
    with pytest.raises(AccessError, match="already revoked"):
        revoke_key(accounts, key.id, ADMIN)
    with pytest.raises(AccessError, match="no API key with id 999"):
        revoke_key(accounts, 999, ADMIN)
    accounts.rollback()
    assert [entry.action for entry in _audit(accounts)] == ["api_key.create", "api_key.revoke"]
