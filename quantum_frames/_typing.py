"""Type helpers shared by the package: one home for the frame TypeVar."""

from __future__ import annotations

from typing import TypeVar

import polars as pl

#: An eager or a lazy frame; an operation returns the kind it was given.
FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)
