"""API keys: creation (shown once), lookup by the presented key, revocation.

A key looks like ``lgw_<40 url-safe chars>`` (write) or ``lgr_…`` (read). Only its
SHA-256 digest is stored, with a short display prefix. Write keys are scoped to a
``source`` (the dedupe namespace of the events they send); read keys to one writer or,
with no writer, the whole platform.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.db import utcnow
from data.models import API_KEY_KINDS, ApiKey, Writer

KEY_PREFIXES = {"write": "lgw_", "read": "lgr_"}
SOURCE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
DISPLAY_PREFIX_LENGTH = 12


class ApiKeyError(ValueError):
    """A key could not be created or changed; the message says why."""


def hash_key(plaintext: str) -> str:
    """The stored digest of a presented key."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_api_key(
    session: Session,
    *,
    name: str,
    kind: str,
    source: str | None = None,
    writer_id: int | None = None,
    created_by_id: int | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return ``(row, plaintext)``; the plaintext is never stored.

    Raises ``ApiKeyError`` for an empty name, an unknown kind, a write key without a valid
    ``source`` or with a writer, a read key with a source, or an unknown writer.
    The caller commits.
    """
    name = name.strip()
    if not name:
        raise ApiKeyError("a key needs a name (what it is for)")
    if kind not in API_KEY_KINDS:
        raise ApiKeyError(f"kind must be one of {', '.join(API_KEY_KINDS)}, got '{kind}'")
    if kind == "write":
        if not source or not SOURCE_PATTERN.match(source):
            raise ApiKeyError(
                "a write key needs --source: 1-64 characters of a-z, 0-9, '_', '.', '-'"
            )
        if writer_id is not None:
            raise ApiKeyError("a write key is scoped to a source, not a writer; omit --writer-id")
    else:
        if source:
            raise ApiKeyError("a read key is scoped to a writer or the platform; omit --source")
        if writer_id is not None and session.get(Writer, writer_id) is None:
            raise ApiKeyError(f"there is no writer with id {writer_id}")
    plaintext = KEY_PREFIXES[kind] + secrets.token_urlsafe(30)
    key = ApiKey(
        name=name,
        kind=kind,
        prefix=plaintext[:DISPLAY_PREFIX_LENGTH],
        key_hash=hash_key(plaintext),
        source=source,
        writer_id=writer_id,
        created_by_id=created_by_id,
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    return key, plaintext


def find_active_key(session: Session, plaintext: str, kind: str) -> ApiKey | None:
    """The unrevoked key of ``kind`` matching ``plaintext``, else ``None``."""
    if not plaintext or len(plaintext) > 256:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(plaintext)))
    if key is None or key.revoked_at is not None or key.kind != kind:
        return None
    return key


def revoke_api_key(session: Session, key_id: int) -> ApiKey:
    """Revoke key ``key_id`` (idempotent). Raises ``ApiKeyError`` if there is no such key."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise ApiKeyError(f"there is no API key with id {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key
