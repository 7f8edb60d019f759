"""writer reader first active: the first day a reader was active with a writer

Adds ``writer_reader_first_active`` (``data.models.WriterReaderFirstActive``): per writer
and reader, the first day with a ``story_reader_daily`` row of the writer's stories, kept
up to date by ``data.progress`` with the rollups. "Active before the period" is then
``first_day < start``, and a writer's new readers of a period one range count on
``ix_writer_reader_first_active_writer_id_first_day`` (the Audience page; see
docs/architecture.md, "Read paths"). The upgrade fills it from ``story_reader_daily`` (one
grouped pass in the order of ``ix_story_reader_daily_writer_id_reader_id_day``), so an
upgraded database with data answers correctly at once; the index is built after the fill.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 10:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "writer_reader_first_active",
        sa.Column("writer_id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.BigInteger(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint(
            "writer_id", "reader_id", name=op.f("pk_writer_reader_first_active")
        ),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO writer_reader_first_active (writer_id, reader_id, first_day) "
        "SELECT writer_id, reader_id, min(day) FROM story_reader_daily "
        "WHERE writer_id IS NOT NULL GROUP BY writer_id, reader_id"
    )
    with op.batch_alter_table("writer_reader_first_active", schema=None) as batch_op:
        batch_op.create_index(
            "ix_writer_reader_first_active_writer_id_first_day",
            ["writer_id", "first_day", "reader_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("writer_reader_first_active", schema=None) as batch_op:
        batch_op.drop_index("ix_writer_reader_first_active_writer_id_first_day")
    op.drop_table("writer_reader_first_active")
