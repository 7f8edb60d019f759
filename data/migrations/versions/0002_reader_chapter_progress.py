"""reader chapter progress: the per-reader rollup behind retention, hooks and paywalls

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 04:23:13.940914
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reader_chapter_progress",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.BigInteger(), nullable=False),
        sa.Column("chapter_number", sa.Integer(), nullable=False),
        sa.Column("chapter_id", sa.Integer(), nullable=False),
        sa.Column("writer_id", sa.Integer(), nullable=False),
        sa.Column("first_started_at", sa.DateTime(), nullable=True),
        sa.Column("first_completed_at", sa.DateTime(), nullable=True),
        sa.Column("unlocked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint(
            "story_id", "reader_id", "chapter_number", name=op.f("pk_reader_chapter_progress")
        ),
    )
    with op.batch_alter_table("reader_chapter_progress", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reader_chapter_progress_story_id_chapter_number",
            ["story_id", "chapter_number"],
            unique=False,
        )
        batch_op.create_index(
            "ix_reader_chapter_progress_writer_id_reader_id_first_started_at",
            ["writer_id", "reader_id", "first_started_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("reader_chapter_progress", schema=None) as batch_op:
        batch_op.drop_index("ix_reader_chapter_progress_writer_id_reader_id_first_started_at")
        batch_op.drop_index("ix_reader_chapter_progress_story_id_chapter_number")

    op.drop_table("reader_chapter_progress")
