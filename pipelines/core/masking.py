"""Masking of contact details (phone numbers, email addresses) in text shown to readers.

One concept, one place: packs (HTML, PDF, Excel, chart labels) and alerts (rep digests,
manager roll-ups, the sales-ops summary, run-failure alerts) call :func:`mask_contacts` on a
string or :func:`mask_values` on everything they are about to show.

How it reads text. Detection runs on a copy of the text in which every character is
NFKC-normalised on its own (full-width ``１３８`` and ``＠`` become ``138`` and ``@``, the
ideographic and no-break spaces a space), every decimal digit of any script counts as a digit
and every dash (``‐ – — − －``) is ``-`` and a middle dot (``·``) is ``.``; what is replaced is
the original text's span, so everything else is printed exactly as written.

Emails. ``local@domain.tld`` where the local part and the domain may be any letters of any
script (``张三@例子.中国``), the domain has at least one dot and a top-level part of two or more
letters; also written ``name [at] domain [dot] com`` / ``name(at)domain.com``. Shown as the
first character, ``***`` and the domain: ``张***@例子.中国``, ``z***@example.com``.

Phone numbers. A *run* is digit groups with one separator between two groups (a space,
``.``, ``/``, a dash with or without spaces around it, a parenthesis with or without a space),
optionally led by ``+`` or ``(``. Not part of any run, whatever
follows: ISO and local dates (``2026-01-31``, ``31/01/2026``, ``2026年1月31日``) with an
optional time and offset, times (``12:30``), percentages (``12.5%``) and amounts grouped by
commas (``9,000,000.00``) and decimals of one or two places (``10.00``). A run holding more
than one number is read from the left: a group that is a phone on its own is taken alone, else
the longest stretch of groups that is one.
A stretch with 7 to 15 digits (E.164's limit; a leading international ``00`` not counted) is a
phone number when

1. it starts with ``+`` or ``00`` and ``phonenumbers`` says it is a possible number of that
   country calling code (``+86 138 1234 5678``, ``0044 20 7946 0958``); or
2. its digits are a mainland China mobile number (``1[3-9]`` and nine more digits, optionally
   led by ``86``), however grouped and whatever letters it is glued to
   (``张先生13812345678``, ``tel138.1234.5678``); or
3. it follows a phone word (tel, phone, mobile, cell, fax, call, contact, WhatsApp, WeChat,
   QQ, 电话, 手机, 座机, 联系, 致电, 传真, 微信, 号码, ☎, 📞, within a few characters); or
4. it is not glued to an id prefix (capitals such as ``SKU``, or letters joined by ``-``,
   ``_``, ``#``, ``/`` such as ``ORD-``) and either starts with a single trunk ``0``
   (``021-6234 5678``; as one plain run: 10 to 12 digits, ``02162345678``) or has groups of
   2 to 4 digits, the last of four, none joined by a spaced dash (``6234 5678``,
   ``(415) 555-0123``);

and is none of: groups of exactly three digits after the first, all with one separator
(``9 000 000``, ``1.234.567``: an amount), two groups joined by one dot (``1234.5678``: a
decimal), four dotted groups of up to three digits (an IP address), groups that all end in
``00`` (``1000-2000``: round figures), or a year (``19xx`` / ``20xx``) joined by ``-`` or
``/`` to a group not of four digits or to another year (``2025-000123``, ``2019-2025``). A
plain run of digits with none of the marks above (``9000000``, ``2025000123``) is an amount or
an id, never a phone: a number a reader cannot tell from a figure is left as it is. A phone is
shown as one ``*`` per digit but the last four, then those four: ``*******5678``.

Masking is idempotent (masked text stays as it is) and leaves ISO dates, times, amounts,
percentages and ids such as ``ORD-2025-000123`` untouched.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import phonenumbers
from markupsafe import Markup

#: A phone keeps its last digits; an email its first character and domain.
KEEP_DIGITS = 4
MIN_DIGITS, MAX_DIGITS = 7, 15

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u30fc"
_DOTS = "\u00b7\u2022\u30fb\uff65"

# Cheap tests first: most text has neither seven digits nor anything like an "@".
_MAYBE_PHONE = re.compile(r"(?:\d\D{0,3}){7}")
_MAYBE_EMAIL = re.compile(r"[@\uff20\ufe6b]|[\[(\uff08{<]\s*at\s*[\])\uff09}>]", re.I)

_LOCAL = r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*"
_TLD = r"[^\W\d_][\w-]*[^\W_]"  # com, 中国, xn--fiqs8s
_DOMAIN = rf"(?:[^\W_](?:[\w-]*[^\W_])?\.)+{_TLD}"
_EMAIL = re.compile(rf"({_LOCAL})@({_DOMAIN})")
_AT = r"\s*[\[(<{]\s*at\s*[\])>}]\s*"
_DOT = r"(?:\s*[\[(<{]\s*dot\s*[\])>}]\s*|\.)"
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_OBFUSCATED_EMAIL = re.compile(rf"({_LOCAL}){_AT}((?:{_LABEL}{_DOT})+{_TLD})", re.I)

# Spans that are never part of a phone: dates (with a time), times, percentages, amounts.
_PROTECTED = re.compile(
    r"(?<!\d)(?<!\+)(?:"
    r"(?:19|20)\d{2}(?P<s1>[-/.])[01]?\d(?P=s1)[0-3]?\d"  # 2026-01-31, 2026/1/31, 2026.01.31
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|(?:19|20)\d{2}年[01]?\d月(?:[0-3]?\d日)?"
    r"|[0-3]?\d(?P<s2>[-/.])[0-3]?\d(?P=s2)(?:19|20)\d{2}"  # 31/01/2026, 01-31-2026
    r"|\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"  # 12:30, 12:30:45
    r"|\d+(?:[.,]\d+)?\s?%"  # 12.5%
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 9,000,000.00
    r"|\d+\.\d{1,2}(?!\.\d)"  # 10.00, 12.5
    r")(?!\d)"
)
_PROTECT = "\x00"
#: Between two digit groups: one space, dot or slash, a dash (spaces around it allowed), or
#: a parenthesis with a space before or after it.
_RUN = re.compile(r"[+(]*\d(?:(?: ?- ?|[ ./]| ?\(|\) ?)?\d)*\)?")
_GROUP = re.compile(r"\d+")
_MOBILE = re.compile(r"(?:86)?1[3-9]\d{9}")
_KEYWORD = re.compile(
    r"(?:\b(?:tel|telephone|phone|mobile|mob|cell|cellphone|fax|call|contact|whatsapp|"
    r"wechat|qq)|电话|手机|座机|联系|致电|传真|微信|号码|☎|📞)"
    r"[^\d\n]{0,8}$",
    re.I,
)
#: An id's prefix right before the digits: ``ORD-``, ``INV_``, ``SKU`` (capitals glued on).
_ID_PREFIX = re.compile(r"(?:\b[A-Z][A-Z0-9]*|[A-Za-z][A-Za-z0-9]*[-_#/])$")
_YEAR = re.compile(r"(?:19|20)\d{2}")


def _normal(ch: str) -> str:
    digit = unicodedata.decimal(ch, None)
    if digit is not None:
        return str(digit)
    if ch in _DASHES:
        return "-"
    if ch in _DOTS:
        return "."
    return unicodedata.normalize("NFKC", ch) or ch


def _normalise(text: str) -> tuple[str, list[int]]:
    """The detection copy of ``text`` and, for each of its characters, the index of the
    original character it came from (``len(text)`` closes the list)."""
    parts, origin = [], []
    for i, ch in enumerate(text):
        n = ch if ch.isascii() else _normal(ch)
        parts.append(n)
        origin.extend([i] * len(n))
    origin.append(len(text))
    return "".join(parts), origin


def _replace(text: str, origin: list[int], spans: list[tuple[int, int, str]]) -> str:
    """``text`` with each detection-copy span ``[a, b)`` replaced (spans sorted, disjoint)."""
    out, at = [], 0
    for a, b, new in spans:
        start, end = origin[a], origin[b - 1] + 1
        out += [text[at:start], new]
        at = end
    out.append(text[at:])
    return "".join(out)


# --------------------------------------------------------------------------- emails


def _mask_emails(text: str) -> str:
    if not _MAYBE_EMAIL.search(text):
        return text
    norm, origin = _normalise(text)
    spans: list[tuple[int, int, str]] = []
    taken = 0
    for pattern in (_EMAIL, _OBFUSCATED_EMAIL):
        for m in pattern.finditer(norm):
            if m.start() < taken or any(a < m.end() and m.start() < b for a, b, _ in spans):
                continue
            local, domain = m.group(1), m.group(2)
            if local.endswith("***"):  # already masked
                continue
            domain = re.sub(_DOT, ".", domain, flags=re.I)
            spans.append((m.start(), m.end(), f"{text[origin[m.start()]]}***@{domain}"))
    spans.sort()
    return _replace(text, origin, spans) if spans else text


# --------------------------------------------------------------------------- phones


def _groups(candidate: str) -> tuple[list[str], list[str]]:
    """The digit groups of a run and the separators between them, as written."""
    found = list(_GROUP.finditer(candidate))
    seps = [candidate[x.end() : y.start()] for x, y in zip(found, found[1:], strict=False)]
    return [g.group(0) for g in found], seps


def _never(groups: list[str], seps: list[str]) -> bool:
    """Shapes that are figures or ids, not phones (see the module docstring)."""
    if len(groups) < 2:
        return False
    if len(set(seps)) == 1 and len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
        return True  # 9 000 000, 1.234.567: an amount
    if len(groups) == 2 and seps == ["."]:
        return True  # 1234.5678: a decimal
    if len(groups) == 4 and set(seps) == {"."} and all(len(g) <= 3 for g in groups):
        return True  # 192.168.1.100: an IP address
    if all(len(g) >= 3 and g.endswith("00") for g in groups):
        return True  # 1000-2000, 5000/10000: a range or ratio of round figures
    if _YEAR.fullmatch(groups[0]) and seps[0] in ("-", "/", " - "):
        return len(groups[1]) != 4 or bool(_YEAR.fullmatch(groups[1]))  # 2025-000123, 2019-2025
    return False


def is_phone(candidate: str, before: str = "") -> bool:
    """Whether ``candidate`` (a normalised run: digits, separators, a leading ``+``/``(``) is a
    phone number, given the normalised text ``before`` it (see the module docstring)."""
    groups, seps = _groups(candidate)
    digits = "".join(groups)
    plus = candidate.lstrip("(").startswith("+")
    intl = plus or (digits.startswith("00") and not digits.startswith("000"))
    national = digits[2:] if intl and not plus else digits
    if not MIN_DIGITS <= len(national) <= MAX_DIGITS:
        return False
    if intl:
        try:
            number = phonenumbers.parse("+" + national, None)
        except phonenumbers.NumberParseException:
            return False
        return phonenumbers.is_possible_number(number)
    if _never(groups, seps):
        return False
    if _MOBILE.fullmatch(digits) and all(len(g) >= 2 for g in groups):
        return True
    prefix = _ID_PREFIX.search(before)
    if prefix:  # an id (ORD-2025-000123, SKU12345678) unless the prefix is a phone word (TEL-)
        return bool(_KEYWORD.search(prefix.group(0)))
    if _KEYWORD.search(before):
        return True
    trunk = digits.startswith("0") and not digits.startswith("00")
    if len(groups) >= 2:
        ranged = any(len(sep) > 1 and "-" in sep for sep in seps)  # 1000 - 2000: a range
        return trunk or (
            not ranged and all(2 <= len(g) <= 4 for g in groups) and len(groups[-1]) == 4
        )
    return trunk and 10 <= len(digits) <= 12


def _phone_mask(digits: str) -> str:
    return "*" * (len(digits) - KEEP_DIGITS) + digits[-KEEP_DIGITS:]


def _phones_in_run(scan: str, run: re.Match[str]) -> list[tuple[int, int, str]]:
    """The phones of one run, read from the left (see the module docstring)."""
    groups = list(_GROUP.finditer(scan, run.start(), run.end()))
    if not run.group(0).lstrip("(").startswith("+") and _never(*_groups(run.group(0))):
        return []
    spans, i = [], 0
    while i < len(groups):
        start = groups[i].start()
        while start > run.start() and scan[start - 1] in "+(":
            start -= 1
        before = scan[max(0, start - 24) : start]
        for j in [i, *range(len(groups) - 1, i, -1)]:
            if sum(len(g.group(0)) for g in groups[i : j + 1]) > MAX_DIGITS + 2:
                continue
            end = groups[j].end()
            piece = scan[start:end]
            if piece.count("(") > piece.count(")") and scan[end : end + 1] == ")":
                end += 1
            if is_phone(piece, before):
                digits = "".join(g.group(0) for g in groups[i : j + 1])
                spans.append((start, end, _phone_mask(digits)))
                i = j + 1
                break
        else:
            i += 1
    return spans


def _mask_phones(text: str) -> str:
    if not _MAYBE_PHONE.search(text):
        return text
    norm, origin = _normalise(text)
    scan = _PROTECTED.sub(lambda m: _PROTECT * len(m.group(0)), norm)
    spans = [span for run in _RUN.finditer(scan) for span in _phones_in_run(scan, run)]
    return _replace(text, origin, spans) if spans else text


# --------------------------------------------------------------------------- entry points


def mask_contacts(text: str | None) -> str | None:
    """``text`` with emails and phone numbers masked (``None`` and ``""`` stay as they are).
    A :class:`~markupsafe.Markup` string is returned unchanged (it is markup built by the
    project, e.g. an SVG chart, whose labels are masked where they are drawn)."""
    if not text or isinstance(text, Markup):
        return text
    return _cached(text)


@lru_cache(maxsize=65536)
def _cached(text: str) -> str:
    return _mask_phones(_mask_emails(text))


def mask_values(value: Any, mask: Callable[[str], str | None] = mask_contacts) -> Any:
    """``value`` with every string inside it masked: in dicts (values), lists, tuples and
    dataclass instances (a copy with its init fields masked), however nested. Anything else
    (numbers, dates, ``Markup``, objects) is returned as it is; so is a container in which
    nothing changed."""
    if isinstance(value, str):
        masked = mask(value)
        return value if masked == value else masked  # unchanged text stays the same object
    if isinstance(value, dict):
        items = {k: mask_values(v, mask) for k, v in value.items()}
        return items if any(items[k] is not v for k, v in value.items()) else value
    if isinstance(value, list | tuple):
        items = [mask_values(v, mask) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        if isinstance(value, list):
            return items
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            if f.init:
                old = getattr(value, f.name)
                new = mask_values(old, mask)
                if new is not old:
                    changes[f.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value


__all__ = ["is_phone", "mask_contacts", "mask_values"]
