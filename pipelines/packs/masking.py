"""Masking of contact details in CRM text (on by default in every pack).

Emails keep their first character and the domain (``z***@example.com``); phone
numbers keep their last four digits (``*******5678``). A phone number is a run
of 7 to 15 digits that starts with ``+``, contains a separator (space, dash,
parentheses) or is a mainland mobile number (11 digits starting 13-19); ISO
dates (``2026-01-31``) and plain amounts (``9000000``) are left alone.
Set ``SALESOPS_REPORT_UNMASK_CONTACTS=true`` to print them unmasked.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE_CANDIDATE = re.compile(r"(?<![\w.])\+?\d[\d ()\-]{5,}\d(?![\w.])")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOBILE = re.compile(r"1[3-9]\d{9}")


def _phone(m: re.Match[str]) -> str:
    text = m.group(0)
    digits = re.sub(r"\D", "", text)
    looks_like_phone = (
        text.startswith("+") or bool(re.search(r"[ ()\-]", text)) or bool(_MOBILE.fullmatch(text))
    )
    if not (7 <= len(digits) <= 15) or _ISO_DATE.fullmatch(text) or not looks_like_phone:
        return text
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_contacts(text: str | None) -> str | None:
    """``text`` with emails and phone numbers masked (``None`` stays ``None``)."""
    if not text:
        return text
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return _PHONE_CANDIDATE.sub(_phone, text)
