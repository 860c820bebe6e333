"""Reading dates and timestamps: configured patterns, the built-in shapes, Excel serials.

Built in: year-first dates (``2026-03-01``, ``2026/3/1``, ``2026.3.1``), Chinese dates
(``2026年3月1日``), year-last dates when the profile sets the day/month order, each with an
optional clock (12- or 24-hour, 上午/下午, fractions to the microsecond) and zone. Nothing is
guessed: a value that fits no configured reading is null (the caller reports it).
"""

from __future__ import annotations

import re

import polars as pl

from pipelines.ingest.values.formats import DateOrder, ValueFormats
from pipelines.ingest.values.stages import IN, OUT, as_int, null_datetime, struct_fields

#: Excel serial dates read (1900 system, day 0 = 1899-12-30): only serials of business dates
#: 1950-01-01 .. 2099-12-31. A bare number outside that range in a date column (a year like
#: 2026, an amount) is far more likely a mistake than a date, so it is refused, not guessed.
EXCEL_MIN_SERIAL = 18264
EXCEL_MAX_SERIAL = 73050
EXCEL_EPOCH = "1899-12-30"

_YEAR = r"(?<y>[1-9]\d{3})"
_YEAR_FIRST = (
    rf"^{_YEAR}(?:-(?<m1>\d{{1,2}})-(?<d1>\d{{1,2}})|/(?<m2>\d{{1,2}})/(?<d2>\d{{1,2}})"
    r"|\.(?<m3>\d{1,2})\.(?<d3>\d{1,2}))(?<rest>(?:[Tt ]|, ).*)?$"
)
_CHINESE = rf"^{_YEAR} ?年 ?(?<m>\d{{1,2}}) ?月 ?(?<d>\d{{1,2}}) ?[日号](?<rest>.*)$"
_YEAR_LAST = (
    r"^(?<a>\d{1,2})(?:/(?<b1>\d{1,2})/|-(?<b2>\d{1,2})-|\.(?<b3>\d{1,2})\.)"
    rf"{_YEAR}(?<rest>,? .*)?$"
)
_MERIDIEM = r"上午|下午|AM|PM|A\.M\.|P\.M\."
_CLOCK = (
    r"(?i)^(?:T|,?\s*)"
    rf"(?:(?<ap1>{_MERIDIEM})\s*)?"
    r"(?<H>\d{1,2}):(?<M>\d{2})(?::(?<S>\d{2})(?:\.(?<f>\d{1,9}))?)?"
    rf"(?:\s*(?<ap2>{_MERIDIEM}))?"
    r"(?:\s*(?:(?<zu>Z|UTC|GMT)"
    r"|(?:UTC|GMT)(?<zs1>[+-])(?<zh1>\d{1,2})(?::?(?<zm1>\d{2}))?"
    r"|(?<zs2>[+-])(?<zh2>\d{2})(?::?(?<zm2>\d{2}))?))?$"
)
_SERIAL = r"^(?<days>\d{1,7})(?:\.(?<frac>\d+))?$"
#: Offsets beyond this many hours do not exist on Earth: such a value is misread.
_MAX_OFFSET_HOURS = 14


