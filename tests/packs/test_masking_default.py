"""Contact details in CRM text are masked by default.

The hand-made warehouse (tests/packs/support/hand_warehouse.py): expected numbers are worked out
by hand from its rows (see the comments next to each expectation).
"""

from __future__ import annotations

from pipelines.core.masking import mask_contacts
from pipelines.packs import PackOptions, render_pack
from tests.packs.support import GENERATED_AT, OPTIONS, cell_values
from tests.packs.support.hand_warehouse import EMAIL, PHONE


def test_contact_details_masked_by_default(hand_warehouse, tmp_path):
    masked = render_pack(hand_warehouse, "2026Q3", tmp_path / "m", formats=["html", "xlsx"],
                         options=OPTIONS)  # fmt: skip
    html = masked.files["html"].read_text(encoding="utf-8")
    cells = " ".join(map(str, cell_values(masked.files["xlsx"])))
    for content in (html, cells):
        assert EMAIL not in content and PHONE not in content
        assert "z***@example.com" in content
        assert "*********8000" in content  # 13 digits, the last four kept
        assert "2026-01-01" in content  # nor is a date
    unmasked = render_pack(
        hand_warehouse, "2026Q3", tmp_path / "u", formats=["html"],
        options=PackOptions(generated_at=GENERATED_AT, unmask_contacts=True),
    )  # fmt: skip
    text = unmasked.files["html"].read_text(encoding="utf-8")
    assert EMAIL in text and PHONE in text


def test_mask_contacts_rules():
    assert mask_contacts("call 13800138000 or mail li.na@corp.cn") == (
        "call *******8000 or mail l***@corp.cn"
    )
    assert mask_contacts("021-6234 5678") == "*******5678"  # 11 digits, the last four kept
    assert mask_contacts("O-1001 on 2026-09-30, amount 9000000") == (
        "O-1001 on 2026-09-30, amount 9000000"
    )
    assert mask_contacts(None) is None
