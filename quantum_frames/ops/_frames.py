"""Frames in any accepted form: Polars as is, pandas and pyarrow converted, others refused."""

from __future__ import annotations

from typing import Any

import polars as pl

from quantum_frames.errors import InvalidArgumentTypeError

__all__ = ["as_polars"]


def as_polars(frame: Any, /, *, argument: str) -> pl.DataFrame | pl.LazyFrame:
    """A Polars frame as is; a pandas DataFrame or a pyarrow Table/RecordBatch converted.

    Args:
        frame: the frame the caller passed.
        argument: the caller's argument name, for errors.

    Returns:
        A Polars DataFrame (or the LazyFrame given).

    Raises:
        InvalidArgumentTypeError: anything else (a dict, a list, a Series …).
    """
    if isinstance(frame, pl.DataFrame | pl.LazyFrame):
        return frame
    kind = type(frame)
    module = kind.__module__.split(".")[0]
    if module == "pandas" and kind.__name__ == "DataFrame":
        return pl.from_pandas(frame)
    if module == "pyarrow" and kind.__name__ in {"Table", "RecordBatch"}:
        converted = pl.from_arrow(frame)
        assert isinstance(converted, pl.DataFrame)  # a table gives a frame, never a Series
        return converted
    msg = (
        f"{argument} must be a frame (Polars, pandas or pyarrow), got {kind.__name__}. "
        f"Hint: pass e.g. pl.DataFrame({{'home': [...], 'away': [...]}})."
    )
    raise InvalidArgumentTypeError(msg, argument=argument)
