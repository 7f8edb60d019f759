"""Small SQL constructs that render differently on SQLite and PostgreSQL.

Used by the per-reader rollups (``data.progress``) and the read side (``data.queries``).
Timestamps are naive UTC; SQLite stores them as ISO strings of one fixed format, so text
comparison orders them in time.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Date, DateTime, Float

__all__ = ["earliest", "latest", "seconds_between", "utc_day", "utc_minute", "week_start"]


def _args(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses]


class earliest(FunctionElement[datetime]):  # noqa: N801  (reads like the SQL it renders)
    """The earlier of two nullable timestamps, ignoring NULL (NULL only when both are):
    ``LEAST(a, b)`` on PostgreSQL, ``min(coalesce(a, b), coalesce(b, a))`` on SQLite
    (whose scalar ``min`` is NULL when any argument is)."""

    type = DateTime()
    name = "earliest"
    inherit_cache = True


class latest(FunctionElement[datetime]):  # noqa: N801
    """The later of two nullable timestamps, ignoring NULL (``GREATEST`` / ``max``)."""

    type = DateTime()
    name = "latest"
    inherit_cache = True


class seconds_between(FunctionElement[float]):  # noqa: N801
    """``later − earlier`` in seconds (NULL when either is NULL)."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


class utc_day(FunctionElement[date]):  # noqa: N801
    """The calendar day of a naive-UTC timestamp: ``date(x)`` / ``CAST(x AS DATE)``."""

    type = Date()
    name = "utc_day"
    inherit_cache = True


class utc_minute(FunctionElement[datetime]):  # noqa: N801
    """A naive-UTC timestamp truncated to its whole minute (a ``DateTime``)."""

    type = DateTime()
    name = "utc_minute"
    inherit_cache = True


class week_start(FunctionElement[date]):  # noqa: N801
    """The Monday of the ISO week of a ``Date`` expression."""

    type = Date()
    name = "week_start"
    inherit_cache = True


@compiles(earliest)
def _earliest(element: earliest, compiler: SQLCompiler, **kw: Any) -> str:
    return "LEAST({}, {})".format(*_args(element, compiler, **kw))


@compiles(earliest, "sqlite")
def _earliest_sqlite(element: earliest, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _args(element, compiler, **kw)
    return f"min(coalesce({a}, {b}), coalesce({b}, {a}))"


@compiles(latest)
def _latest(element: latest, compiler: SQLCompiler, **kw: Any) -> str:
    return "GREATEST({}, {})".format(*_args(element, compiler, **kw))


@compiles(latest, "sqlite")
def _latest_sqlite(element: latest, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _args(element, compiler, **kw)
    return f"max(coalesce({a}, {b}), coalesce({b}, {a}))"


@compiles(seconds_between)
def _seconds_between(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _args(element, compiler, **kw)
    return f"EXTRACT(EPOCH FROM ({later}) - ({earlier}))"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _args(element, compiler, **kw)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(utc_day)
def _utc_day(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return "CAST({} AS DATE)".format(*_args(element, compiler, **kw))


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return "date({})".format(*_args(element, compiler, **kw))


@compiles(utc_minute)
def _utc_minute(element: utc_minute, compiler: SQLCompiler, **kw: Any) -> str:
    return "date_trunc('minute', {})".format(*_args(element, compiler, **kw))


@compiles(utc_minute, "sqlite")
def _utc_minute_sqlite(element: utc_minute, compiler: SQLCompiler, **kw: Any) -> str:
    # the stored text format, so the DateTime result processor parses it back
    return "strftime('%Y-%m-%d %H:%M:00.000000', {})".format(*_args(element, compiler, **kw))


@compiles(week_start)
def _week_start(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    return "CAST(date_trunc('week', CAST({} AS TIMESTAMP)) AS DATE)".format(
        *_args(element, compiler, **kw)
    )


@compiles(week_start, "sqlite")
def _week_start_sqlite(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    # 'weekday 0' moves forward to the next Sunday (or stays on one); 6 days back is Monday.
    return "date({}, 'weekday 0', '-6 days')".format(*_args(element, compiler, **kw))