def _builtin_moment(lf: pl.LazyFrame, order: DateOrder, naive: str, utc: str) -> pl.LazyFrame:
    """Built-in date/time shapes -> columns ``naive`` (wall clock) and ``utc`` (zoned)."""
    structs = [
        pl.col(IN).str.extract_groups(_YEAR_FIRST).alias("_ymd"),
        pl.col(IN).str.extract_groups(_CHINESE).alias("_cn"),
    ]
    if order != "YMD":
        structs.append(pl.col(IN).str.extract_groups(_YEAR_LAST).alias("_yl"))
    lf = lf.with_columns(structs)
    lf = lf.with_columns(
        *struct_fields("_ymd", ("y", "m1", "m2", "m3", "d1", "d2", "d3", "rest"), "ymd_"),
        *struct_fields("_cn", ("y", "m", "d", "rest"), "cn_"),
        *(
            struct_fields("_yl", ("a", "b1", "b2", "b3", "y", "rest"), "yl_")
            if order != "YMD"
            else []
        ),
    )
    y = [pl.col("ymd_y"), pl.col("cn_y")]
    m = [pl.col("ymd_m1"), pl.col("ymd_m2"), pl.col("ymd_m3"), pl.col("cn_m")]
    d = [pl.col("ymd_d1"), pl.col("ymd_d2"), pl.col("ymd_d3"), pl.col("cn_d")]
    rest = pl.when(pl.col("ymd_y").is_not_null()).then(pl.col("ymd_rest"))
    rest = rest.when(pl.col("cn_y").is_not_null()).then(pl.col("cn_rest"))
    if order != "YMD":
        second = pl.coalesce(pl.col("yl_b1"), pl.col("yl_b2"), pl.col("yl_b3"))
        month, day = (pl.col("yl_a"), second) if order == "MDY" else (second, pl.col("yl_a"))
        y.append(pl.col("yl_y"))
        m.append(month)
        d.append(day)
        rest = rest.when(pl.col("yl_y").is_not_null()).then(pl.col("yl_rest"))
    lf = lf.with_columns(
        pl.coalesce(y).alias("_y"),
        pl.coalesce(m).alias("_m"),
        pl.coalesce(d).alias("_d"),
        rest.otherwise(None).alias("_rest"),
    )
    # polars' date constructor raises on 2026-02-30; parsing text gives null instead.
    lf = lf.with_columns(
        pl.format("{}-{}-{}", "_y", "_m", "_d")
        .str.to_date("%Y-%m-%d", strict=False)
        .cast(pl.Datetime("us"))
        .alias("_date"),
        pl.col("_rest").str.extract_groups(_CLOCK).alias("_clock"),
        (pl.col("_rest").is_null() | (pl.col("_rest").str.strip_chars() == "")).alias("_no_time"),
    )
    clock = ("ap1", "ap2", "H", "M", "S", "f", "zu", "zs1", "zh1", "zm1", "zs2", "zh2", "zm2")
    lf = lf.with_columns(struct_fields("_clock", clock, "c_"))
    lf = lf.with_columns(
        pl.coalesce("c_ap1", "c_ap2")
        .str.to_uppercase()
        .str.replace_all(".", "", literal=True)
        .alias("_meridiem"),
        as_int("c_H").alias("_hour"),
        as_int("c_M").alias("_minute"),
        as_int("c_S").fill_null(0).alias("_second"),
        pl.col("c_f").fill_null("").str.pad_end(9, "0").alias("_frac9"),
        pl.coalesce("c_zs1", "c_zs2").alias("_zsign"),
        pl.coalesce("c_zh1", "c_zh2").cast(pl.Int64, strict=False).alias("_zhours"),
        pl.coalesce("c_zm1", "c_zm2").cast(pl.Int64, strict=False).fill_null(0).alias("_zmins"),
    )
    meridiem = pl.col("_meridiem")
    hour = pl.col("_hour")
    pm = pl.when(meridiem.is_in(["PM", "下午"])).then(12).otherwise(0)
    lf = lf.with_columns(
        pl.when(meridiem.is_null()).then(hour).otherwise(hour % 12 + pm).alias("_hour24"),
        (
            (pl.col("c_ap1").is_null() | pl.col("c_ap2").is_null())
            & pl.when(meridiem.is_null())
            .then(hour.is_between(0, 23))
            .otherwise(hour.is_between(1, 12))
            & pl.col("_minute").is_between(0, 59)
            & pl.col("_second").is_between(0, 59)
            # digits past the microsecond are kept only when they are zeros: no rounding
            & (pl.col("_frac9").str.slice(6, 3) == "000")
        ).alias("_clock_ok"),
        pl.col("_frac9").str.slice(0, 6).cast(pl.Int64, strict=False).alias("_micro"),
        (pl.col("c_zu").is_not_null() | pl.col("_zsign").is_not_null()).alias("_zoned"),
        pl.when(pl.col("c_zu").is_not_null())
        .then(0)
        .otherwise(
            (pl.col("_zhours") * 60 + pl.col("_zmins"))
            * pl.when(pl.col("_zsign") == "-").then(-1).otherwise(1)
        )
        .alias("_offset"),
        (
            pl.col("c_zu").is_not_null()
            | (
                pl.col("_zhours").is_between(0, _MAX_OFFSET_HOURS)
                & pl.col("_zmins").is_between(0, 59)
            )
        ).alias("_offset_ok"),
    )
    lf = lf.with_columns(
        pl.when(pl.col("_no_time"))
        .then(pl.col("_date"))
        .when(pl.col("_clock_ok"))
        .then(
            pl.col("_date")
            + pl.duration(
                hours="_hour24", minutes="_minute", seconds="_second", microseconds="_micro"
            )
        )
        .otherwise(null_datetime())
        .alias("_local")
    )
    # A zoned midnight (``2023-05-11T00:00:00Z``) is how many systems serialise a date: its
    # written date is also offered, which a date column takes; a timestamp takes the instant.
    written_date = (
        pl.col("_zoned")
        & pl.col("_offset_ok")
        & (pl.col("_local") == pl.col("_local").dt.truncate("1d"))
    )
    return lf.with_columns(
        pl.when(pl.col("_zoned") & ~written_date)
        .then(null_datetime())
        .otherwise(pl.col("_local"))
        .alias(naive),
        pl.when(pl.col("_zoned") & pl.col("_offset_ok"))
        .then(
            (pl.col("_local") - pl.duration(minutes=pl.col("_offset"))).dt.replace_time_zone("UTC")
        )
        .otherwise(null_datetime("UTC"))
        .alias(utc),
    )


