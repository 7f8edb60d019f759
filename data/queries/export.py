"""Export: the writer dashboard's tables for a period, as DataFrames and as files.

Each table is exactly what the corresponding query returns (definitions in
docs/metrics.md): ``daily`` (``overview.daily_series``), ``stories``
(``content.story_performance``), ``revenue`` (``content.revenue_summary(...).by_day``).

:func:`export_file` turns them into a download (CSV: one table; Excel: one sheet per
table) for the read API and the dashboard's Export page alike. Nothing here knows Flask
or Dash: callers pass the session, the already-authorised scope and the reporting currency.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from data.currency import currency_decimals
from data.queries.content import revenue_summary, story_performance
from data.queries.filters import FilterError, Period, Scope
from data.queries.overview import daily_series

EXPORT_TABLES = ("daily", "stories", "revenue")
EXPORT_FORMATS = ("csv", "xlsx")
CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Columns holding money (minor units of the reporting currency in the DataFrames and CSV;
#: major units with a currency number format in Excel), per table.
MONEY_COLUMNS: dict[str, frozenset[str]] = {
    "daily": frozenset({"revenue"}),
    "stories": frozenset(
        {"revenue_unlock", "revenue_tip", "revenue_subscription", "revenue", "revenue_per_reader"}
    ),
    "revenue": frozenset({"unlocks", "tips", "subscriptions", "total"}),
}
#: Columns holding a share in 0..1 (shown as a percentage in Excel).
RATIO_COLUMNS = frozenset({"completion_rate"})
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_MAX_COLUMN_WIDTH = 40


def export_table(session: Session, scope: Scope, period: Period, table: str) -> pd.DataFrame:
    """One export table by name (``EXPORT_TABLES``); raises ``FilterError`` otherwise."""
    if table == "daily":
        return daily_series(session, scope, period).reset_index()
    if table == "stories":
        return story_performance(session, scope, period)
    if table == "revenue":
        return revenue_summary(session, scope, period).by_day
    raise FilterError(f"table must be one of {', '.join(EXPORT_TABLES)}")


@dataclass(frozen=True)
class ExportFile:
    """A download: ``filename`` (no directory), ``content`` (the file's bytes) and its
    ``mimetype``."""

    filename: str
    content: bytes
    mimetype: str


def export_file(
    session: Session,
    scope: Scope,
    period: Period,
    file_format: str,
    tables: Sequence[str] | None = None,
    *,
    currency: str = "USD",
) -> ExportFile:
    """The export ``tables`` (default: every table of ``EXPORT_TABLES``, in that order) of
    the already-authorised ``scope`` over ``period`` as one file of ``file_format``:

    - ``csv``: exactly one table; header row then one line per row, UTF-8, money in minor
      units, dates ISO, missing values empty (the same values as the JSON export);
    - ``xlsx``: one sheet per table named after it; bold, frozen header row; numbers as
      numbers, dates as dates, ratios as percentages and money (``MONEY_COLUMNS``) in
      major units of ``currency`` with a currency format (1799 → 17.99 shown
      ``USD 17.99``); every other value equals the DataFrame's.

    The filename is ``legato-<writer-N|platform>[-<table>]-<start>_<end>.<format>`` (the
    table is named when there is one). Raises ``FilterError`` (message naming the field)
    for an unknown format or table, no tables, a repeated table, several tables for csv,
    or a currency that is not an ISO 4217 code. Read-only: no transaction is left open
    beyond the caller's.
    """
    if file_format not in EXPORT_FORMATS:
        raise FilterError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    names = tuple(EXPORT_TABLES if tables is None else tables)
    if not names:
        raise FilterError("tables must name at least one table")
    for name in names:
        if name not in EXPORT_TABLES:
            raise FilterError(f"table must be one of {', '.join(EXPORT_TABLES)}")
    if len(set(names)) != len(names):
        raise FilterError("tables must not repeat a table")
    if file_format == "csv" and len(names) != 1:
        raise FilterError("a csv file holds one table: pass exactly one table")
    try:
        currency_decimals(currency)
    except ValueError as error:
        raise FilterError(str(error)) from error
    frames = {name: export_table(session, scope, period, name) for name in names}
    owner = "platform" if scope.is_platform else f"writer-{scope.writer_id}"
    label = f"-{names[0]}" if len(names) == 1 else ""
    stem = f"legato-{owner}{label}-{period.start.isoformat()}_{period.end.isoformat()}"
    if file_format == "csv":
        return ExportFile(f"{stem}.csv", csv_bytes(frames[names[0]]), CSV_MIMETYPE)
    return ExportFile(f"{stem}.xlsx", xlsx_bytes(frames, currency=currency), XLSX_MIMETYPE)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(float(value))


def _plain(value: Any) -> Any:
    """``value`` as a plain Python value: numpy scalars unwrapped, timestamps as
    ``datetime``, missing values as ``None``."""
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV: the column names, then one line per row (dates ISO 8601,
    missing values empty, numbers as Python prints them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(column) for column in frame.columns])
    for row in frame.itertuples(index=False):
        values = [_plain(value) for value in row]
        writer.writerow(
            [
                ""
                if value is None
                else value.isoformat()
                if isinstance(value, date | datetime)
                else value
                for value in values
            ]
        )
    return buffer.getvalue().encode("utf-8")


def _number_format(values: list[Any]) -> str:
    """``#,##0`` when every number is whole, else ``#,##0.00``."""
    whole = all(float(value).is_integer() for value in values if value is not None)
    return "#,##0" if whole else "#,##0.00"


def xlsx_bytes(frames: Mapping[str, pd.DataFrame], *, currency: str = "USD") -> bytes:
    """An Excel workbook with one sheet per ``frames`` item (sheet named by the key, in
    order; keys must be valid, distinct sheet names of at most 31 characters). Money
    columns are those of ``MONEY_COLUMNS`` for a key of ``EXPORT_TABLES`` (none for other
    keys). See :func:`export_file` for the cell formats. Text never becomes a formula
    (a title starting with ``=`` stays text); characters XML cannot carry are dropped."""
    decimals = currency_decimals(currency)
    scale = 10**decimals
    money_format = f"[${currency}] #,##0" + (f".{'0' * decimals}" if decimals else "")
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, frame in frames.items():
        sheet = workbook.create_sheet(title=name)
        columns = [str(column) for column in frame.columns]
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        money = MONEY_COLUMNS.get(name, frozenset())
        widths = [len(column) for column in columns]
        for index, column in enumerate(columns, start=1):
            values = [_plain(value) for value in frame.iloc[:, index - 1]]
            numeric = [
                value
                for value in values
                if isinstance(value, int | float) and not isinstance(value, bool)
            ]
            if column in money:
                values = [None if value is None else value / scale for value in values]
                number_format = money_format
            elif column in RATIO_COLUMNS:
                number_format = "0.0%"
            else:
                number_format = _number_format(numeric)
            for row, value in enumerate(values, start=2):
                cell = sheet.cell(row=row, column=index)
                if isinstance(value, str):
                    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                else:
                    cell.value = value
                if isinstance(value, datetime):
                    cell.number_format = DATETIME_FORMAT
                elif isinstance(value, date):
                    cell.number_format = DATE_FORMAT
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    cell.number_format = number_format
                shown = 10 if isinstance(value, date) else len(str(value or ""))
                widths[index - 1] = max(widths[index - 1], shown)
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = min(
                width + 2, _MAX_COLUMN_WIDTH
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
