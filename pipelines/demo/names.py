"""Name pools for the demo drop: people, companies, places.

Everything here is plain data plus a few pure helpers that draw from a
``random.Random`` passed in, so the generator stays deterministic.
"""

from __future__ import annotations

import random

#: (surname, pinyin)
SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("赵", "zhao"),
    ("黄", "huang"),
    ("周", "zhou"),
    ("吴", "wu"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("胡", "hu"),
    ("朱", "zhu"),
    ("高", "gao"),
    ("林", "lin"),
    ("何", "he"),
    ("郭", "guo"),
    ("马", "ma"),
    ("罗", "luo"),
    ("梁", "liang"),
    ("宋", "song"),
    ("郑", "zheng"),
    ("谢", "xie"),
    ("韩", "han"),
    ("唐", "tang"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
)

#: (given name, pinyin)
GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀英", "xiuying"),
    ("华", "hua"),
    ("慧", "hui"),
    ("婷", "ting"),
    ("浩", "hao"),
    ("宇", "yu"),
    ("晨", "chen"),
    ("欣怡", "xinyi"),
    ("子涵", "zihan"),
    ("志强", "zhiqiang"),
    ("建国", "jianguo"),
    ("海燕", "haiyan"),
    ("文博", "wenbo"),
    ("佳琪", "jiaqi"),
)

EN_FIRST_NAMES: tuple[str, ...] = (
    "Emily",
    "David",
    "Michael",
    "Grace",
    "Kevin",
    "Sophia",
    "Daniel",
    "Olivia",
    "Jason",
    "Linda",
    "Eric",
    "Helen",
    "Tony",
    "Vivian",
    "Peter",
    "Cindy",
)

#: Cities per region: (name as used in a company name, pinyin).
CITIES: dict[str, tuple[tuple[str, str], ...]] = {
    "华东": (
        ("上海", "sh"),
        ("杭州", "hz"),
        ("南京", "nj"),
        ("苏州", "sz"),
        ("宁波", "nb"),
        ("无锡", "wx"),
        ("合肥", "hf"),
    ),
    "华南": (
        ("深圳市", "sz"),
        ("广州", "gz"),
        ("东莞", "dg"),
        ("佛山", "fs"),
        ("厦门", "xm"),
        ("珠海", "zh"),
    ),
    "华北": (
        ("北京", "bj"),
        ("天津", "tj"),
        ("石家庄", "sjz"),
        ("济南", "jn"),
        ("太原", "ty"),
        ("唐山", "ts"),
    ),
}

#: Trade names (字号) with pinyin.
BRANDS: tuple[tuple[str, str], ...] = (
    ("华锐", "huarui"),
    ("云帆", "yunfan"),
    ("恒通", "hengtong"),
    ("鑫达", "xinda"),
    ("博远", "boyuan"),
    ("瑞丰", "ruifeng"),
    ("金桥", "jinqiao"),
    ("天宇", "tianyu"),
    ("海纳", "haina"),
    ("启明", "qiming"),
    ("众信", "zhongxin"),
    ("德润", "derun"),
    ("新越", "xinyue"),
    ("嘉禾", "jiahe"),
    ("卓越", "zhuoyue"),
    ("汇通", "huitong"),
    ("同创", "tongchuang"),
    ("长青", "changqing"),
    ("宏图", "hongtu"),
    ("睿智", "ruizhi"),
    ("安达", "anda"),
    ("远航", "yuanhang"),
    ("星辰", "xingchen"),
    ("明阳", "mingyang"),
    ("万联", "wanlian"),
    ("精工", "jinggong"),
    ("泰和", "taihe"),
    ("立信", "lixin"),
    ("飞鸿", "feihong"),
    ("凯达", "kaida"),
)

#: Characters combined into further trade names when the list above runs out.
BRAND_CHARS: tuple[tuple[str, str], ...] = (
    ("华", "hua"),
    ("锐", "rui"),
    ("云", "yun"),
    ("帆", "fan"),
    ("恒", "heng"),
    ("通", "tong"),
    ("鑫", "xin"),
    ("博", "bo"),
    ("瑞", "rui"),
    ("丰", "feng"),
    ("金", "jin"),
    ("宇", "yu"),
    ("海", "hai"),
    ("启", "qi"),
    ("信", "xin"),
    ("德", "de"),
    ("越", "yue"),
    ("嘉", "jia"),
    ("汇", "hui"),
    ("创", "chuang"),
    ("宏", "hong"),
    ("智", "zhi"),
    ("达", "da"),
    ("航", "hang"),
    ("辰", "chen"),
    ("阳", "yang"),
    ("联", "lian"),
    ("泰", "tai"),
    ("和", "he"),
    ("鸿", "hong"),
    ("凯", "kai"),
    ("盛", "sheng"),
    ("源", "yuan"),
    ("益", "yi"),
    ("捷", "jie"),
    ("晟", "sheng"),
)

