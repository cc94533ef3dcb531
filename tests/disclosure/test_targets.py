"""The seed targets (issue 14 item 5): computed from the data, on the dashboard and in the quarterly sheet."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from core.models import AuditEntry
from disclosure.targets import seed_targets
from enterprises.models import Enterprise
from inspections import services
from inspections.models import OffsiteCheck
from inspections.services import InvalidFields
from sampling import plans
from sampling.todo import plan_filing_todo
from tests.factories import EnterpriseFactory
from tests.inspections.factories import PlanFactory


def by_key(bureau, quarter=4, today=date(2026, 11, 20)):
    return {t.key: t for t in seed_targets(bureau, 2026, quarter, today)}


def test_joint_and_risk_shares_with_their_gaps(make, bureau):
    make(joint_kind="internal")
    make(joint_kind="department")
    t = make()
    make()
    Enterprise.objects.filter(pk=t.enterprise_id).update(credit_rating="good")
    targets = by_key(bureau)
    assert (targets["joint_internal"].value, targets["joint_internal"].gap) == (Decimal("25.0"), Decimal("5.0"))
    assert targets["joint_internal"].detail == "1 / 4"
    assert (targets["joint_department"].value, targets["joint_department"].gap) == (Decimal("25.0"), None)
    assert (targets["risk_classified"].value, targets["risk_classified"].gap) == (Decimal("25.0"), Decimal("60.0"))


def test_positive_list_offsite_coverage_per_quarter(bureau, alice, bob):
    on, off = EnterpriseFactory(bureau=bureau, positive_list=True), EnterpriseFactory(bureau=bureau, positive_list=True)
    EnterpriseFactory(bureau=bureau, positive_list=False)
    with time_machine.travel(date(2026, 11, 20)):
        check, created = services.offsite_check_record(
            actor=bob, enterprise=on, checked_on=date(2026, 10, 5), method="自动监控数据"
        )
        again, created_again = services.offsite_check_record(
            actor=bob, enterprise=on, checked_on=date(2026, 10, 5), method="自动监控数据"
        )
    assert (created, created_again, again.pk) == (True, False, check.pk)
    assert (check.year, check.quarter) == (2026, 4)
    target = by_key(bureau)["positive_list_offsite"]
    assert (target.value, target.gap, target.detail) == (Decimal("50.0"), Decimal("50.0"), "1 / 2")
    assert by_key(bureau, quarter=3)["positive_list_offsite"].value == Decimal("0.0")
    assert AuditEntry.objects.filter(action="inspections.offsite_check_recorded").count() == 1
    assert off.offsite_checks.count() == 0


@pytest.mark.parametrize(
    ("positive", "day", "method", "field"),
    [
        (False, date(2026, 10, 5), "视频", "enterprise"),
        (True, None, "视频", "checked_on"),
        (True, date(2026, 10, 5), " ", "method"),
    ],
)
def test_offsite_check_refusals_name_the_field(bureau, bob, positive, day, method, field):
    enterprise = EnterpriseFactory(bureau=bureau, positive_list=positive)
    with pytest.raises(InvalidFields) as info:
        services.offsite_check_record(actor=bob, enterprise=enterprise, checked_on=day, method=method)
    assert field in info.value.errors
    assert not OffsiteCheck.objects.exists()


def test_offsite_check_needs_a_role_in_the_bureau(bureau, mallory, dave):
    enterprise = EnterpriseFactory(bureau=bureau, positive_list=True)
    for actor in (mallory, dave):
        with pytest.raises(PermissionDenied):
            services.offsite_check_record(
                actor=actor, enterprise=enterprise, checked_on=date(2026, 1, 5), method="视频"
            )


def test_plan_filing_todo_from_1_december_until_filed_and_the_target(bureau, alice, dave):
    plan = PlanFactory(bureau=bureau, year=2027)
    assert plan_filing_todo(bureau, date(2026, 11, 30)) is None
    assert plan_filing_todo(bureau, date(2026, 12, 1)).urgent is True
    assert by_key(bureau, today=date(2027, 1, 2))["plan_filing"].met is False
    with pytest.raises(PermissionDenied):
        plans.plan_record_filing(actor=dave, plan=plan, filed_on=date(2026, 12, 20))
    with pytest.raises(plans.InvalidPlanFields) as info:
        plans.plan_record_filing(actor=alice, plan=plan, filed_on=None)
    assert "filed_on" in info.value.errors
    with time_machine.travel(date(2026, 12, 21)):
        plans.plan_record_filing(actor=alice, plan=plan, filed_on=date(2026, 12, 20))
        plans.plan_record_filing(actor=alice, plan=plan, filed_on=date(2026, 12, 20))  # a no-op
    assert AuditEntry.objects.filter(action="sampling.plan_filed").count() == 1
    assert plan_filing_todo(bureau, date(2026, 12, 21)) is None
    target = by_key(bureau, today=date(2027, 1, 2))["plan_filing"]
    assert (target.text, target.met) == ("2026-12-20", True)


def test_dashboard_and_quarterly_sheet_show_every_target(approved_task, client_for, alice):
    client = client_for(alice)
    body = client.get("/publication/?year=2026").content.decode()
    for key in (
        "joint_internal",
        "joint_department",
        "risk_classified",
        "positive_list_offsite",
        "checklist_items",
        "plan_filing",
    ):
        assert f'id="target-{key}"' in body
    from openpyxl import load_workbook

    response = client.get("/publication/reports/quarterly-2026-q4.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    start = rows.index(["考核指标", "实际值", "目标值", "差距", "说明", *([None] * (len(rows[-1]) - 5))])
    names = [r[0] for r in rows[start + 1 :]]
    assert names[0] == "内部联合抽查占比(%)" and names[2] == "运用信用风险分级分类抽查占比(%)"
    assert rows[start + 1][1:4] == [0.0, 30.0, 30.0]
    assert len(names) == 6
