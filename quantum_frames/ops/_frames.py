"""Frames in any accepted form: Polars as is, pandas and pyarrow converted, others refused."""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any, Final, TypeVar

import polars as pl

from quantum_frames.errors import InvalidArgumentTypeError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["as_polars", "derived", "equal_to"]

_T = TypeVar("_T")

#: The integer dtypes :func:`equal_to` compares in, with the range of each.
_INT_RANGES: Final = {
    pl.Int8: (-(2**7), 2**7), pl.Int16: (-(2**15), 2**15), pl.Int32: (-(2**31), 2**31),
    pl.Int64: (-(2**63), 2**63), pl.UInt8: (0, 2**8), pl.UInt16: (0, 2**16),
    pl.UInt32: (0, 2**32), pl.UInt64: (0, 2**64),
}  # fmt: skip


def equal_to(column: pl.Series, value: object) -> pl.Series | None:
    """``column == value`` as a mask, straight on the Series, for an integer in its range.

    What ``filter(pl.col(name) == value)`` keeps, without a query (a millisecond of
    planning on a small frame). None when the column is not an integer column or the value
    not an integer it can hold: the caller's query then decides, errors included.

    Args:
        column: the column.
        value: the value looked for.

    Returns:
        The boolean mask (null where the column is null), or None.
    """
    bounds = _INT_RANGES.get(column.dtype)  # type: ignore[call-overload]
    if bounds is None or isinstance(value, bool) or not isinstance(value, int):
        return None
    if not bounds[0] <= value < bounds[1]:
        return None
    return column == value


#: Values derived from columns of eager frames, by (identity of the frame, what, columns):
#: each entry holds the very columns it was derived from and is used only while the frame
#: still holds equal ones (``Series.equals``: exact), so a frame changed in place
#: (``df[0, "x"] = …``) never gets a stale answer.
_DERIVED: dict[tuple[int, str, tuple[str, ...]], tuple[Any, tuple[pl.Series, ...], Any]] = {}
_DERIVED_LOCK = threading.Lock()


def derived(frame: pl.DataFrame, what: str, columns: Sequence[str], build: Callable[[], _T]) -> _T:
    """``build()``, a pure function of ``columns`` of ``frame``, computed once per content.

    Args:
        frame: the eager frame.
        what: names the derivation (one cache holds several).
        columns: the columns ``build`` reads (all of ``frame``'s columns it depends on).
        build: computes the value.

    Returns:
        The value, from the cache while the columns are unchanged.
    """
    names = tuple(columns)
    held = tuple(frame.get_column(c) for c in names)
    slot = (id(frame), what, names)
    with _DERIVED_LOCK:
        hit = _DERIVED.get(slot)
    if (
        hit is not None
        and hit[0]() is frame
        and all(
            a.dtype == b.dtype and a.equals(b, check_dtypes=True, null_equal=True)
            for a, b in zip(hit[1], held, strict=True)
        )
    ):
        return hit[2]  # type: ignore[no-any-return]
    value = build()
    with _DERIVED_LOCK:
        fresh = slot not in _DERIVED
        _DERIVED[slot] = (weakref.ref(frame), held, value)
    if fresh:
        weakref.finalize(frame, _DERIVED.pop, slot, None)
    return value


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
