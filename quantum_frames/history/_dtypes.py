"""Polars dtypes Delta Lake cannot hold, their typed stand-ins, and the way back.

The rule (lossless, documented in the README): a column whose dtype Delta has no type for is
stored as the nearest type that holds every value exactly, and its real dtype is recorded in
the moment's log entry (and commit metadata), so ``read_history`` restores it:

=====================  ==========================================
Polars dtype           stored in Delta as
=====================  ==========================================
Null                   String (all null)
UInt8 / 16 / 32        Int16 / Int32 / Int64
UInt64                 Decimal(20, 0)
Int128                 String (decimal digits)
Time, Duration         Int64 (nanoseconds, or the duration's unit)
Datetime("ns")         Int64 (Delta keeps microseconds)
Datetime("ms")         Datetime("us") (exact)
Categorical, Enum      String
Array                  List
=====================  ==========================================

The same rule applies inside lists and structs. Other engines see the stand-in.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

__all__ = ["decode_schema", "encode_schema", "restore", "storable"]


def storable_dtype(dtype: PolarsDataType) -> pl.DataType:
    """The dtype ``dtype`` is stored as in Delta (``dtype`` itself when Delta holds it)."""
    if isinstance(dtype, type):  # a bare class (a nested dtype's default inner type)
        return storable_dtype(dtype())
    simple: dict[type[pl.DataType], pl.DataType] = {
        pl.Null: pl.String(),
        pl.UInt8: pl.Int16(),
        pl.UInt16: pl.Int32(),
        pl.UInt32: pl.Int64(),
        pl.UInt64: pl.Decimal(20, 0),
        pl.Int128: pl.String(),
        pl.Time: pl.Int64(),
        pl.Duration: pl.Int64(),
        pl.Categorical: pl.String(),
        pl.Enum: pl.String(),
    }
    for kind, stand_in in simple.items():
        if isinstance(dtype, kind):
            return stand_in
    if isinstance(dtype, pl.Datetime):
        if dtype.time_unit == "ns":
            return pl.Int64()
        return pl.Datetime("us", dtype.time_zone)
    if isinstance(dtype, pl.Array):
        return pl.List(storable_dtype(dtype.inner))
    if isinstance(dtype, pl.List):
        return pl.List(storable_dtype(dtype.inner))
    if isinstance(dtype, pl.Struct):
        return pl.Struct([pl.Field(f.name, storable_dtype(f.dtype)) for f in dtype.fields])
    return dtype


def storable(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, pl.DataType]]:
    """``frame`` with its columns Delta cannot hold cast to stand-ins, and their real dtypes.

    Each such column is cast to its stand-in (a new frame); the real dtypes of those columns are
    empty when none needed one.
    """
    real = {}
    casts = {}
    for name, dtype in frame.schema.items():
        stand_in = storable_dtype(dtype)
        if stand_in != dtype:
            real[name] = dtype
            casts[name] = stand_in
    return (frame.cast(casts) if casts else frame), real  # type: ignore[arg-type]


def restore(frame: pl.LazyFrame, real: dict[str, pl.DataType]) -> pl.LazyFrame:
    """Cast the stand-in columns of a scanned table back to their recorded dtypes."""
    present = {k: v for k, v in real.items() if k in frame.collect_schema()}
    return frame.cast(present) if present else frame  # type: ignore[arg-type]


def encode_schema(dtypes: dict[str, pl.DataType]) -> str | None:
    """The dtypes as text for the log; None when there are none.

    An empty Arrow IPC file, base64 (exact for every Polars dtype, Enum categories included).
    """
    if not dtypes:
        return None
    buf = io.BytesIO()
    pl.DataFrame(schema=dtypes).write_ipc(buf)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def decode_schema(text: str | None) -> dict[str, pl.DataType]:
    """The dtypes :func:`encode_schema` wrote (an empty dict for None).

    Raises:
        ValueError: the text is not such a schema.
    """
    if text is None:
        return {}
    try:
        empty = pl.read_ipc(io.BytesIO(base64.b64decode(text, validate=True)))
    except Exception as exc:  # binascii.Error, polars' ComputeError …
        msg = f"not a recorded schema ({type(exc).__name__})"
        raise ValueError(msg) from None
    return dict(empty.schema)