def _excel_moment(lf: pl.LazyFrame, naive: str, utc: str) -> pl.LazyFrame:
    lf = lf.with_columns(pl.col(IN).str.extract_groups(_SERIAL).alias("_serial"))
    lf = lf.with_columns(
        pl.col("_serial").struct.field("days").cast(pl.Int64, strict=False).alias("_days"),
        # fraction of a day -> seconds, rounded to the nearest second in integer arithmetic
        # (Excel stores times as binary fractions: 9:30 is written 0.395833333...)
        pl.col("_serial")
        .struct.field("frac")
        .fill_null("")
        .str.slice(0, 12)
        .str.pad_end(12, "0")
        .cast(pl.Int64, strict=False)
        .alias("_dayfrac"),
    )
    epoch = pl.lit(EXCEL_EPOCH).str.to_date("%Y-%m-%d").cast(pl.Datetime("us"))
    seconds = (pl.col("_dayfrac") * 86_400 + 500_000_000_000) // 1_000_000_000_000
    return lf.with_columns(
        pl.when(pl.col("_days").is_between(EXCEL_MIN_SERIAL, EXCEL_MAX_SERIAL))
        .then(epoch + pl.duration(days=pl.col("_days"), seconds=seconds))
        .otherwise(null_datetime())
        .alias(naive),
        null_datetime("UTC").alias(utc),
    )


def _has_zone_field(fmt: str) -> bool:
    return re.search(r"%[:#]*z", fmt) is not None


def _pattern_moment(lf: pl.LazyFrame, fmt: str, naive: str, utc: str) -> pl.LazyFrame:
    s = pl.col(IN)
    if _has_zone_field(fmt):
        parsed = s.str.to_datetime(fmt, strict=False, time_unit="us", time_zone="UTC")
        return lf.with_columns(
            null_datetime().alias(naive), parsed.cast(pl.Datetime("us", "UTC")).alias(utc)
        )
    parsed = s.str.to_datetime(fmt, strict=False, time_unit="us")
    return lf.with_columns(
        parsed.cast(pl.Datetime("us")).alias(naive), null_datetime("UTC").alias(utc)
    )


