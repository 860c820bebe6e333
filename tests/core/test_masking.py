"""Contact details are masked wherever they are written; dates, amounts and ids never are.

The phones are generated (libphonenumber's own example numbers for several countries, mainland
mobiles and landlines in every common grouping, full-width or not) and embedded in arbitrary
CJK / Latin text; the figures are generated too, and must come out exactly as they went in.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import namedtuple
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from pipelines.core.masking import mask_contacts, mask_values

FULL_WIDTH = str.maketrans("0123456789+()-", "０１２３４５６７８９＋（）－")
CJK = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 400)) + "联系人张先生李转介绍客户经理电话"
LOWER = "abcdefghijklmnopqrstuvwxyz"
PUNCT = " ,;:，。、：；"
SEPARATORS = [" ", "-", ".", "/", "\u3000", "\u00a0", "\u2013", "－", "·"]
REGIONS = ["CN", "US", "GB", "DE", "FR", "JP", "SG", "HK", "AU", "IN", "BR", "AE"]

settings.register_profile(
    "masking",
    max_examples=int(os.environ.get("MASK_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("masking")


def digits_of(text: str) -> str:
    """Every decimal digit of ``text``, of any script, as ASCII."""
    return "".join(
        str(unicodedata.decimal(c)) for c in text if unicodedata.decimal(c, None) is not None
    )


@st.composite
def mobiles(draw) -> str:
    number = (
        "1" + draw(st.sampled_from("3456789")) + draw(st.from_regex(r"[0-9]{9}", fullmatch=True))
    )
    sep = draw(st.sampled_from(["", *SEPARATORS]))
    shown = sep.join((number[:3], number[3:7], number[7:])) if sep else number
    return draw(st.sampled_from(["", "+86 ", "+86-", "0086 ", "86"])) + shown


@st.composite
def landlines(draw) -> str:
    area = draw(st.sampled_from(["10", "21", "20", "571", "755", "28", "512"]))
    local = draw(st.from_regex(r"[2-8][0-9]{7}", fullmatch=True))
    form = draw(
        st.sampled_from(
            [
                "(0{a}) {l1} {l2}",
                "0{a}-{l}",
                "0{a}{l}",
                "+86 {a} {l1} {l2}",
                "0{a} {l}",
                "0{a}.{l1}.{l2}",
                "（0{a}）{l}",
            ]
        )
    )
    return form.format(a=area, l=local, l1=local[:4], l2=local[4:])


@st.composite
def foreign(draw) -> str:
    region = draw(st.sampled_from(REGIONS))
    kind = draw(
        st.sampled_from(
            [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
        )
    )
    number = phonenumbers.example_number_for_type(region, kind)
    fmt = draw(
        st.sampled_from(
            [phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.E164]
        )
    )
    return phonenumbers.format_number(number, fmt)


def phones():
    numbers = st.one_of(mobiles(), landlines(), foreign())
    return st.tuples(numbers, st.booleans()).map(
        lambda p: p[0].translate(FULL_WIDTH) if p[1] else p[0]
    )


def words(alphabet: str):
    return st.text(alphabet=alphabet, max_size=12)


def assert_masked(text: str, phone: str, masked: str, prefix: str, suffix: str) -> None:
    assert masked.startswith(prefix) and masked.endswith(suffix), (text, masked)
    shown = digits_of(masked)
    assert shown == digits_of(phone)[-4:], (text, masked)  # only the last four digits remain


@given(phone=phones(), prefix=words(CJK + LOWER + PUNCT), suffix=words(CJK + LOWER + PUNCT))
def test_a_phone_in_any_text_is_masked(phone, prefix, suffix):
    text = prefix + phone + suffix
    assert_masked(text, phone, mask_contacts(text), prefix, suffix)


@given(phone=st.one_of(mobiles(), foreign()), prefix=words(LOWER.upper() + "-_#/"))
def test_a_mobile_or_international_number_is_masked_even_glued_to_an_id_like_prefix(phone, prefix):
    text = prefix + phone
    assert_masked(text, phone, mask_contacts(text), prefix, "")


@given(
    phone=phones(),
    word=st.sampled_from(
        ["tel ", "Tel:", "TEL-", "phone: ", "mobile ", "电话：", "手机", "联系人"]
    ),
)
def test_a_phone_after_a_phone_word_is_masked(phone, word):
    assert_masked(word + phone, phone, mask_contacts(word + phone), word, "")


@given(local=st.from_regex(r"8[0-9]{7}", fullmatch=True), word=st.sampled_from(["tel ", "电话："]))
def test_a_bare_local_number_is_masked_after_a_phone_word(local, word):
    assert mask_contacts(word + local) == word + "****" + local[-4:]


NAMES = st.text(alphabet=CJK + LOWER + "._+", min_size=1, max_size=10).filter(
    lambda s: s[0] not in "._+" and s[-1] not in "._+" and ".." not in s
)
LABELS = st.text(alphabet=CJK + LOWER, min_size=1, max_size=8)
TLDS = st.sampled_from(["com", "cn", "中国", "co.uk", "公司", "xn--fiqs8s", "org"])


@given(
    local=NAMES,
    labels=st.lists(LABELS, min_size=1, max_size=3),
    tld=TLDS,
    prefix=st.sampled_from(["", "mail ", "邮箱：", "联系 "]),
    full_width_at=st.booleans(),
)
def test_an_email_of_any_script_is_masked(local, labels, tld, prefix, full_width_at):
    domain = ".".join([*labels, tld])
    text = f"{prefix}{local}{'＠' if full_width_at else '@'}{domain} 。"
    assert mask_contacts(text) == f"{prefix}{local[0]}***@{domain} 。"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("联系人张先生13812345678", "联系人张先生*******5678"),
        ("转介绍-李13611112222", "转介绍-李*******2222"),
        ("tel 138.1234.5678", "tel *******5678"),
        ("张三@例子.中国", "张***@例子.中国"),
        ("zhang [at] example [dot] com", "z***@example.com"),
        ("li(at)corp.cn", "l***@corp.cn"),
        ("（０２１）６２３４－５６７８", "*******5678"),
        ("+1 (415) 555-0123 ext", "*******0123 ext"),
        ("13812345678/13912345678", "*******5678/*******5678"),
        ("13812345678 2026-01-31", "*******5678 2026-01-31"),
        ("(tel 138 1234 5678)", "(tel *******5678)"),
        ("WangLei02162345678", "WangLei*******5678"),
    ],
)
def test_examples(text, expected):
    assert mask_contacts(text) == expected
    assert mask_contacts(expected) == expected  # masking twice changes nothing


# ------------------------------------------------------------------ never altered

MOMENTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31))
OFFSETS = st.sampled_from([None, UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))])
AMOUNTS = st.decimals(
    min_value=Decimal("-1e12"),
    max_value=Decimal("1e12"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)
FIGURES = st.one_of(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)).map(date.isoformat),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)).map(
        lambda d: d.strftime("%Y/%m/%d")
    ),
    st.tuples(MOMENTS, OFFSETS).map(lambda m: m[0].replace(tzinfo=m[1]).isoformat()),
    MOMENTS.map(lambda m: m.strftime("%Y-%m-%d %H:%M")),
    MOMENTS.map(lambda m: m.strftime("%H:%M")),
    AMOUNTS.map(lambda a: f"{a:,.2f}"),
    AMOUNTS.map(lambda a: f"{a:,.0f}"),
    AMOUNTS.map(lambda a: f"{a:.2f}"),
    st.integers(min_value=0, max_value=9_999_999_999).map(str),
    st.floats(min_value=-1000, max_value=1000, allow_nan=False).map(lambda x: f"{x:.1f}%"),
    st.from_regex(r"[A-Z]{2,4}-(19|20)[0-9]{2}-[0-9]{4,8}", fullmatch=True),
    st.from_regex(r"[A-Z]{2,4}[-_]?[2-9][0-9]{4,9}", fullmatch=True),
    st.from_regex(r"(19|20)[0-9]{2}(Q[1-4]|-(0[1-9]|1[0-2]))", fullmatch=True),
)
JOINS = st.sampled_from([", ", "; ", " and ", "，", "、", " – ", " to ", " 至 ", " | "])
WORDS = st.sampled_from(["revenue", "orders", "due", "营收", "订单", "回款", "Q3", "pipeline"])


@given(parts=st.lists(st.one_of(FIGURES, WORDS), min_size=1, max_size=8), join=JOINS)
def test_dates_amounts_ids_and_percentages_are_never_altered(parts, join):
    text = join.join(parts)
    assert mask_contacts(text) == text


def test_plain_digit_runs_are_figures():
    for text in (
        "9000000",
        "2025000123",
        "ORD2025000123",
        "SKU12345678",
        "订单2025-000123",
        "9 000 000",
        "1.234.567",
        "1234.5678",
        "192.168.1.100",
    ):
        assert mask_contacts(text) == text


# ------------------------------------------------------------------ every value of a structure


@dataclass(frozen=True)
class Row:
    name: str
    amount: Decimal
    notes: list[str]


Pair = namedtuple("Pair", "label value")


def test_mask_values_masks_every_string_inside_and_keeps_the_rest():
    chart = Markup('<svg><text x="13812345678">13812345678</text></svg>')
    value = {
        "rows": [Row("李13611112222", Decimal("9000000.00"), ["a@b.cn", "2026-01-31"])],
        "pair": Pair("tel 62345678", 3),
        "chart": chart,
        "when": date(2026, 1, 31),
    }
    masked = mask_values(value)
    assert masked["rows"] == [
        Row("李*******2222", Decimal("9000000.00"), ["a***@b.cn", "2026-01-31"])
    ]
    assert masked["pair"] == Pair("tel ****5678", 3)
    assert masked["chart"] is chart  # markup the project built is left to its builder
    assert masked["when"] == date(2026, 1, 31)
    untouched = {"a": ["2026-01-31", ("x", 1)]}
    assert mask_values(untouched) is untouched
    assert mask_contacts(None) is None and mask_contacts("") == ""


def test_unicode_digits_are_digits():
    arabic = "١٣٨١٢٣٤٥٦٧٨"  # 13812345678 in Arabic-Indic digits
    assert digits_of(mask_contacts(f"call {arabic}")) == "5678"
    assert not re.search(r"[١-٩]{5}", mask_contacts(f"call {arabic}"))
