"""The shipped fxiaoke profile on a realistic 纷享销客 (Fxiaoke) export.

The test writes a night's drop as the vendor exports it (real bytes), loads it entity by
entity in dependency order into a real DuckDB file (support.load_drop), and checks every
row's fate and typed value against values worked out by hand. Expected instants come from
zoneinfo in the profile's timezone, so daylight-saving changes are checked, not assumed.
Other vendors: test_profile_*.py; every shipped profile's file patterns:
test_shipped_profiles.py.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from tests.ingest.support import (
    SH,
    check_cli,
    counts,
    csv_bytes,
    load_drop,
    local,
    quarantined,
    rows,
    write_export,
)

# --------------------------------------------------------------------------- Fxiaoke

WANG, LI, CHEN = "王芳", "李强", "陈静"
XINGCHEN = "上海星辰科技有限公司"
YUNFAN = "杭州云帆贸易有限公司"
QIANHAI = "深圳前海智造有限公司"
O_PLATFORM = "星辰科技-数据平台采购"
O_RENEWAL = "云帆贸易-年度续约"
O_LINE = "前海智造-产线改造"
O_PHASE2 = "前海智造-二期"
O_TRAINING = "星辰科技-培训服务"


def fxiaoke_drop(inbox: Path) -> None:
    gb = {"encoding": "gb18030", "crlf": True}
    write_export(
        inbox,
        "员工列表_20260302.csv",
        csv_bytes(
            [
                ["员工编号", "姓名", "主属部门", "区域", "职位", "汇报对象", "邮箱", "手机号"]
                + ["入职日期", "员工状态"],
                ["E001", WANG, "华东销售一部", "华东", "销售经理", "", "wang.fang@example.cn"]
                + ["13812345678", "2023/7/1", "在职"],
                ["E002", LI, "华东销售一部", "华东", "客户经理", WANG, "li.qiang@example.cn"]
                + ["13987654321", "2024年3月15日", "在职"],
                ["E003", CHEN, "华南销售部", "--", "客户经理", WANG, "chen.jing@example.cn"]
                + ["", "2025-01-06", "在职"],
            ],
            **gb,
        ),
    )
    # A title line and a blank line above the header, as the list export writes them.
    write_export(
        inbox,
        "客户_20260302.csv",
        csv_bytes(
            [
                ["客户列表 导出时间 2026-03-02"],
                [],
                ["客户编号", "客户名称", "客户级别", "行业", "所属区域", "客户类型", "客户来源"]
                + ["负责人", "创建时间", "电话", "邮箱"],
                ["C0001", XINGCHEN, "A(重点客户)", "互联网", "华东", "直销", "官网", LI]
                + ["2026-01-08 10:20", "021-62345678", "info@xingchen.cn"],
                ["C0002", YUNFAN, "B(普通客户)", "批发零售", "华东", "代理商", "展会", LI]
                + ["2026/2/3 14:05", "13700001111", ""],
                ["C0003", QIANHAI, "", "制造业", "", "", "电话营销", CHEN]
                + ["2026年2月14日 下午3:30", "0755-88889999", "--"],
            ],
            **gb,
        ),
    )
    # 商机 as XLSX: merged title row above the header, text and typed cells mixed.
    wb = Workbook()
    ws = wb.active
    ws.title = "商机"
    header = ["商机名称", "客户名称", "销售阶段", "商机金额", "预计成交日期", "负责人"]
    header += ["创建时间", "最后修改时间", "结单日期", "输单原因", "商机来源"]
    ws.append(["商机列表 导出时间 2026-03-02"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    ws.append(
        [O_PLATFORM, XINGCHEN, "方案/报价", "¥120,000.00", "2026/3/31", LI]
        + [datetime(2026, 1, 10, 9, 30), "2026-03-01 16:45", None, None, "官网"]
    )
    ws.append(
        [O_RENEWAL, YUNFAN, "赢单", "1.2万", "2026年2月28日", LI, "2026-02-01 11:00"]
        + ["2026-02-28 17:20", datetime(2026, 2, 28), None, "老客户"]
    )
    ws.append(
        [O_LINE, QIANHAI, "输单", 85000.5, "2026/4/30", CHEN, "2026-02-15 10:00"]
        + ["2026-02-26 09:00", "2026/2/26", "价格过高", "电话营销"]
    )
    ws.append(
        [O_PHASE2, QIANHAI, "初步接洽", "约5万", "2026/6/30", CHEN, "2026-02-27 15:00"]
        + ["2026-02-27 15:00", None, None, "电话营销"]
    )
    ws.append(
        [O_TRAINING, XINGCHEN, "需求确认", "¥8,800.00", datetime(2026, 5, 15), WANG]
        + ["2026-02-20 09:00", "2026-03-02 11:30", "--", "--", "老客户"]
    )
    buf = io.BytesIO()
    wb.save(buf)
    write_export(inbox, "商机列表_20260302.xlsx", buf.getvalue())
    write_export(
        inbox,
        "跟进记录_20260302.csv",
        csv_bytes(
            [
                ["跟进人", "跟进时间", "跟进方式", "客户名称", "关联商机", "跟进内容"],
                [LI, "2026-03-01 14:30", "拜访", XINGCHEN, O_PLATFORM]
                + ["现场演示数据平台\r\n客户关注价格, 要求报价"],
                [LI, "2026/3/2 9:15", "电话", YUNFAN, "", "电话回访"],
                [CHEN, "2026年3月2日 上午10:00", "演示", QIANHAI, O_LINE, "产品演示"],
                [WANG, "2026-03-02 16:00", "报价", XINGCHEN, O_TRAINING, "发送报价单"],
            ],
            **gb,
        ),
    )


def test_fxiaoke_exports_load_typed(con, tmp_path):
    inbox = tmp_path / "fx"
    fxiaoke_drop(inbox)
    assert (inbox / "客户_20260302.csv").read_bytes()[:8] == "客户列表".encode("gb18030")
    results = load_drop(con, inbox, "fxiaoke")
    assert counts(results) == {
        "sales_reps": (3, 3, 0),
        "accounts": (3, 3, 0),
        "opportunities": (5, 4, 1),
        "activities": (4, 4, 0),
    }
    notes = results["accounts"].read_notes
    assert (notes["encoding"], notes["encoding_detected"]) == ("gb18030", True)
    assert notes["header_row"] == 3  # under the title line and a blank line

    reps = rows(
        con,
        "select rep_id, rep_name, team, region, manager_id, role, hired_on, email "
        "from raw.sales_reps order by hired_on",
    )
    assert reps == [
        (WANG, WANG, "华东销售一部", "华东", None, "销售经理", date(2023, 7, 1),
         "wang.fang@example.cn"),
        (LI, LI, "华东销售一部", "华东", WANG, "客户经理", date(2024, 3, 15),
         "li.qiang@example.cn"),
        (CHEN, CHEN, "华南销售部", "未分配", WANG, "客户经理", date(2025, 1, 6),
         "chen.jing@example.cn"),
    ]  # fmt: skip

    accounts = rows(
        con,
        "select account_id, account_name, channel, region, owner_rep_id, created_at, phone, "
        "email, industry from raw.accounts order by created_at",
    )
    assert accounts == [
        (XINGCHEN, XINGCHEN, "direct", "华东", LI, local(SH, 2026, 1, 8, 10, 20),
         "021-62345678", "info@xingchen.cn", "互联网"),
        (YUNFAN, YUNFAN, "distribution", "华东", LI, local(SH, 2026, 2, 3, 14, 5),
         "13700001111", None, "批发零售"),
        (QIANHAI, QIANHAI, "direct", "未分配", CHEN, datetime(2026, 2, 14, 7, 30, tzinfo=UTC),
         "0755-88889999", None, "制造业"),
    ]  # fmt: skip

    opps = rows(
        con,
        "select opportunity_id, account_id, owner_rep_id, stage, amount, currency, "
        "expected_close_date, created_at, closed_at, last_modified_at, lost_reason "
        "from raw.opportunities order by created_at",
    )
    assert opps == [
        (O_PLATFORM, XINGCHEN, LI, "proposal", Decimal("120000"), "CNY", date(2026, 3, 31),
         local(SH, 2026, 1, 10, 9, 30), None, local(SH, 2026, 3, 1, 16, 45), None),
        (O_RENEWAL, YUNFAN, LI, "won", Decimal("12000"), "CNY", date(2026, 2, 28),
         local(SH, 2026, 2, 1, 11), datetime(2026, 2, 28, 15, 59, 59, tzinfo=UTC),
         local(SH, 2026, 2, 28, 17, 20), None),
        (O_LINE, QIANHAI, CHEN, "lost", Decimal("85000.5"), "CNY", date(2026, 4, 30),
         local(SH, 2026, 2, 15, 10), local(SH, 2026, 2, 26, 23, 59, 59),
         local(SH, 2026, 2, 26, 9), "价格过高"),
        (O_TRAINING, XINGCHEN, WANG, "discovery", Decimal("8800"), "CNY", date(2026, 5, 15),
         local(SH, 2026, 2, 20, 9), None, local(SH, 2026, 3, 2, 11, 30), None),
    ]  # fmt: skip
    assert quarantined(con) == [
        ("opportunities", O_PHASE2, "unparseable_value", "amount", "约5万"),
    ]
    # 结单日期 is the close date as the CRM shows it (a date cell or text alike)
    assert rows(con, "select opportunity_id, close_date from raw.opportunities "
                "where close_date is not null order by 1") == sorted(
        [(O_RENEWAL, date(2026, 2, 28)), (O_LINE, date(2026, 2, 26))]
    )  # fmt: skip

    acts = rows(
        con,
        "select activity_id, rep_id, account_id, opportunity_id, type, occurred_at, _extra "
        "from raw.activities order by occurred_at",
    )
    assert [a[:6] for a in acts] == [
        (f"{LI}@2026-03-01 14:30", LI, XINGCHEN, O_PLATFORM, "visit",
         local(SH, 2026, 3, 1, 14, 30)),
        (f"{LI}@2026/3/2 9:15", LI, YUNFAN, None, "call", local(SH, 2026, 3, 2, 9, 15)),
        (f"{CHEN}@2026年3月2日 上午10:00", CHEN, QIANHAI, O_LINE, "demo",
         datetime(2026, 3, 2, 2, 0, tzinfo=UTC)),
        (f"{WANG}@2026-03-02 16:00", WANG, XINGCHEN, O_TRAINING, "quote",
         local(SH, 2026, 3, 2, 16)),
    ]  # fmt: skip
    # The quoted note with a line break and a comma stays one cell.
    assert json.loads(acts[0][6]) == {"跟进内容": "现场演示数据平台\r\n客户关注价格, 要求报价"}

    out = check_cli(
        "fxiaoke",
        inbox,
        {
            "员工列表_20260302.csv": ("sales_reps", 3),
            "客户_20260302.csv": ("accounts", 3),
            "商机列表_20260302.xlsx": ("opportunities", 5),
            "跟进记录_20260302.csv": ("activities", 4),
        },
    )
    assert "encoding gb18030 (detected, confidence high: Chinese text)" in out
    assert "header found on row 2 under a title block" in out  # the merged XLSX title
    assert "header found on row 3 under a title block" in out  # the CSV title + blank line
    assert "amount: 1 value(s) unreadable" in out and "'约5万'" in out


# ------------------------------------------------- 销售线索, 销售订单 and 回款 exports


def fxiaoke_sales_drop(inbox: Path) -> None:
    """The list exports of leads (GB18030, no 线索编号), orders (UTF-8 with a byte-order
    mark) and payments (GB18030, tenant header variants, a voided payment)."""
    fxiaoke_drop(inbox)
    gb = {"encoding": "gb18030", "crlf": True}
    write_export(
        inbox,
        "销售线索_20260302.csv",
        csv_bytes(
            [
                ["线索名称", "姓名", "公司名称", "线索状态", "线索来源", "负责人", "创建时间"]
                + ["转换时间", "手机", "邮箱", "线索池"],
                ["星辰科技-张总", "张明", XINGCHEN, "已转换", "官网", LI, "2026-01-03 09:00"]
                + ["2026-01-08 10:20", "13811112222", "zhang@xingchen.cn", ""],
                ["博远医疗-采购部", "刘洋", "北京博远医疗器械有限公司", "跟进中", "展会", CHEN]
                + ["2026/2/18 14:00", "", "13622223333", "--", ""],
                ["鸿图教育-王老师", "王磊", "成都鸿图教育咨询有限公司", "未分配", "", WANG]
                + ["2026年2月25日 上午9:30", "", "", "", "华东线索池"],
                ["个人咨询", "赵丽", "个人", "无效", "400电话", LI, "2026-02-26 16:05", ""]
                + ["", "", ""],
            ],
            **gb,
        ),
    )
    write_export(
        inbox,
        "销售订单_20260302.csv",
        csv_bytes(
            [
                ["销售订单编号", "客户名称", "下单日期", "订单金额", "负责人", "订单状态"]
                + ["关联商机", "发货状态", "回款状态", "签收日期"],
                ["SO-20260228-0001", YUNFAN, "2026-02-28", "¥12,000.00", LI, "已确认"]
                + [O_RENEWAL, "已发货", "部分回款", ""],
                ["SO-20260301-0002", XINGCHEN, "2026/3/1", "1.2万", LI, "已收货", ""]
                + ["已收货", "已回款", "2026-03-02"],
                ["SO-20260302-0003", QIANHAI, "2026年3月2日", "5000", CHEN, "已作废", ""]
                + ["未发货", "未回款", ""],
            ],
            bom=True,
        ),
    )
    write_export(
        inbox,
        "回款列表_20260302.csv",
        csv_bytes(
            [
                ["回款编号", "客户名称", "关联订单", "回款日期", "本次回款金额", "回款方式"]
                + ["生命状态", "负责人", "交易流水号"],
                ["HK-0001", YUNFAN, "SO-20260228-0001", "2026-03-01", "6,000.00", "银行转账"]
                + ["正常", LI, "TX20260301001"],
                ["HK-0002", XINGCHEN, "SO-20260301-0002", "2026/3/2", "¥12,000.00", "承兑汇票"]
                + ["正常", LI, ""],
                ["HK-0003", YUNFAN, "SO-20260228-0001", "2026-03-02", "6000", "现金", "作废"]
                + [LI, ""],
            ],
            **gb,
        ),
    )


def test_fxiaoke_leads_orders_and_payments_load_as_the_crm_shows_them(con, tmp_path):
    inbox = tmp_path / "fx"
    fxiaoke_sales_drop(inbox)
    assert (inbox / "销售订单_20260302.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    results = load_drop(con, inbox, "fxiaoke")
    assert {e: counts(results)[e] for e in ("leads", "orders", "payments")} == {
        "leads": (4, 4, 0),
        "orders": (3, 3, 0),
        "payments": (2, 2, 0),  # the voided one is skipped, and said so
    }
    assert results["leads"].read_notes["encoding"] == "gb18030"
    assert any(
        "1 export row(s) skipped" in n and "生命状态" in n
        for n in results["payments"].read_notes["notes"]
    )
    leads = rows(
        con,
        "select lead_id, company_name, status, source, owner_rep_id, created_at, "
        "converted_at, phone, email from raw.leads order by created_at",
    )
    assert leads == [
        ("星辰科技-张总", XINGCHEN, "converted", "官网", LI, local(SH, 2026, 1, 3, 9),
         local(SH, 2026, 1, 8, 10, 20), "13811112222", "zhang@xingchen.cn"),
        ("博远医疗-采购部", "北京博远医疗器械有限公司", "working", "展会", CHEN,
         local(SH, 2026, 2, 18, 14), None, "13622223333", None),
        ("鸿图教育-王老师", "成都鸿图教育咨询有限公司", "new", "未知", WANG,
         local(SH, 2026, 2, 25, 9, 30), None, None, None),
        ("个人咨询", "个人", "disqualified", "400电话", LI, local(SH, 2026, 2, 26, 16, 5),
         None, None, None),
    ]  # fmt: skip
    orders = rows(
        con,
        "select order_id, account_id, opportunity_id, rep_id, ordered_at, status, currency, "
        "total_amount, delivered_at from raw.orders order by order_id",
    )
    assert orders == [
        ("SO-20260228-0001", YUNFAN, O_RENEWAL, LI, local(SH, 2026, 2, 28), "reviewed", "CNY",
         Decimal("12000"), None),
        ("SO-20260301-0002", XINGCHEN, None, LI, local(SH, 2026, 3, 1), "delivered", "CNY",
         Decimal("12000"), local(SH, 2026, 3, 2)),
        ("SO-20260302-0003", QIANHAI, None, CHEN, local(SH, 2026, 3, 2), "cancelled", "CNY",
         Decimal("5000"), None),
    ]  # fmt: skip
    payments = rows(
        con,
        "select payment_id, order_id, paid_at, amount, currency, method, reference "
        "from raw.payments order by payment_id",
    )
    assert payments == [
        ("HK-0001", "SO-20260228-0001", local(SH, 2026, 3, 1), Decimal("6000"), "CNY",
         "银行转账", "TX20260301001"),
        ("HK-0002", "SO-20260301-0002", local(SH, 2026, 3, 2), Decimal("12000"), "CNY",
         "承兑汇票", None),
    ]  # fmt: skip
    out = check_cli(
        "fxiaoke",
        inbox,
        {
            "销售线索_20260302.csv": ("leads", 4),
            "销售订单_20260302.csv": ("orders", 3),
            "回款列表_20260302.csv": ("payments", 2),
        },
    )
    assert "amount                 <- header '本次回款金额'" in out
