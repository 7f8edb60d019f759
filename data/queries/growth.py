"""Growth: week-over-week and month-over-month totals for views, readers, followers and
revenue (definitions: docs/metrics.md, "Growth"). The relative change is
``app.analytics.growth.relative_change(current, previous)``."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from data.queries.filters import Period, Scope
from data.queries.overview import period_totals

GROWTH_METRICS = ("views", "unique_readers", "follows", "revenue")
WEEK_DAYS = 7
MONTH_DAYS = 30
GROWTH_COLUMNS = ["metric", "week", "previous_week", "month", "previous_month"]


def growth_totals(session: Session, scope: Scope, as_of: date) -> pd.DataFrame:
    """One row per metric in ``GROWTH_METRICS``: totals of the 7 days ending ``as_of`` and
    the 7 days before (``week``, ``previous_week``), and of the 30 days ending ``as_of`` and
    the 30 before (``month``, ``previous_month``)."""
    week = Period.last_days(WEEK_DAYS, as_of)
    month = Period.last_days(MONTH_DAYS, as_of)
    values = {
        "week": period_totals(session, scope, week),
        "previous_week": period_totals(session, scope, week.previous()),
        "month": period_totals(session, scope, month),
        "previous_month": period_totals(session, scope, month.previous()),
    }
    return pd.DataFrame(
        [
            (metric, *(values[key][metric] for key in GROWTH_COLUMNS[1:]))
            for metric in GROWTH_METRICS
        ],
        columns=GROWTH_COLUMNS,
    )
