"""The penalties decided by a bureau, in the layout of 信用中国's administrative penalty publicity
(行政处罚, legal persons and unincorporated organisations), as xlsx and CSV. Nothing is sent anywhere.

Source of the column layout: no authoritative copy of the national template (国家发展改革委 / 信用中国
"行政处罚信息" data standard) could be found with the tools available to us. The columns below follow the
legal-person penalty import template as several public code repositories that feed the platform reproduce it
(26 columns from 行政相对人名称 to 备注), with 行政相对人类别 after the name as the 2021 revision of the
template has it. Dates are written YYYY/MM/DD and amounts in 万元 with up to six decimals, as those templates
ask. Check against the template in force before the first real submission.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

from core.excel import safe_cell, write_xlsx

from .enums import CaseStatus, PenaltyCategory
from .models import BureauPolicy, Case

HEADER = (
    "行政相对人名称",
    "行政相对人类别",
    "行政相对人代码_1（统一社会信用代码）",
    "行政相对人代码_2（工商注册号）",
    "行政相对人代码_3（组织机构代码）",
    "行政相对人代码_4（税务登记号）",
    "行政相对人代码_5（事业单位证书号）",
    "行政相对人代码_6（社会组织登记证号）",
    "法定代表人",
    "法定代表人身份证号",
    "行政处罚决定书文号",
    "违法行为类型",
    "违法事实",
    "处罚依据",
    "处罚类别",
    "处罚内容",
    "罚款金额（万元）",
    "没收违法所得、没收非法财物的金额（万元）",
    "暂扣或吊销证照名称及编号",
    "处罚决定日期",
    "处罚有效期",
    "公示截止期",
    "处罚机关",
    "处罚机关统一社会信用代码",
    "数据来源单位",
    "数据来源单位统一社会信用代码",
    "备注",
)
# Every enterprise of the registry is a legal person or an unincorporated organisation.
SUBJECT_CATEGORY = "法人及非法人组织"
# A penalty decision has no end of validity: the templates' convention for "no end".
NO_END = "2099/12/31"
# Publicity of an ordinary penalty: at most one year (失信行为纠正后的信用信息修复管理办法, 2023, 第九条).
PUBLICITY_DAYS = 365
CSV_BOM = "\ufeff"


def day(value: date | None) -> str:
    return value.strftime("%Y/%m/%d") if value else ""


def ten_thousand_yuan(amount: Decimal | None) -> str:
    """Yuan as 万元 with at most six decimals and no trailing zeros: 50000.00 → "5", 12345.67 → "1.234567"."""
    if amount is None:
        return ""
    value = (amount / Decimal(10000)).quantize(Decimal("0.000001"))
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def penalties(bureau, start: date, end: date):
    """Cases of ``bureau`` with a penalty decided in [start, end], by decision date."""
    return (
        Case.objects.filter(
            bureau=bureau,
            status__in=[CaseStatus.DECIDED, CaseStatus.CLOSED],
            decided_on__gte=start,
            decided_on__lte=end,
        )
        .exclude(decision_number="")
        .select_related("task__enterprise", "bureau")
        .order_by("decided_on", "id")
    )


def row(case: Case, authority_uscc: str) -> list[str]:
    enterprise, bureau = case.task.enterprise, case.bureau
    confiscated = case.penalty_category == PenaltyCategory.CONFISCATION
    return [
        enterprise.name,
        SUBJECT_CATEGORY,
        enterprise.uscc,
        "",
        "",
        "",
        "",
        "",
        enterprise.legal_representative,
        "",
        case.decision_number,
        case.violation_type,
        case.violation_facts,
        case.penalty_basis or case.legal_basis,
        PenaltyCategory(case.penalty_category).label if case.penalty_category else "",
        case.penalty_content,
        "" if confiscated else ten_thousand_yuan(case.fine),
        ten_thousand_yuan(case.fine) if confiscated else "",
        "",
        day(case.decided_on),
        NO_END,
        day(case.decided_on + timedelta(days=PUBLICITY_DAYS)) if case.decided_on else "",
        bureau.name,
        authority_uscc,
        bureau.name,
        authority_uscc,
        case.case_number,
    ]


def rows(bureau, start: date, end: date) -> list[list[str]]:
    code = BureauPolicy.objects.filter(bureau=bureau).values_list("authority_uscc", flat=True).first() or ""
    return [row(case, code) for case in penalties(bureau, start, end)]


def penalties_xlsx(bureau, start: date, end: date) -> bytes:
    return write_xlsx(HEADER, rows(bureau, start, end), title="行政处罚")


def penalties_csv(bureau, start: date, end: date) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for values in rows(bureau, start, end):
        writer.writerow([safe_cell(v) for v in values])
    return (CSV_BOM + buffer.getvalue()).encode("utf-8")
