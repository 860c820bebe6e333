"""What each contract type accepts under a :class:`ValueFormats`, as a user should read it:
quoted back in every ``unparseable_value`` finding."""

from __future__ import annotations

from pipelines.core.contract import DECIMAL_DIGITS, DECIMAL_SCALE
from pipelines.ingest.values.formats import ORDER_WORDS, ValueFormats


def _date_examples(formats: ValueFormats, with_time: bool) -> str:
    order = formats.date_order
    if with_time:
        examples = ["2026-03-01 09:30:00", "2026/3/1 9:30", "2026年3月1日 下午2:30"]
        if order == "MDY":
            examples.append("3/1/2026 9:30 PM")
        elif order == "DMY":
            examples.append("1/3/2026 21:30")
    else:
        examples = ["2026-03-01", "2026/3/1", "2026年3月1日"]
        if order == "MDY":
            examples.append("3/1/2026")
        elif order == "DMY":
            examples.append("1/3/2026")
    listed = ", ".join(examples[:-1]) + " or " + examples[-1]
    if order == "YMD":
        note = (
            "year/month/day; dates with the year last, like 3/1/2026, need the "
            "date order set to MDY or DMY"
        )
    else:
        note = ORDER_WORDS[order] + "; 4-digit years only"
    return f"{listed} ({note})"


def _extras(formats: ValueFormats, what: str, example: str) -> str:
    out = ""
    if formats.date_formats:
        out += ", or in the format " + " or ".join(formats.date_formats)
    if formats.excel_serial_dates:
        out += f", or an Excel {what} number like {example}"
    return out


def expected_format(type_: str, formats: ValueFormats) -> str:
    """What a column of ``type_`` accepts under ``formats``, as a user should read it."""
    if type_ == "date":
        return f"a date like {_date_examples(formats, False)}{_extras(formats, 'date', '45352')}"
    if type_ == "timestamp":
        return (
            f"a timestamp like {_date_examples(formats, True)}"
            f"{_extras(formats, 'date/time', '45352.5')}; a zone (Z, +08:00 or +0800) is optional, "
            f"without one the time is read as {formats.timezone} time"
        )
    if formats.decimal_mark == ".":
        point, groups, plain, grouped = "'.'", "',' or a space", "1234.50", "1,234.50"
    else:
        point, groups, plain, grouped = "','", "'.' or a space", "1234,50", "1.234,50"
    if type_ == "decimal":
        symbol = "¥" if formats.decimal_mark == "." else "€"
        return (
            f"an amount like {plain}, {grouped}, {symbol}{grouped}, USD {grouped} or "
            f"1{formats.decimal_mark}2万, negative as -{grouped} or ({grouped}) "
            f"({point} as decimal point, {groups} between thousands, "
            f"at most {DECIMAL_SCALE} decimal places, no %)"
        )
    if type_ == "rate":
        return (
            f"a rate like {plain.replace('1234', '7')} or 0{formats.decimal_mark}000222222222222 "
            f"({point} as decimal point, {groups} between thousands, "
            f"at most {DECIMAL_DIGITS['rate'][1]} decimal places, no %)"
        )
    if type_ == "int":
        thousand = "1,000" if formats.decimal_mark == "." else "1.000"
        return f"a whole number like 30 or {thousand} ({groups} between thousands)"
    if type_ == "bool":
        return (
            f"a yes/no value: {', '.join(formats.true_values)} for yes, "
            f"or {', '.join(formats.false_values)} for no"
        )
    if type_ in ("text", "id"):
        return "text"
    raise ValueError(f"unknown contract type {type_!r}")