def _moment(lf: pl.LazyFrame, formats: ValueFormats) -> pl.LazyFrame:
    """Columns ``_naive``/``_utc`` from the first reading that applies.

    Configured patterns first, in order; then the built-in shapes; then Excel serials.
    """
    names: list[tuple[str, str]] = []
    for i, fmt in enumerate(formats.date_formats):
        names.append((f"_p{i}_naive", f"_p{i}_utc"))
        lf = _pattern_moment(lf, fmt, *names[-1])
    names.append(("_b_naive", "_b_utc"))
    lf = _builtin_moment(lf, formats.date_order, *names[-1])
    if formats.excel_serial_dates:
        names.append(("_x_naive", "_x_utc"))
        lf = _excel_moment(lf, *names[-1])
    naive = pl.when(pl.lit(False)).then(null_datetime())
    utc = pl.when(pl.lit(False)).then(null_datetime("UTC"))
    for n, u in names:
        applies = pl.col(n).is_not_null() | pl.col(u).is_not_null()
        naive = naive.when(applies).then(pl.col(n))
        utc = utc.when(applies).then(pl.col(u))
    return lf.with_columns(naive.otherwise(None).alias("_naive"), utc.otherwise(None).alias("_utc"))


#: What :func:`local_time_notes` says of a wall-clock time the business timezone skips or
#: repeats (the reading :func:`read_timestamp` took is documented with each).
GAP, AMBIGUOUS = "gap", "ambiguous"


def _localised(naive: pl.Expr, timezone: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(earliest reading, latest reading, reading moved forward by the gap) of wall-clock
    times in ``timezone``, each Datetime("us", "UTC").

    A time in a DST gap has no reading but the third: it is read with the offset in force
    before the gap (as :mod:`zoneinfo` reads it with fold=0), which is the wall-clock time
    moved forward by the length of the gap (02:30 in a one-hour gap is 03:30).
    """
    earliest = naive.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    latest = naive.dt.replace_time_zone(timezone, ambiguous="latest", non_existent="null")
    # The offset a day earlier: transitions are months apart, so it is the one before the gap.
    before = (naive - pl.duration(days=1)).dt.replace_time_zone(
        timezone, ambiguous="earliest", non_existent="null"
    )
    # (offsets are millisecond durations: cast, or the difference would lose microseconds)
    offset = (before.dt.base_utc_offset() + before.dt.dst_offset()).cast(pl.Duration("us"))
    forward = (naive - offset).dt.replace_time_zone("UTC")
    return (
        earliest.dt.convert_time_zone("UTC"),
        latest.dt.convert_time_zone("UTC"),
        forward,
    )


def read_timestamp(lf: pl.LazyFrame, formats: ValueFormats) -> pl.LazyFrame:
    """An instant, Datetime("us", "UTC"); wall-clock values are read in ``formats.timezone``.

    A wall-clock time that does not exist there (a DST gap) is moved forward by the gap; an
    ambiguous one (DST fold: the hour happens twice) is the first, earlier, instant.
    :func:`local_time_notes` tells which values were read so.
    """
    lf = _moment(lf, formats)
    earliest, _, forward = _localised(pl.col("_naive"), formats.timezone)
    return lf.with_columns(pl.coalesce(pl.col("_utc"), earliest, forward).alias(OUT))


def local_time_notes(lf: pl.LazyFrame, formats: ValueFormats) -> pl.LazyFrame:
    """:data:`GAP` or :data:`AMBIGUOUS` where :func:`read_timestamp` resolved a wall-clock
    time the business timezone skips or repeats; else null."""
    lf = _moment(lf, formats)
    earliest, latest, _ = _localised(pl.col("_naive"), formats.timezone)
    wall_clock = pl.col("_utc").is_null() & pl.col("_naive").is_not_null()
    return lf.with_columns(
        pl.when(wall_clock & earliest.is_null())
        .then(pl.lit(GAP))
        .when(wall_clock & (earliest != latest))
        .then(pl.lit(AMBIGUOUS))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias(OUT)
    )


def read_date(lf: pl.LazyFrame, formats: ValueFormats) -> pl.LazyFrame:
    """A calendar date; a timestamp reads as its date (in ``formats.timezone`` when zoned)."""
    lf = _moment(lf, formats)
    zoned_date = pl.col("_utc").dt.convert_time_zone(formats.timezone).dt.date()
    return lf.with_columns(pl.coalesce(pl.col("_naive").dt.date(), zoned_date).alias(OUT))
