"""The audit trail of administrative actions: who acts, and writing one ``audit_log`` row.

Contract: :func:`record_audit` adds the row to the caller's session and never flushes or
commits, so an action and its audit row are committed (or rolled back) together by the
caller. Details must be JSON-serialisable and must never hold secrets (passwords, API
keys): the log is shown to every admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from data.db import utcnow
from data.models import AuditLog


@dataclass(frozen=True)
class Actor:
    """Who acts (for the audit log): the signed-in account's id and a readable label."""

    user_id: int | None
    label: str


def record_audit(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str | int | None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one audit row (``action`` such as ``"api_key.revoke"``) to ``session``."""
    entry = AuditLog(
        at=utcnow(),
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details,
    )
    session.add(entry)
    return entry
