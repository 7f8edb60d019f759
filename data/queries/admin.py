"""Read side of the admin console: API keys, accounts, the audit trail, job runs and locks.

Each function reads small administrative tables (a few rows per key, account, action or
job run) and returns frozen dataclasses, newest first unless stated. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from data.models import ApiKey, AuditLog, JobLock, JobRun, User, Writer


@dataclass(frozen=True)
class ApiKeyRow:
    """One API key as the console lists it (never the key itself: only its prefix)."""

    id: int
    name: str
    kind: str
    prefix: str
    source: str | None
    writer_id: int | None
    writer: str | None
    created_at: datetime
    created_by: str | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def api_keys(session: Session) -> list[ApiKeyRow]:
    """Every API key: active ones first, then revoked; newest first within each."""
    creator = aliased(User)
    rows = session.execute(
        select(
            ApiKey.id,
            ApiKey.name,
            ApiKey.kind,
            ApiKey.prefix,
            ApiKey.source,
            ApiKey.writer_id,
            Writer.display_name,
            ApiKey.created_at,
            creator.email,
            ApiKey.last_used_at,
            ApiKey.revoked_at,
        )
        .outerjoin(Writer, Writer.id == ApiKey.writer_id)
        .outerjoin(creator, creator.id == ApiKey.created_by_id)
        .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id.desc())
    ).all()
    return [ApiKeyRow(*row) for row in rows]


@dataclass(frozen=True)
class AccountRow:
    """One dashboard account as the console lists it."""

    id: int
    email: str
    display_name: str
    role: str
    writer_id: int | None
    writer: str | None
    active: bool
    created_at: datetime
    last_login_at: datetime | None


def accounts(session: Session) -> list[AccountRow]:
    """Every dashboard account: admins first, then writers, each by email."""
    rows = session.execute(
        select(
            User.id,
            User.email,
            User.display_name,
            User.role,
            User.writer_id,
            Writer.display_name,
            User.is_active,
            User.created_at,
            User.last_login_at,
        )
        .outerjoin(Writer, Writer.id == User.writer_id)
        .order_by(User.role != "admin", User.email)
    ).all()
    return [
        AccountRow(
            id=row[0],
            email=row[1],
            display_name=row[2] or "",
            role=row[3],
            writer_id=row[4],
            writer=row[5],
            active=bool(row[6]),
            created_at=row[7],
            last_login_at=row[8],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class AuditEntry:
    """One audit row."""

    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str | None
    details: dict[str, Any] | None


def audit_entries(
    session: Session, target_types: Iterable[str] | None = None, *, limit: int = 20
) -> list[AuditEntry]:
    """The ``limit`` newest audit rows, only of ``target_types`` when given."""
    statement = select(
        AuditLog.at,
        AuditLog.actor_label,
        AuditLog.action,
        AuditLog.target_type,
        AuditLog.target_id,
        AuditLog.details,
    )
    if target_types is not None:
        statement = statement.where(AuditLog.target_type.in_(list(target_types)))
    rows = session.execute(statement.order_by(AuditLog.id.desc()).limit(limit)).all()
    return [AuditEntry(at, actor or "", *rest) for at, actor, *rest in rows]


@dataclass(frozen=True)
class JobRunRow:
    """One run of a job (``finished_at`` is ``None`` while it runs or if it was cut off)."""

    id: int
    job_name: str
    trigger: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    rows_written: int
    error: str | None
    params: dict[str, Any] | None

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return max((self.finished_at - self.started_at).total_seconds(), 0.0)


_RUN_COLUMNS = (
    JobRun.id,
    JobRun.job_name,
    JobRun.trigger,
    JobRun.status,
    JobRun.started_at,
    JobRun.finished_at,
    JobRun.rows_written,
    JobRun.error,
    JobRun.params,
)


def _run(row: Sequence[Any]) -> JobRunRow:
    return JobRunRow(
        id=row[0],
        job_name=row[1],
        trigger=row[2],
        status=row[3],
        started_at=row[4],
        finished_at=row[5],
        rows_written=int(row[6] or 0),
        error=row[7],
        params=row[8],
    )


def recent_job_runs(session: Session, *, limit: int = 50) -> list[JobRunRow]:
    """The ``limit`` newest runs of every job."""
    rows = session.execute(
        select(*_RUN_COLUMNS).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    ).all()
    return [_run(row) for row in rows]


def latest_job_runs(session: Session, job_names: Iterable[str]) -> dict[str, JobRunRow]:
    """The newest run of each of ``job_names`` that has run (one index probe per job on
    ``ix_job_runs_job_name_started_at``)."""
    latest: dict[str, JobRunRow] = {}
    for name in job_names:
        row = session.execute(
            select(*_RUN_COLUMNS)
            .where(JobRun.job_name == name)
            .order_by(JobRun.started_at.desc(), JobRun.id.desc())
            .limit(1)
        ).first()
        if row is not None:
            latest[name] = _run(row)
    return latest


@dataclass(frozen=True)
class JobLockRow:
    """A job's lease: who holds it, since when, until when."""

    job_name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


def held_job_locks(session: Session, now: datetime) -> dict[str, JobLockRow]:
    """The unexpired job leases at ``now``, by job name (a job with a lease is running,
    or its process died less than a lease ago)."""
    rows = session.execute(
        select(JobLock.job_name, JobLock.holder, JobLock.acquired_at, JobLock.expires_at).where(
            JobLock.expires_at >= now
        )
    ).all()
    return {row[0]: JobLockRow(*row) for row in rows}