#: (word in the company name, industry label, slug for e-mail domains)
INDUSTRY_WORDS: tuple[tuple[str, str, str], ...] = (
    ("科技", "Technology", "tech"),
    ("电子", "Electronics", "elec"),
    ("信息技术", "Software & IT", "it"),
    ("智能制造", "Manufacturing", "mfg"),
    ("精密机械", "Manufacturing", "mech"),
    ("贸易", "Trading", "trade"),
    ("医疗器械", "Healthcare", "med"),
    ("物流", "Logistics", "logistics"),
    ("新材料", "Materials", "materials"),
    ("汽车零部件", "Automotive", "auto"),
    ("环保科技", "Energy & Environment", "eco"),
    ("新能源", "Energy & Environment", "energy"),
    ("食品", "Food & Beverage", "food"),
)

COMPANY_SUFFIXES: tuple[tuple[str, int], ...] = (
    ("有限公司", 80),
    ("股份有限公司", 15),
    ("集团有限公司", 5),
)

EN_COMPANY_WORDS: tuple[str, ...] = (
    "Northwind",
    "Bluewater",
    "Silverline",
    "Evergreen",
    "Summit",
    "Harbor",
    "Pacific Rim",
    "Crestview",
    "Redwood",
    "Brightstar",
    "Ironbridge",
    "Goldfield",
    "Lakeside",
    "Oakridge",
    "Westgate",
    "Sunrise",
    "Apex",
    "Horizon",
    "Meridian",
    "Keystone",
    "Orient Bay",
    "Jade River",
    "Great Wall",
    "Silk Road",
)

#: (word, industry label)
EN_INDUSTRY_WORDS: tuple[tuple[str, str], ...] = (
    ("Trading", "Trading"),
    ("Electronics", "Electronics"),
    ("Logistics", "Logistics"),
    ("Technologies", "Technology"),
    ("Industrial", "Manufacturing"),
    ("Medical", "Healthcare"),
    ("Materials", "Materials"),
    ("Automation", "Manufacturing"),
    ("Foods", "Food & Beverage"),
    ("Motors", "Automotive"),
)

EN_COMPANY_SUFFIXES: tuple[str, ...] = (
    "Co., Ltd.",
    "Ltd.",
    "Inc.",
    "(Shanghai) Co., Ltd.",
    "(Shenzhen) Co., Ltd.",
    "Holdings Ltd.",
)

MAIL_LOCAL_PARTS: tuple[str, ...] = ("info", "sales", "purchase", "contact", "procurement")


def chinese_person(rng: random.Random) -> tuple[str, str]:
    """(name, email local part), e.g. ("王伟", "wei.wang")."""
    surname, s_py = rng.choice(SURNAMES)
    given, g_py = rng.choice(GIVEN_NAMES)
    return surname + given, f"{g_py}.{s_py}"


def english_person(rng: random.Random) -> tuple[str, str]:
    """(name, email local part), e.g. ("Emily Zhang", "emily.zhang")."""
    first = rng.choice(EN_FIRST_NAMES)
    _, s_py = rng.choice(SURNAMES)
    last = s_py.capitalize()
    return f"{first} {last}", f"{first.lower()}.{s_py}"


def chinese_company(rng: random.Random, region: str) -> dict[str, str]:
    """A Chinese company name like 上海华锐科技有限公司, with slug, short name, industry."""
    city, city_py = rng.choice(CITIES[region])
    if rng.random() < 0.6:
        brand, brand_py = rng.choice(BRANDS)
    else:
        (c1, p1), (c2, p2) = rng.sample(BRAND_CHARS, 2)
        brand, brand_py = c1 + c2, p1 + p2
    word, industry, slug = rng.choice(INDUSTRY_WORDS)
    suffixes = [s for s, _ in COMPANY_SUFFIXES]
    weights = [w for _, w in COMPANY_SUFFIXES]
    suffix = rng.choices(suffixes, weights=weights)[0]
    return {
        "name": f"{city}{brand}{word}{suffix}",
        "short": f"{brand}{word}",
        "slug": f"{brand_py}-{slug}-{city_py}",
        "industry": industry,
    }


def english_company(rng: random.Random) -> dict[str, str]:
    """An English company name like ``Northwind Trading Co., Ltd.``."""
    word = rng.choice(EN_COMPANY_WORDS)
    ind_word, industry = rng.choice(EN_INDUSTRY_WORDS)
    suffix = rng.choice(EN_COMPANY_SUFFIXES)
    return {
        "name": f"{word} {ind_word} {suffix}",
        "short": f"{word} {ind_word}",
        "slug": f"{word.lower().replace(' ', '')}-{ind_word.lower()}",
        "industry": industry,
    }


#: Third digit of allocated mainland mobile prefixes, by the second digit (1[3-9]x).
_MOBILE_THIRD = {
    "3": "0123456789",
    "4": "57",
    "5": "012356789",
    "6": "2567",
    "7": "0123578",
    "8": "0123456789",
    "9": "0123567899",
}


def mobile_phone(rng: random.Random) -> str:
    """A valid mainland mobile number: 11 digits on an allocated 1[3-9]x prefix."""
    second = rng.choice("3456789")
    digits = "".join(rng.choice("0123456789") for _ in range(9))
    thirds = _MOBILE_THIRD[second]
    return "1" + second + thirds[int(digits[0]) % len(thirds)] + digits[1:]
