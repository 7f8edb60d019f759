"""Export: the writer dashboard's tables for a period, ready to serialise (CSV/JSON/Excel).

Each table is exactly what the corresponding query returns (definitions in
docs/metrics.md): ``daily`` (``overview.daily_series``), ``stories``
(``content.story_performance``), ``revenue`` (``content.revenue_summary(...).by_day``).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from data.queries.content import revenue_summary, story_performance
from data.queries.filters import FilterError, Period, Scope
from data.queries.overview import daily_series

EXPORT_TABLES = ("daily", "stories", "revenue")


def export_table(session: Session, scope: Scope, period: Period, table: str) -> pd.DataFrame:
    """One export table by name (``EXPORT_TABLES``); raises ``FilterError`` otherwise."""
    if table == "daily":
        return daily_series(session, scope, period).reset_index()
    if table == "stories":
        return story_performance(session, scope, period)
    if table == "revenue":
        return revenue_summary(session, scope, period).by_day
    raise FilterError(f"table must be one of {', '.join(EXPORT_TABLES)}")
