"""What the company sells: three product lines and eight products with CNY list prices."""

from __future__ import annotations

from decimal import Decimal

from .records import Rec

PRODUCT_LINES = ("工业软件", "智能硬件", "技术服务")
PRODUCT_LINE_EN = {"工业软件": "Software", "智能硬件": "Devices", "技术服务": "Services"}
PRODUCT_LINE_WEIGHTS = (45, 35, 20)
SERVICES = "技术服务"
DEVICES = "智能硬件"
PRODUCTS: tuple[tuple[str, str, str, int], ...] = (
    ("PRD-001", "MES 标准版（年度订阅）", "工业软件", 98000),
    ("PRD-002", "数据采集平台 DataHub", "工业软件", 56000),
    ("PRD-003", "设备管理系统 EAM", "工业软件", 72000),
    ("PRD-004", "边缘计算网关 EG200", "智能硬件", 12800),
    ("PRD-005", "工业平板 T10", "智能硬件", 6800),
    ("PRD-006", "传感器套件 S5", "智能硬件", 2400),
    ("PRD-007", "实施服务（人天）", "技术服务", 2500),
    ("PRD-008", "年度运维服务", "技术服务", 36000),
)


def make_products() -> list[Rec]:
    """The product records, in catalogue order (no randomness)."""
    return [
        {"id": pid, "name": name, "line": line, "list_price": Decimal(price)}
        for pid, name, line, price in PRODUCTS
    ]


def by_line(products: list[Rec]) -> dict[str, list[Rec]]:
    """The products of each product line, in catalogue order."""
    return {line: [p for p in products if p["line"] == line] for line in PRODUCT_LINES}
