"""Removing the bookmaker's margin from closing odds: fair probabilities, vectorised.

Each method takes the closing odds of every outcome of a market (a row per market, NaN where
a market has fewer outcomes than the widest) and returns probabilities that sum to 1:

- ``multiplicative``: each implied probability ``1/o`` divided by the booksum ``Σ 1/o``;
- ``power``: ``(1/o)^k`` with the one ``k`` that makes them sum to 1 (a longshot loses more
  of its margin than a favourite);
- ``shin``: Shin's (1993) model of a bookmaker facing a share ``z`` of insiders,
  ``p = (√(z² + 4(1−z)·π²/B) − z) / (2(1−z))`` with ``π = 1/o``, ``B = Σπ`` and the ``z``
  that makes them sum to 1.

``k`` and ``z`` are found for every row at once by bisection (60 halvings: far below a
double's precision), so a million markets cost a few numpy passes, never a Python loop per
row. A book without margin (``B ≤ 1``) is only normalised: power and Shin need a margin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

import polars as pl

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Array = npt.NDArray[np.float64]

__all__ = [
    "MARGINS",
    "Margin",
    "books",
    "fair_probabilities",
    "fair_probability_of",
    "market_family",
]

Margin = Literal["multiplicative", "power", "shin"]
MARGINS: Final = ("multiplicative", "power", "shin")
_HALVINGS: Final = 60


def fair_probabilities(odds: Array, method: Margin) -> Array:
    """The fair probability of every outcome of every market.

    Args:
        odds: decimal odds, one row per market, one column per outcome (NaN: no outcome).
        method: ``multiplicative``, ``power`` or ``shin``.

    Returns:
        An array shaped like ``odds`` whose rows sum to 1 (NaN where ``odds`` is NaN).

    Examples:
        >>> import numpy as np
        >>> p = fair_probabilities(np.array([[2.6, 2.4, 4.3]]), "shin")
        >>> [round(float(x), 6) for x in p[0]]
        [0.372994, 0.404779, 0.222227]
    """
    import numpy as np

    implied = 1.0 / np.asarray(odds, dtype=np.float64)
    param, booksum = _solve(implied, method)
    return _apply(implied, param[:, None], booksum[:, None], method)


def fair_probability_of(own: Array, odds: Array, method: Margin) -> Array:
    """The fair probability of one outcome per market, given the odds of all its outcomes.

    Args:
        own: the decimal odds of the outcome wanted, one per row (among that row's ``odds``).
        odds: every outcome's decimal odds, as for :func:`fair_probabilities`.
        method: ``multiplicative``, ``power`` or ``shin``.

    Returns:
        One probability per row.
    """
    import numpy as np

    implied = 1.0 / np.asarray(odds, dtype=np.float64)
    param, booksum = _solve(implied, method)
    return _apply(1.0 / np.asarray(own, dtype=np.float64), param, booksum, method)


def _solve(implied: Array, method: Margin) -> tuple[Array, Array]:
    """Per row: the parameter (booksum, power ``k`` or Shin's ``z``) and the booksum."""
    import numpy as np

    booksum = np.nansum(implied, axis=1)
    if method == "multiplicative":
        return booksum, booksum
    if method == "power":  # Σ π^k falls as k grows (π < 1): bisect log k in [-8, 8]
        lo, hi = np.full(booksum.shape, -8.0), np.full(booksum.shape, 8.0)
        for _ in range(_HALVINGS):
            mid = (lo + hi) / 2
            over = np.nansum(implied ** np.exp(mid)[:, None], axis=1) > 1
            lo, hi = np.where(over, mid, lo), np.where(over, hi, mid)
        return np.exp((lo + hi) / 2), booksum
    # Shin: the sum is √B > 1 at z = 0 and Σπ²/B < 1 as z → 1, and falls in between.
    lo, hi = np.zeros(booksum.shape), np.ones(booksum.shape)
    for _ in range(_HALVINGS):
        mid = (lo + hi) / 2
        total = np.nansum(_shin(implied, mid[:, None], booksum[:, None]), axis=1)
        lo, hi = np.where(total > 1, mid, lo), np.where(total > 1, hi, mid)
    return (lo + hi) / 2, booksum


def _apply(implied: Array, param: Array, booksum: Array, method: Margin) -> Array:
    import numpy as np

    normalised = implied / booksum
    if method == "multiplicative":
        return normalised
    fair = implied**param if method == "power" else _shin(implied, param, booksum)
    return np.where(booksum > 1, fair, normalised)


def _shin(implied: Array, z: Array, booksum: Array) -> Array:
    import numpy as np

    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.sqrt(z**2 + 4 * (1 - z) * implied**2 / booksum) - z) / (2 * (1 - z))


def market_family(market: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The family and outcome of a market whose outcomes exclude each other, else nulls.

    ``1x2_home`` → (``1x2``, ``home``); ``over_2.5`` → (``total_2.5``, ``over``);
    ``btts_no`` → (``btts``, ``no``). Double chance (``dc_1x`` …) overlaps: no family.

    Args:
        market: the market names.

    Returns:
        Two expressions: the family and the outcome.
    """
    line = market.str.extract(r"^(?:over|under)_(\d+(?:\.\d+)?)$")
    family = (
        pl.when(market.str.contains(r"^1x2_(?:home|draw|away)$"))
        .then(pl.lit("1x2"))
        .when(line.is_not_null())
        .then(pl.lit("total_") + line)
        .when(market.is_in(["btts_yes", "btts_no"]))
        .then(pl.lit("btts"))
    )
    outcome = pl.when(family.is_not_null()).then(market.str.extract(r"^(?:1x2_|btts_)?([a-z]+)"))
    return family, outcome


def books(closing: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The closing odds of every outcome, one row per market family of a match.

    Args:
        closing: one row per (``keys`` …, ``market``) with ``closing_odds``.
        keys: the columns naming a match (``date``, ``home``, ``away``).

    Returns:
        ``keys``, ``__family`` and one ``closing_odds_<outcome>`` column per outcome.
    """
    family, outcome = market_family(pl.col("market"))
    rows = closing.with_columns(
        family.alias("__family"), (pl.lit("closing_odds_") + outcome).alias("__outcome")
    ).filter(pl.col("__family").is_not_null())
    if rows.is_empty():
        return pl.DataFrame(schema={**{k: closing.schema[k] for k in keys}, "__family": pl.String})
    return rows.pivot(
        on="__outcome", index=[*keys, "__family"], values="closing_odds", aggregate_function="first"
    )
