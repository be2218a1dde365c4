"""Calendar periods of a backtest: months, ISO weeks and football seasons (July to June)."""

from __future__ import annotations

from typing import Final, Literal

import polars as pl

from quantum_frames.errors import InvalidArgumentError

__all__ = ["PERIODS", "Period", "period_label", "period_start"]

Period = Literal["month", "week", "season"]
PERIODS: Final = ("month", "week", "season")


def check_period(period: object) -> Period:
    """``period`` itself, once checked.

    Args:
        period: what the caller passed.

    Returns:
        The period.

    Raises:
        InvalidArgumentError: not one of ``month``, ``week``, ``season``.
    """
    if period not in PERIODS:
        msg = (
            f"period must be one of {', '.join(PERIODS)}, got {period!r}. "
            "Hint: e.g. period='month'."
        )
        raise InvalidArgumentError(msg, argument="period")
    return period


def period_start(date: pl.Expr, period: Period) -> pl.Expr:
    """The first day of the period holding ``date`` (a Date or Datetime expression).

    A season runs from 1 July to 30 June (``2025-08-17`` is in the season starting
    ``2025-07-01``); a week is an ISO week, starting on Monday.

    Args:
        date: the dates.
        period: ``month``, ``week`` or ``season``.

    Returns:
        A Date expression.
    """
    day = date.cast(pl.Date)
    if period == "month":
        return day.dt.truncate("1mo")
    if period == "week":
        return day.dt.truncate("1w")
    year = day.dt.year() - (day.dt.month() < 7).cast(pl.Int32)
    return pl.date(year, 7, 1)


def period_label(date: pl.Expr, period: Period) -> pl.Expr:
    """A readable, sortable label: ``2025-09``, ``2025-W36`` or ``2025/26``.

    Args:
        date: the dates.
        period: ``month``, ``week`` or ``season``.

    Returns:
        A String expression.
    """
    start = period_start(date, period)
    if period == "month":
        return start.dt.strftime("%Y-%m")
    if period == "week":
        return start.dt.strftime("%G-W%V")
    year = start.dt.year()
    return pl.format("{}/{}", year, ((year + 1) % 100).cast(pl.String).str.zfill(2))
