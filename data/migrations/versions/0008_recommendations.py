"""recommendations: the job's current advice per writer, and dismissals that outlive reruns

Replaces the ``recommendations`` table reserved by 0001 (never written by any code) with the
shape the ``recommendations`` job writes: one row per piece of current advice for a writer
(``kind``, the story / chapter it concerns, a stable ``fingerprint`` so the same advice on the
next run is recognised, ``rank`` and ``priority``, the plain-words ``title``, ``detail`` and
``expected_effect``, the ``evidence`` numbers as JSON, ``computed_at`` and the job run).
``uq_recommendations_writer_id_fingerprint`` makes "one current row per advice" a database
rule. Adds ``recommendation_dismissals`` (writer, fingerprint, who dismissed it and when): a
dismissal is keyed by the fingerprint, not by a row id, so it survives the job replacing the
writer's set. Definitions: docs/metrics.md, "Recommendations".

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_index("ix_recommendations_writer_id_created_at")
    op.drop_table("recommendations")
    op.create_table(
        "recommendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("writer_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.Column("chapter_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.String(length=160), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("expected_effect", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("job_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["writer_id"],
            ["writers.id"],
            name=op.f("fk_recommendations_writer_id_writers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_recommendations_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["chapter_id"],
            ["chapters.id"],
            name=op.f("fk_recommendations_chapter_id_chapters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_run_id"],
            ["job_runs.id"],
            name=op.f("fk_recommendations_job_run_id_job_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
        sa.UniqueConstraint(
            "writer_id", "fingerprint", name=op.f("uq_recommendations_writer_id_fingerprint")
        ),
    )
    op.create_index(
        "ix_recommendations_writer_id_rank", "recommendations", ["writer_id", "rank"], unique=False
    )
    op.create_table(
        "recommendation_dismissals",
        sa.Column("writer_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=160), nullable=False),
        sa.Column("dismissed_by_id", sa.Integer(), nullable=True),
        sa.Column("dismissed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["writer_id"],
            ["writers.id"],
            name=op.f("fk_recommendation_dismissals_writer_id_writers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dismissed_by_id"],
            ["users.id"],
            name=op.f("fk_recommendation_dismissals_dismissed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint(
            "writer_id", "fingerprint", name=op.f("pk_recommendation_dismissals")
        ),
    )


def downgrade() -> None:
    op.drop_table("recommendation_dismissals")
    op.drop_index("ix_recommendations_writer_id_rank", table_name="recommendations")
    op.drop_table("recommendations")
    op.create_table(
        "recommendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("writer_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.Column("chapter_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("expected_effect", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("job_run_id", sa.Integer(), nullable=True),
        sa.Column("dismissed_at", sa.DateTime(), nullable=True),
        sa.Column("dismissed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dismissed_by_id"], ["users.id"], name=op.f("fk_recommendations_dismissed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["job_run_id"], ["job_runs.id"], name=op.f("fk_recommendations_job_run_id_job_runs")
        ),
        sa.ForeignKeyConstraint(
            ["writer_id"], ["writers.id"], name=op.f("fk_recommendations_writer_id_writers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
    )
    op.create_index(
        "ix_recommendations_writer_id_created_at",
        "recommendations",
        ["writer_id", "created_at"],
        unique=False,
    )
