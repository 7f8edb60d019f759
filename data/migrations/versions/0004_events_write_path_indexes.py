"""events: indexes that take ingest's inserts at their tails

Replaces the four indexes keyed by the raw ``occurred_at`` timestamp (client clocks scatter
a batch's timestamps over seconds to minutes, so every insert landed on a different index
page: ~1,000 pages written per 500-event commit) with two day-grained expression indexes
(``date(occurred_at)`` / ``CAST(occurred_at AS DATE)``, alone and after ``event_type``) and
one on ``received_at`` for the real-time window. The per-story and per-writer timestamp
indexes go: no query reads raw events by story or writer (dashboards read the rollups).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 06:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TIMESTAMP_INDEXES = {
    "ix_events_occurred_at": ["occurred_at"],
    "ix_events_story_id_occurred_at": ["story_id", "occurred_at"],
    "ix_events_writer_id_occurred_at": ["writer_id", "occurred_at"],
    "ix_events_event_type_occurred_at": ["event_type", "occurred_at"],
}


def _day_of_occurred_at() -> sa.TextClause:
    """The expression ``data.sql.utc_day(events.occurred_at)`` renders on this dialect (an
    expression index is used only by queries spelling the same expression)."""
    if op.get_bind().dialect.name == "sqlite":
        return sa.text("date(occurred_at)")
    return sa.text("CAST(occurred_at AS DATE)")


def upgrade() -> None:
    for name in _TIMESTAMP_INDEXES:
        op.drop_index(name, table_name="events")
    day = _day_of_occurred_at()
    op.create_index("ix_events_occurred_day", "events", [day], unique=False)
    op.create_index(
        "ix_events_event_type_occurred_day", "events", [sa.column("event_type"), day], unique=False
    )
    op.create_index("ix_events_received_at", "events", ["received_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_events_received_at", table_name="events")
    op.drop_index("ix_events_event_type_occurred_day", table_name="events")
    op.drop_index("ix_events_occurred_day", table_name="events")
    for name, columns in _TIMESTAMP_INDEXES.items():
        op.create_index(name, "events", columns, unique=False)
