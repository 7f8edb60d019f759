"""forecast results: what a page needs to show a forecast honestly, one current per series

Adds to ``forecasts`` the observed history window (``history_start``, ``history_end``), the
chosen model's remaining backtest figures (``wape`` — the "typical error" — and the empirical
coverage of its 80% / 95% bands over ``backtest_days`` held-out days), both candidates'
errors (``baseline_mape``, ``prophet_mase``, ``prophet_mape``), the month-end total's range
(``month_end``, ``month_to_date``, ``month_p10`` / ``month_p50`` / ``month_p90``) and the
fit time (``fit_seconds``), all nullable. A partial unique index makes "one current forecast
per series" a database rule (``uq_forecasts_current``): two overlapping job runs cannot both
publish a set. Definitions: docs/metrics.md, "Forecasts".

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 07:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("history_start", sa.Date()),
    ("history_end", sa.Date()),
    ("wape", sa.Float()),
    ("coverage_80", sa.Float()),
    ("coverage_95", sa.Float()),
    ("backtest_days", sa.Integer()),
    ("baseline_mape", sa.Float()),
    ("prophet_mase", sa.Float()),
    ("prophet_mape", sa.Float()),
    ("month_end", sa.Date()),
    ("month_to_date", sa.Float()),
    ("month_p10", sa.Float()),
    ("month_p50", sa.Float()),
    ("month_p90", sa.Float()),
    ("fit_seconds", sa.Float()),
)


def upgrade() -> None:
    with op.batch_alter_table("forecasts", schema=None) as batch_op:
        for name, type_ in _COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    op.create_index(
        "uq_forecasts_current",
        "forecasts",
        ["scope", "scope_id", "metric"],
        unique=True,
        sqlite_where=sa.text("is_current = 1"),
        postgresql_where=sa.text("is_current"),
    )


def downgrade() -> None:
    op.drop_index("uq_forecasts_current", table_name="forecasts")
    with op.batch_alter_table("forecasts", schema=None) as batch_op:
        for name, _type in reversed(_COLUMNS):
            batch_op.drop_column(name)
