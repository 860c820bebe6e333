"""The shipped vendor profiles (salesforce, hubspot, fxiaoke) on realistic export files.

Each test writes a night's drop the way the vendor exports it (real bytes: BOMs, CRLF,
GB18030, an XLSX with a merged title row), loads it entity by entity in dependency
order into a real DuckDB file, and checks every row's fate and typed value against
values worked out by hand. Expected instants are computed with zoneinfo from the
profile's timezone, so daylight-saving changes are checked, not assumed.
The vendors' drops: test_profile_salesforce.py, test_profile_hubspot.py,
test_profile_fxiaoke.py; here, the file patterns of every shipped profile.
"""

from __future__ import annotations

import re

import pytest

from pipelines.ingest.profiles.loader import load_profile, shipped_profiles

# --------------------------------------------------------------------------- file patterns

#: Default export names of each vendor profile -> the entity they hold.
VENDOR_FILE_NAMES = {
    "salesforce": {
        "Users.csv": "sales_reps",
        "Users Report-2026-03-02-06-00-00.xlsx": "sales_reps",
        "Accounts 2026-03-02.csv": "accounts",
        "Accounts Report-2026-03-02-06-00-00.xlsx": "accounts",
        "Opportunities.csv.gz": "opportunities",
        "Opportunities Report-2026-03-02-06-00-00.xlsx": "opportunities",
        "Activities.csv": "activities",
        "Tasks and Events-2026-03-02-06-00-00.xlsx": "activities",
        "report1772416800000.csv": None,
    },
    "hubspot": {
        "sales_reps.csv": "sales_reps",
        "hubspot-crm-exports-all-companies-2026-03-02.csv": "accounts",
        "hubspot-crm-exports-all-companies-2026-03-02.xlsx": "accounts",
        "hubspot-crm-exports-all-deals-2026-03-02.csv": "opportunities",
        "hubspot-crm-exports-my-open-deals-2026-03-02.xlsx": "opportunities",
        "hubspot-crm-exports-all-activities-2026-03-02.csv": "activities",
        "hubspot-crm-exports-all-calls-2026-03-02.csv": "activities",
        "hubspot-crm-exports-all-meetings-2026-03-02.xlsx": "activities",
        "hubspot-crm-exports-all-emails-2026-03-02.csv": "activities",
        "hubspot-crm-exports-all-contacts-2026-03-02.csv": "leads",
        "users-2026-03-02.csv": "sales_reps",
        "products.csv": "products",
    },
    "fxiaoke": {
        "员工列表_20260302.xlsx": "sales_reps",
        "员工_20260302.csv": "sales_reps",
        "通讯录.xlsx": "sales_reps",
        "客户_20260302.csv": "accounts",
        "客户列表_20260302.xlsx": "accounts",
        "商机列表_20260302.xlsx": "opportunities",
        "商机_20260302.csv.gz": "opportunities",
        "跟进记录_20260302.csv": "activities",
        "客户跟进记录_20260302.xlsx": "activities",
        "销售记录.xlsx": "activities",
        "销售线索_20260302.csv": "leads",
        "线索列表.xlsx": "leads",
        "销售订单_20260302.csv": "orders",
        "订单列表_20260302.xlsx": "orders",
        "回款列表_20260302.csv": "payments",
        "回款_20260302.xlsx": "payments",
        "回款计划_20260302.xlsx": None,
    },
}


def _example(pattern: str) -> str:
    """A file name the glob ``pattern`` matches."""
    name = re.sub(r"\[!?(.)[^\]]*\]", r"\1", pattern)
    return name.replace("*", "_2026-03-02").replace("?", "x")


def _claimants(profile, file_name: str) -> list[str]:
    """The entities a file feeds: one, or several whose mappings all say shared: true
    (entities_for raises when a file matches an unshared mapping and another)."""
    return profile.entities_for(file_name)


@pytest.mark.parametrize("name", sorted(shipped_profiles()))
def test_file_patterns_claim_each_example_name_once(name):
    profile = load_profile(name)
    for entity_name, mappings in profile.readings.items():
        for mapping in mappings:
            for pattern in mapping.files:
                example = _example(pattern)
                claimants = _claimants(profile, example)
                assert entity_name in claimants, (pattern, example)
                assert claimants == [entity_name] or all(
                    profile.reading_for(e, example).shared for e in claimants
                ), (pattern, example)
    for file_name, entity_name in VENDOR_FILE_NAMES.get(name, {}).items():
        expected = [entity_name] if entity_name else []
        assert _claimants(profile, file_name)[:1] == expected, file_name


def test_vendor_profiles_are_shipped_with_their_quirks_documented():
    for name in VENDOR_FILE_NAMES:
        path = shipped_profiles()[name]
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# "), name
        assert "quirks" in text.split("\nprofile:")[0], name
        assert load_profile(name).profile == name
