"""How an export writes its values: :class:`ValueFormats`, and the normalisation every cell
gets before it is read (full-width forms folded, spaces collapsed).

The readers of each type live beside it: :mod:`.moments` (dates and timestamps),
:mod:`.numbers` (amounts and whole numbers), :mod:`.readers` (yes/no values, and one entry
point for every type); :mod:`.expected` says what each type accepts, for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

import polars as pl

DateOrder = Literal["YMD", "MDY", "DMY"]
DecimalMark = Literal[".", ","]

ORDER_WORDS = {"YMD": "year/month/day", "MDY": "month/day/year", "DMY": "day/month/year"}


def fold(value: str) -> str:
    """Full-width to ASCII, the same way :func:`normalised` does, for configured words."""
    return value.translate(_FOLD_TABLE).strip()


@dataclass(frozen=True)
class ValueFormats:
    """How an export writes its values (see the module docstring)."""

    timezone: str = "Asia/Shanghai"  # zone for timestamps written without one
    date_order: DateOrder = "YMD"  # how to read all-numeric dates like 3/1/2026 or 01.03.2026
    date_formats: tuple[str, ...] = ()  # strftime patterns (chrono syntax) tried first
    decimal_mark: DecimalMark = "."  # "," = European amounts like 1.234,50
    excel_serial_dates: bool = True  # a plain number in a date column is an Excel serial date
    true_values: tuple[str, ...] = ("true", "t", "yes", "y", "1", "是", "对", "有")
    false_values: tuple[str, ...] = ("false", "f", "no", "n", "0", "否", "错", "无")

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except Exception:  # noqa: BLE001 - zoneinfo raises several types
            raise ValueError(
                f"unknown timezone {self.timezone!r} (use an IANA name like Asia/Shanghai)"
            ) from None
        if self.date_order not in ORDER_WORDS:
            raise ValueError(f"date_order {self.date_order!r} must be one of YMD, MDY, DMY")
        if self.decimal_mark not in (".", ","):
            raise ValueError(f"decimal_mark {self.decimal_mark!r} must be '.' or ','")
        if isinstance(self.date_formats, str):
            object.__setattr__(self, "date_formats", (self.date_formats,))
        for fmt in self.date_formats:
            if "%" not in fmt:
                raise ValueError(f"date format {fmt!r} has no %-field (e.g. %d/%m/%Y)")
            if "%Z" in fmt:
                raise ValueError(
                    f"date format {fmt!r} uses %Z (zone names cannot be read reliably); "
                    "use %z for offsets like +0800"
                )
        both = {fold(v).lower() for v in self.true_values} & {
            fold(v).lower() for v in self.false_values
        }
        if both:
            raise ValueError(f"{sorted(both)} listed as both a true and a false value")


# ---------------------------------------------------------------------------
# Normalisation

_FOLD_FROM = [chr(c) for c in range(0xFF01, 0xFF5F)] + [
    "\u3000",  # ideographic space
    "\u00a0",  # no-break space
    "\u2007",  # figure space
    "\u2009",  # thin space
    "\u202f",  # narrow no-break space
    "\uffe5",  # ￥ full-width yen/yuan sign
    "\uffe1",  # ￡
    "\u2212",  # − minus sign
]
_FOLD_TO = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [
    " ",
    " ",
    " ",
    " ",
    " ",
    "¥",
    "£",
    "-",
]
_FOLD_TABLE = str.maketrans(dict(zip(_FOLD_FROM, _FOLD_TO, strict=True)))


#: Characters an id never keeps: format characters (zero-width spaces and joiners, the
#: byte-order mark, soft hyphens, bidi marks) and control characters other than NUL.
_INVISIBLE = r"[\p{Cf}\x01-\x1f\x7f-\x9f]"
#: An id of printable ASCII only: :func:`normalised_id` leaves it as it is.
PLAIN_ID = r"^[\x20-\x7e]*$"


def normalised_id(expr: pl.Expr) -> pl.Expr:
    """An id as it is compared: Unicode NFKC (full-width ``ＡＣＣ-00001`` is ``ACC-00001``),
    invisible and control characters removed, trimmed; null when nothing is left, and null
    (unreadable: the row is quarantined) when it holds a NUL character."""
    text = expr.cast(pl.String)
    clean = (
        text.str.normalize("NFKC")
        .str.replace_all(_INVISIBLE, "")
        .str.strip_chars()
        .replace("", None)
    )
    plain = text.str.contains(PLAIN_ID)
    return (
        pl.when(text.str.contains("\x00", literal=True))
        .then(pl.lit(None, dtype=pl.String))
        .when(plain)
        .then(text)
        .otherwise(clean)
    )


def normalised(expr: pl.Expr) -> pl.Expr:
    """Full-width digits and punctuation as ASCII, spaces collapsed, trimmed."""
    return (
        expr.cast(pl.String)
        .str.replace_many(_FOLD_FROM, _FOLD_TO)
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
