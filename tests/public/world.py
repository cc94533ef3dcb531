"""A county whose data reaches the public site in every state, built through the services.

``build_world()`` (at a fixed moment in 2026 Q4) creates, in bureau 建安:

* plan 1 (in force) with three tasks: key units (draw A), general units at 40% (draw B) and special
  units (a draw left awaiting approval);
* draw A: approved, every result published — its record is public;
* draw B: approved, its eight tasks in every state (assigned, checked in, result recorded, result
  approved, exempt at publication, confidential at approval, cancelled, published) — record closed;
* a rejected draw of the general task before draw B, and a draw of the special task awaiting approval;
* a draft plan (never public);
* in bureau 鄢陵 a published result and an approved, unpublished one.

Task states beyond the draw are set directly on the rows (the public site reads only the states and the
published rows); publication and exemption go through :mod:`inspections.publication`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from core.enums import Role
from inspections import publication as disclosure_services
from inspections.enums import InspectionTaskStatus
from inspections.models import InspectionResult, InspectionTask, Publication
from sampling import draws, plans
from sampling.enums import DrawStatus, PlanStatus
from sampling.models import Draw, Plan, QuotaPolicy
from tests.conftest import _member
from tests.factories import CheckItemFactory, EnterpriseFactory, InspectorFactory
from tests.inspections.factories import DrawFactory, InspectionTaskFactory

NOW = datetime(2026, 10, 12, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
INSPECTED_ON = date(2026, 10, 9)
S = InspectionTaskStatus


@dataclass
class World:
    bureau: object
    other: object
    alice: object
    frank: object
    draw_a: Draw
    draw_b: Draw
    rejected: Draw
    pending: Draw
    draft_plan: Plan
    plan: Plan
    tasks_b: dict = field(default_factory=dict)  # state name -> InspectionTask
    other_published: object = None
    other_unpublished: object = None

    def published(self) -> list[Publication]:
        return list(Publication.objects.order_by("id"))


def whole_year(year: int) -> dict:
    """A plan task's draw and inspection periods: the whole year."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    return {"draw_from": first, "draw_until": last, "inspect_from": first, "inspect_until": last}


def _enterprises(bureau, tier, count, prefix):
    return [
        EnterpriseFactory(bureau=bureau, tier=tier, name=f"{prefix}{i:02d}号有限公司", address="建安区某路")
        for i in range(count)
    ]


def _result(task, lead, *, outcome="no_problem", approved=True, confidential=False, reason=""):
    now = timezone.now()
    return InspectionResult.objects.create(
        task=task,
        outcome=outcome,
        summary="现场检查情况（内部记录）",
        inspected_on=INSPECTED_ON,
        due_date=INSPECTED_ON + timedelta(days=9),
        recorded_by=lead,
        recorded_at=now,
        updated_at=now,
        approved_by=lead if approved else None,
        approved_at=now if approved else None,
        confidential=confidential,
        confidentiality_reason=reason,
    )


def _set(task, status):
    InspectionTask.objects.filter(pk=task.pk).update(status=status)
    task.status = status


def publish(task, lead, outcome="no_problem"):
    _result(task, lead, outcome=outcome)
    _set(task, S.RESULT_APPROVED)
    return disclosure_services.publication_publish(actor=lead, task=task)


def _run(task, runner, quarter=4):
    draw = draws.draw_create(actor=runner, task=task, quarter=quarter)
    return draws.draw_execute(
        actor=runner, draw=draw, witness_input="体彩排列三 26270 4 1 9", witnesses="刘见证\n陈见证"
    )


def build_world(bureau, other_bureau) -> World:
    with time_machine.travel(NOW, tick=False):
        return _build(bureau, other_bureau)


