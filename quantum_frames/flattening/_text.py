"""JSON text as PostgreSQL reads it, prepared for the engines (vectorised, in Polars).

DuckDB's JSON reader is more lenient than PostgreSQL's and keeps only doubles of numbers; Arrow
accepts ``NaN``. Before either engine sees a column this module:

- finds the rows PostgreSQL's ``json`` input would reject although DuckDB accepts them
  (trailing commas, ``NaN``/``Infinity`` in any spelling, any other bare word);
- rewrites objects with a duplicate key so that the **last** value wins, as PostgreSQL's
  ``->>`` and ``jsonb`` do (only in the rows that have one; their text comes out minified);
- marks the numbers a Float64 may not hold (16 significant digits or more, or an exponent of
  three digits) as tagged strings, so DuckDB carries their exact text to the leaves, where
  :func:`unmark` turns them back into the source's number text.

A text is tokenised with one regular expression (strings as whole tokens, so nothing inside a
string is ever taken for structure); duplicate keys are then found and dropped with window
functions over the token stream: work linear in the text, no per-row Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

__all__ = [
    "KEY_PATTERN",
    "RISKY_NUMBER_SCREEN",
    "Tag",
    "exact_float_texts",
    "has_marks",
    "last_wins",
    "lexically_invalid",
    "mark_numbers",
    "unmark",
]

# A JSON string literal, escapes included (no lookaround: linear-time Rust regex).
_STRING: Final = r'"(?:[^"\\]|\\.)*"'
# Tokens of (valid) JSON text: strings, punctuation, and runs of anything else (numbers,
# true/false/null); whitespace outside strings is dropped.
_TOKEN: Final = _STRING + r'|[{}\[\],:]|[^{}\[\],:"\s]+'
#: An object key: a string followed by a colon.
KEY_PATTERN: Final = _STRING + r"\s*:"
# After strings are blanked and true/false/null removed, characters PostgreSQL's json input
# never accepts outside a string (letters of NaN/Infinity, quotes, …), or a trailing comma.
_LEXICALLY_INVALID: Final = r"[^ \t\n\r0-9\[\]{},:.\"eE+\-]|,[ \t\n\r]*[\]}]"
#: A cheap test over a whole text: no number in a text without a match can lose digits in a
#: Float64 (at most 15 significant digits and a two-digit exponent always round-trip).
RISKY_NUMBER_SCREEN: Final = r"(?-u)[0-9.]{16}|[eE][+-]?[0-9]{3}"  # ASCII: 2 x faster
# A non-integer number literal a Float64 may not hold exactly: a three-digit exponent, or
# 16 digits or more with a fraction or an exponent. Leftmost-first matching starts at the
# number's first character, so a match is always a whole literal.
_RISKY_NUMBER: Final = (
    r"-?[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]{3,}"
    r"|-?(?:[0-9]{16,}\.[0-9]+"
    + "".join(rf"|[0-9]{{{i}}}\.[0-9]{{{16 - i},}}" for i in range(1, 16))
    + r")(?:[eE][+-]?[0-9]+)?"
    r"|-?[0-9]{16,}[eE][+-]?[0-9]+"
)


def lexically_invalid(text: pl.Expr) -> pl.Expr:
    """Whether each JSON text holds what PostgreSQL's ``json`` input rejects but DuckDB accepts.

    That is ``NaN``, ``Infinity``, trailing commas, any bare word; strings aside.

    Args:
        text: JSON text (the structure itself is checked by DuckDB's ``json_valid``).

    Returns:
        A Boolean expression, true where the text is not JSON as PostgreSQL reads it.
    """
    bare = text.str.replace_all(_STRING, '""').str.replace_all("true|false|null", "0")
    return bare.str.contains(_LEXICALLY_INVALID)


def last_wins(values: pl.Series) -> pl.Series:
    """``values`` (valid JSON text) with every duplicate key dropped but its last occurrence.

    Rows without a repeated key are returned as they are; the others come back minified.

    Args:
        values: a String column of valid JSON text.

    Returns:
        A new Series (the input is not modified).
    """
    keys = values.str.extract_all(KEY_PATTERN)
    repeated = keys.list.len() > keys.list.eval(pl.element().n_unique()).list.first()
    escaped = keys.list.eval(pl.element().str.contains("\\", literal=True).any()).list.first()
    candidates = (repeated | escaped).fill_null(value=False)
    if not candidates.any():
        return values
    rows = candidates.arg_true()
    fixed, changed = _drop_duplicates(values.gather(rows))
    if not changed:
        return values
    return values.clone().scatter(rows, fixed)


def _drop_duplicates(values: pl.Series) -> tuple[pl.Series, bool]:
    """Rebuild rows without their overridden members (token stream and window functions)."""
    t = (
        pl.DataFrame({"tok": values.str.extract_all(_TOKEN)})
        .with_row_index("row")
        .explode("tok")
        .with_row_index("i")
        .with_columns(
            is_open=pl.col("tok").is_in(["{", "["]),
            is_close=pl.col("tok").is_in(["}", "]"]),
            is_key=pl.col("tok").shift(-1).over("row") == ":",
        )
        .with_columns(
            depth=(pl.col("is_open").cast(pl.Int64) - pl.col("is_close").cast(pl.Int64))
            .cum_sum()
            .over("row")
        )
        .with_columns(level=pl.col("depth") - pl.col("is_open").cast(pl.Int64))
    )
    opens = t.filter("is_open").select(
        "row", pl.col("depth").alias("level"), pl.col("i").alias("c")
    )
    # each token's container: the last object or array opened at its level
    t = t.join_asof(
        opens,
        left_on="i",
        right_on="c",
        by=["row", "level"],
        strategy="backward",
        check_sortedness=False,
    )
    keyed = t.filter("is_key").select(
        "c",
        "i",
        key=pl.col("tok").str.json_decode(pl.String),  # "a" and "\u0061" are one key
    )
    overridden = keyed.filter(pl.col("i") != pl.col("i").max().over("c", "key")).get_column("i")
    if overridden.is_empty():
        return values, False
    # a member runs from its key to its comma: the last key seen in its container
    t = t.with_columns(
        member=pl.when("is_key").then("i").forward_fill().over("c"),
    ).with_columns(gone=pl.col("member").is_in(overridden.implode()).fill_null(value=False))
    # what a dropped member's value holds: from its opening bracket to the matching close
    closes = t.filter("is_close").select(
        "row", pl.col("depth").alias("level"), pl.col("i").alias("end")
    )
    spans = (
        t.filter(pl.col("gone") & pl.col("is_open"))
        .select("row", "i", "level")
        .join_asof(
            closes,
            left_on="i",
            right_on="end",
            by=["row", "level"],
            strategy="forward",
            check_sortedness=False,
        )
    )
    edges = (
        pl.concat(
            [
                spans.select(pl.col("i").alias("at"), pl.lit(1).alias("d")),
                spans.select((pl.col("end") + 1).alias("at"), pl.lit(-1).alias("d")),
            ]
        )
        .group_by("at")
        .agg(pl.col("d").sum())
    )
    kept = (
        t.join(edges, left_on="i", right_on="at", how="left", maintain_order="left")
        .with_columns(inside=pl.col("d").fill_null(0).cum_sum() > 0)
        .filter(~pl.col("gone") & ~pl.col("inside"))
        .group_by("row", maintain_order=True)
        .agg(pl.col("tok").str.join(""))
    )
    out = pl.DataFrame({"row": pl.int_range(len(values), eager=True).cast(pl.UInt32)}).join(
        kept, on="row", how="left", maintain_order="left"
    )
    return out.get_column("tok").alias(values.name), True


@dataclass(frozen=True)
class Tag:
    r"""The tag that marks a number's text carried as a JSON string.

    The tag is ``\u0001qf#<n>#``, with the smallest ``n`` whose tag the column's text does not
    already hold (so no string of the source can ever be taken for a marked number).
    """

    n: int

    @property
    def escaped(self) -> str:
        """The tag as written in JSON text."""
        return f"\\u0001qf#{self.n}#"

    @property
    def decoded(self) -> str:
        """The tag in a decoded string."""
        return f"\x01qf#{self.n}#"


def mark_numbers(values: pl.Series) -> tuple[pl.Series, Tag] | None:
    """``values`` with each number a Float64 may not hold exactly tagged, and the tag.

    Each such number is written as a tagged JSON string; None when no row holds such a number.

    Args:
        values: a String column of valid JSON text.

    Returns:
        The marked column and its tag, or None.
    """
    screened = values.str.contains(RISKY_NUMBER_SCREEN)
    if not screened.any():
        return None
    tag = Tag(0)
    while values.str.contains(tag.escaped, literal=True).any():
        tag = Tag(tag.n + 1)
    rows = screened.arg_true()
    pieces = values.gather(rows).str.extract_all(_STRING + '|[^"]+')
    marked = pieces.list.eval(
        pl.when(pl.element().str.starts_with('"'))
        .then(pl.element())
        .otherwise(pl.element().str.replace_all(_RISKY_NUMBER, '"' + tag.escaped + "$0" + '"'))
    ).list.join("")
    return values.clone().scatter(rows, marked), tag


def has_marks(values: pl.Series, tag: Tag) -> bool:
    """Whether a decoded String column, or the JSON text of one, holds a marked number."""
    return bool(
        values.str.contains(tag.decoded, literal=True).any()
        or values.str.contains(tag.escaped, literal=True).any()
    )


def unmark(values: pl.Series, tag: Tag) -> pl.Series:
    """Marked numbers back to the source's number text.

    In JSON text (``"<tag>1.5"`` → ``1.5``) and as decoded strings (the tag dropped).
    """
    escaped = '"' + tag.escaped.replace("\\", "\\\\") + '([-+0-9.eE]*)"'
    return values.str.replace_all(escaped, "${1}").str.replace_all(tag.decoded, "", literal=True)


def exact_float_texts(text: pl.Series) -> pl.Series:
    """Whether each JSON number text is the same decimal value as its Float64's shortest text.

    ``0.30000000000000004`` is; ``12345678901234.5678`` and ``1e-400`` are not.

    Args:
        text: JSON number texts (nulls stay null).

    Returns:
        A Boolean Series.
    """
    floats = text.cast(pl.Float64, strict=False)
    frame = pl.DataFrame({"text": text, "floats": floats, "shortest": floats.cast(pl.String)})
    same = (_canonical(pl.col("text")) == _canonical(pl.col("shortest"))) & pl.col(
        "floats"
    ).is_finite()
    return frame.select(same.fill_null(value=False)).to_series()


def _canonical(text: pl.Expr) -> pl.Expr:
    """A number text as ``<sign><digits>e<exponent>``.

    Digits come without leading or trailing zeros (zero as ``0``): two texts are the same decimal
    value when these are equal.
    """
    parts = text.str.extract_groups(r"^(-?)([0-9]+)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$")
    sign, whole = parts.struct.field("1"), parts.struct.field("2")
    fraction = parts.struct.field("3").fill_null("")
    exponent = (
        parts.struct.field("4").fill_null("0").str.replace("^\\+", "").cast(pl.Int64, strict=False)
    )
    digits = (whole + fraction).str.strip_chars_start("0")
    trimmed = digits.str.strip_chars_end("0")
    scale = exponent - fraction.str.len_chars() + digits.str.len_chars() - trimmed.str.len_chars()
    return (
        pl.when(trimmed == "")
        .then(pl.lit("0"))
        .otherwise(sign + trimmed + "e" + scale.cast(pl.String))
    )
