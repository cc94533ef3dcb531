"""Plans, draws, inspection tasks and teams built directly (without the draw services), for the inspection tests."""

import re
from datetime import date, timedelta

import factory
from django.utils import timezone

from inspections.enums import InspectionTaskStatus, MemberRole
from inspections.models import InspectionTask, TaskMember
from sampling.enums import DrawStatus, PlanStatus
from sampling.models import Draw, Plan, PlanTask
from tests.factories import BureauFactory, CheckItemFactory, EnterpriseFactory, InspectorFactory, UserFactory


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    bureau = factory.SubFactory(BureauFactory)
    year = 2026
    seq = factory.Sequence(lambda n: n + 1)
    name = "2026年污染源日常环境监管双随机抽查计划"
    status = PlanStatus.ACTIVE


class PlanTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanTask

    plan = factory.SubFactory(PlanFactory)
    seq = factory.Sequence(lambda n: n + 1)
    name = "重点排污单位日常监管"
    include_key = True
    draw_from = date(2026, 1, 1)
    draw_until = date(2026, 12, 31)
    inspect_from = date(2026, 1, 1)
    inspect_until = date(2026, 12, 31)


class DrawFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Draw

    bureau = factory.SelfAttribute("task.plan.bureau")
    task = factory.SubFactory(PlanTaskFactory)
    year = 2026
    quarter = 4
    seq = factory.Sequence(lambda n: n + 1)
    status = DrawStatus.APPROVED
    inspect_from = date(2026, 10, 1)
    inspect_until = date(2026, 12, 31)
    pool_hash = "0" * 64
    inspectors_hash = "1" * 64
    nonce = "2" * 64
    nonce_hash = "3" * 64
    created_by = factory.SubFactory(UserFactory)
    executed_by = factory.SelfAttribute("created_by")
    approved_at = factory.LazyFunction(timezone.now)


class InspectionTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InspectionTask

    draw = factory.SubFactory(DrawFactory)
    bureau = factory.SelfAttribute("draw.bureau")
    enterprise = factory.SubFactory(EnterpriseFactory, bureau=factory.SelfAttribute("..bureau"))
    number = factory.Sequence(lambda n: f"JIANAN2026-1-1-Q4-1-{n + 1:04d}")
    stratum = "2026Q4/key"
    status = InspectionTaskStatus.ASSIGNED
    planned_start = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=2))
    planned_end = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=20))


class TaskMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskMember

    task = factory.SubFactory(InspectionTaskFactory)
    inspector = factory.SubFactory(InspectorFactory, bureau=factory.SelfAttribute("..task.bureau"))
    role = MemberRole.MEMBER
    position = factory.Sequence(lambda n: n + 1)


def make_task(*, bureau, inspectors, draw=None, items=2, **fields) -> InspectionTask:
    """A task of ``bureau`` whose team is ``inspectors`` (the first leads), with ``items`` check items."""
    task = InspectionTaskFactory(bureau=bureau, draw=draw or DrawFactory(task__plan__bureau=bureau), **fields)
    for position, inspector in enumerate(inspectors):
        TaskMemberFactory(
            task=task,
            inspector=inspector,
            role=MemberRole.LEAD if position == 0 else MemberRole.MEMBER,
            position=position,
        )
    for n in range(items):
        task.check_items.add(
            CheckItemFactory(
                bureau=bureau,
                name=["污染防治设施运行情况", "排污许可制度执行情况", "环评及三同时执行情况"][n % 3],
                order=n,
                legal_basis="《中华人民共和国环境保护法》第四十二条",
            )
        )
    return task


def findings_for(task, *, compliant=True, finding="", bad_items=None):
    """Findings for every item of ``task``: all compliant, or the ``bad_items`` (ids) not."""
    from inspections.services import FindingInput

    bad = set(bad_items or ())
    return {
        item.pk: FindingInput(
            compliant and item.pk not in bad, finding if (not compliant or item.pk in bad) else "", item.legal_basis
        )
        for item in task.check_items.all()
    }


def exactly(message: str) -> str:
    """A ``pytest.raises(match=...)`` pattern matching ``message`` (the default language's text) and nothing else."""
    return f"^{re.escape(message)}$"
