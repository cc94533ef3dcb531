"""Demo plans for the demo county (called from ``demo.generate``). Idempotent; nothing here runs in production.

``seed_demo_plans(bureau)`` sets the 建安 quota preset for the year and creates the year's plan with
three tasks — general units (untargeted), key and special units (untargeted, internal joint), and a
targeted task for the chemical and pharmaceutical industries with an expert — and puts it in force.
``seed_demo_draw(task, runner=…, approver=…)`` then runs and approves a draw of the current quarter.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from core.enums import Role
from core.models import Membership
from enterprises.models import CheckItem

from . import draws, plans
from .enums import DrawStatus, JointKind, PlanStatus, QuotaPreset
from .models import Draw, Plan, PlanTask, QuotaPolicy

DEMO_PLAN_NAME = "{year}年污染源日常环境监管“双随机、一公开”抽查计划"
DEMO_TASKS = [
    {
        "name": "一般排污单位日常监管随机抽查",
        "codes": ["SJ-03", "SJ-04"],
        "include_general": True,
    },
    {
        "name": "重点和特殊监管对象随机抽查",
        "codes": ["SJ-01", "SJ-02", "SJ-04"],
        "include_key": True,
        "include_special": True,
        "joint_kind": JointKind.INTERNAL,
        "joint_units": "执法大队、建安区环境监测站",
    },
    {
        "name": "化工、医药制造业定向抽查",
        "codes": ["SJ-02", "SJ-03", "SJ-04"],
        "include_general": True,
        "include_key": True,
        "tag_conditions": {"industry": ["26", "27"]},
        "ratio_override": 10,
        "add_expert": True,
        "joint_kind": JointKind.DEPARTMENT,
        "joint_units": "许昌市建安区市场监督管理局",
    },
]


def _lead(bureau):
    membership = (
        Membership.objects.filter(bureau=bureau, role=Role.TEAM_LEAD).select_related("user").order_by("id").first()
    )
    if membership is None:
        raise ValueError(f"{bureau} has no team lead to create the demo plans")
    return membership.user


def seed_demo_plans(bureau, *, year: int = 2026, actor=None) -> Plan:
    """The 建安 preset for ``year`` and the year's demo plan with its tasks, in force (idempotent)."""
    actor = actor or _lead(bureau)
    with transaction.atomic():
        if not QuotaPolicy.objects.filter(bureau=bureau, year=year).exists():
            plans.quota_policy_apply_preset(actor=actor, bureau=bureau, year=year, preset=QuotaPreset.JIANAN)
        name = DEMO_PLAN_NAME.format(year=year)
        plan = Plan.objects.filter(bureau=bureau, year=year, name=name).first()
        if plan is not None:
            return plan
        plan = plans.plan_create(
            actor=actor,
            bureau=bureau,
            year=year,
            name=name,
            description=f"依据《建安分局{year}年污染源日常环境监管双随机抽查工作实施方案》制定。",
        )
        items = {item.code: item for item in CheckItem.objects.filter(bureau=bureau, active=True)}
        for spec in DEMO_TASKS:
            fields = {k: v for k, v in spec.items() if k != "codes"}
            check_items = [items[code] for code in spec["codes"] if code in items] or list(items.values())[:1]
            plans.plan_task_create(
                actor=actor,
                plan=plan,
                check_items=check_items,
                draw_from=date(year, 1, 1),
                draw_until=date(year, 12, 31),
                inspect_from=date(year, 1, 1),
                inspect_until=date(year, 12, 31),
                **fields,
            )
        return plans.plan_set_status(actor=actor, plan=plan, status=PlanStatus.ACTIVE)


def seed_demo_draw(task: PlanTask, *, runner, approver, quarter: int | None = None) -> Draw | None:
    """Run and approve a draw of ``task`` for ``quarter`` (default: today's), unless one exists or it cannot be.

    Returns the approved draw, or None when today is outside the task's draw period.
    """
    today = timezone.localdate()
    if not task.draw_from <= today <= task.draw_until:
        return None
    quarter = quarter or (today.month - 1) // 3 + 1
    existing = Draw.objects.filter(task=task, quarter=quarter, status=DrawStatus.APPROVED).first()
    if existing is not None:
        return existing
    draw = draws.draw_create(actor=runner, task=task, quarter=quarter)
    draw = draws.draw_execute(
        actor=runner,
        draw=draw,
        witness_input="体彩排列三 第26031期 3 1 7",
        witnesses="刘见证（区纪委）\n陈见证（企业代表）",
    )
    return draws.draw_approve(actor=approver, draw=draw)