def _build(bureau, other_bureau) -> World:
    alice = _member("alice", bureau, Role.TEAM_LEAD, first_name="张组长")
    frank = _member("frank", bureau, Role.TEAM_LEAD, first_name="李组长")
    for n in range(1, 7):
        InspectorFactory(bureau=bureau, code=f"ZF{n:03d}", name=f"检查员{n}")
    item = CheckItemFactory(bureau=bureau, code="SJ-01", name="污染防治设施运行情况", order=1)
    QuotaPolicy.objects.create(bureau=bureau, year=2026, key_ratio=25, general_ratio=10, special_ratio=50, yearly_cap=2)
    _enterprises(bureau, "key", 8, "重点公开测试")
    _enterprises(bureau, "general", 20, "一般保密测试")
    _enterprises(bureau, "special", 4, "特殊待批测试")

    plan = plans.plan_create(actor=alice, bureau=bureau, year=2026, name="2026年污染源日常环境监管双随机抽查计划")
    dates = whole_year(2026)
    key_task = plans.plan_task_create(
        actor=alice, plan=plan, check_items=[item], name="重点排污单位抽查", include_key=True, **dates
    )
    general_task = plans.plan_task_create(
        actor=alice,
        plan=plan,
        check_items=[item],
        name="一般排污单位抽查",
        include_general=True,
        ratio_override=40,
        **dates,
    )
    special_task = plans.plan_task_create(
        actor=alice, plan=plan, check_items=[item], name="特殊监管对象抽查", include_special=True, **dates
    )
    plans.plan_set_status(actor=alice, plan=plan, status=PlanStatus.ACTIVE)
    draft_plan = plans.plan_create(actor=alice, bureau=bureau, year=2027, name="2027年草案计划（未公布）")

    # Draw A: approved, every result published.
    draw_a = draws.draw_approve(actor=frank, draw=_run(key_task, alice))
    for task in InspectionTask.objects.filter(draw=draw_a).order_by("number"):
        publish(task, alice)

    # A rejected draw of the general task, then draw B approved.
    rejected = draws.draw_reject(actor=frank, draw=_run(general_task, alice), reason="见证人未到场（内部理由）")
    draw_b = draws.draw_approve(actor=frank, draw=_run(general_task, alice))
    tasks = list(InspectionTask.objects.filter(draw=draw_b).order_by("number"))
    assert len(tasks) == 8, len(tasks)
    by_state = dict(
        zip(
            [
                "assigned",
                "checked_in",
                "result_recorded",
                "result_approved",
                "exempt_publication",
                "exempt_confidential",
                "cancelled",
                "published",
            ],
            tasks,
            strict=True,
        )
    )
    _set(by_state["checked_in"], S.CHECKED_IN)
    _result(by_state["result_recorded"], alice, outcome="case_filed", approved=False)
    _set(by_state["result_recorded"], S.RESULT_RECORDED)
    _result(by_state["result_approved"], alice, outcome="rectification_ordered")
    _set(by_state["result_approved"], S.RESULT_APPROVED)
    _result(by_state["exempt_publication"], alice)
    _set(by_state["exempt_publication"], S.RESULT_APPROVED)
    disclosure_services.publication_exempt(
        actor=alice, task=by_state["exempt_publication"], reason="涉及国家秘密（豁免理由A）"
    )
    _result(by_state["exempt_confidential"], alice, confidential=True, reason="涉及公共安全（豁免理由B）")
    _set(by_state["exempt_confidential"], S.EXEMPT)
    _set(by_state["cancelled"], S.CANCELLED)
    publish(by_state["published"], alice, outcome="corrected")

    # A draw of the special task awaiting approval.
    pending = _run(special_task, alice)
    assert pending.status == DrawStatus.DRAWN

    # Another bureau: one published result, one approved and not published.
    olead = _member("olead", other_bureau, Role.TEAM_LEAD, first_name="外局组长")
    odraw = DrawFactory(task__plan__bureau=other_bureau, task__plan__name="鄢陵2026年抽查计划", created_by=olead)
    o_pub = InspectionTaskFactory(
        draw=odraw, enterprise__name="鄢陵已公示化工有限公司", number="YANLING-2026-0001", stratum="2026Q4/key"
    )
    o_unpub = InspectionTaskFactory(
        draw=odraw, enterprise__name="鄢陵未公示制药有限公司", number="YANLING-2026-0002", stratum="2026Q4/key"
    )
    o_pub.check_items.add(CheckItemFactory(bureau=other_bureau, code="YL-01", name="鄢陵检查事项"))
    other_published = publish(o_pub, olead, outcome="no_problem")
    _result(o_unpub, olead)
    _set(o_unpub, S.RESULT_APPROVED)

    return World(
        bureau=bureau,
        other=other_bureau,
        alice=alice,
        frank=frank,
        draw_a=Draw.objects.get(pk=draw_a.pk),
        draw_b=Draw.objects.get(pk=draw_b.pk),
        rejected=Draw.objects.get(pk=rejected.pk),
        pending=Draw.objects.get(pk=pending.pk),
        draft_plan=draft_plan,
        plan=plan,
        tasks_b=by_state,
        other_published=other_published,
        other_unpublished=o_unpub,
    )


def make_publications(bureau, lead, names, *, outcome="no_problem", tier="key", draw=None, quarter=4):
    """Publish one result per name in ``bureau`` (tasks of one factory-built draw), in the order given."""
    draw = draw or DrawFactory(task__plan__bureau=bureau, created_by=lead, quarter=quarter)
    item = CheckItemFactory(bureau=bureau, name="排污许可制度执行情况")
    found = []
    for name in names:
        task = InspectionTaskFactory(
            draw=draw, enterprise__name=name, enterprise__tier=tier, stratum=f"2026Q{quarter}/{tier}"
        )
        task.check_items.add(item)
        found.append(publish(task, lead, outcome=outcome))
    return found
