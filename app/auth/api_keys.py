"""API keys: creation (shown once), lookup by the presented key, revocation.

A key looks like ``lgw_<40 url-safe chars>`` (write) or ``lgr_…`` (read). Only its
SHA-256 digest is stored, with a short display prefix. Write keys are scoped to a
``source`` (the dedupe namespace of the events they send); read keys to one writer or,
with no writer, the whole platform. The key format and digest are defined once in
``data.access`` (which also holds the admin console's audited key service); the functions
here are the unaudited ones the CLI and tests use.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.access import (
    DISPLAY_PREFIX_LENGTH,
    KEY_PREFIXES,
    SOURCE_PATTERN,
    hash_key,
    new_key_material,
)
from data.db import utcnow
from data.models import API_KEY_KINDS, ApiKey, Writer

__all__ = [
    "DISPLAY_PREFIX_LENGTH",
    "KEY_PREFIXES",
    "SOURCE_PATTERN",
    "ApiKeyError",
    "create_api_key",
    "find_active_key",
    "hash_key",
    "revoke_api_key",
]


class ApiKeyError(ValueError):
    """A key could not be created or changed; the message says why."""


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
    material = new_key_material(kind)
    key = ApiKey(
        name=name,
        kind=kind,
        prefix=material.prefix,
        key_hash=material.digest,
        source=source,
        writer_id=writer_id,
        created_by_id=created_by_id,
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    return key, material.plaintext


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
