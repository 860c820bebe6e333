"""The plumbing every reader shares.

Each reader works on a one-column LazyFrame (column IN, already normalised) and adds
column OUT. The work is split into stages of ``with_columns`` whose expressions refer
to earlier stages' columns by name: polars expands a reused sub-expression once per
use (no common-subexpression elimination across when/then chains), so one nested
expression for a timestamp grows to seconds per 100k rows; staged, it stays linear.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

IN = "_in"
OUT = "_out"


def as_int(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Int64, strict=False)


def null_datetime(tz: str | None = None) -> pl.Expr:
    return pl.lit(None, dtype=pl.Datetime("us", tz))


def struct_fields(struct: str, names: Iterable[str], prefix: str = "") -> list[pl.Expr]:
    return [pl.col(struct).struct.field(n).alias(prefix + n) for n in names]
