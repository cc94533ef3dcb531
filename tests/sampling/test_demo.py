"""The demo plans (sampling.demo) on the demo county."""

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from core.models import Bureau
from inspections.enums import MemberRole
from inspections.models import InspectionTask, TaskMember
from inspectors.queries import experts_for_industry
from sampling.demo import seed_demo_draw, seed_demo_plans
from sampling.enums import DrawStatus, PlanStatus, QuotaPreset
from sampling.models import Draw, Plan
from sampling.records import draw_public_record
from tests.reference_draw import replay as reference_replay


def test_demo_plans_on_the_demo_county(db):
    call_command("seed_demo", enterprises=300, inspectors=12)
    jianan = Bureau.objects.get(code="jianan")
    year = timezone.localdate().year
    plan = seed_demo_plans(jianan, year=year)
    assert plan.status == PlanStatus.ACTIVE and plan.number == f"建环抽查〔{year}〕1号"
    assert jianan.quota_policies.get(year=year).preset == QuotaPreset.JIANAN
    tasks = list(plan.tasks.order_by("seq"))
    assert [t.tiers for t in tasks] == [["general"], ["special", "key"], ["key", "general"]]
    assert tasks[2].tag_conditions == {"industry": ["26", "27"]} and tasks[2].add_expert
    assert seed_demo_plans(jianan, year=year) == plan and Plan.objects.count() == 1
    assert plan.description == f"依据《建安分局{year}年污染源日常环境监管双随机抽查工作实施方案》制定。"
    users = get_user_model().objects
    runner, approver = users.get(username="lead1"), users.get(username="lead2")
    draws = [seed_demo_draw(task, runner=runner, approver=approver) for task in tasks]
    for draw in draws:
        assert draw.status == DrawStatus.APPROVED
        assert (draw.created_by, draw.approved_by) == (runner, approver)
        assert InspectionTask.objects.filter(draw=draw).count() == draw.selected_count > 0
        assert reference_replay(draw_public_record(draw)) == draw.data.result
    for task in draws[2].tasks.select_related("enterprise"):  # the targeted task adds an expert by industry
        industry = task.enterprise.industry_id
        has_expert = TaskMember.objects.filter(task=task, role=MemberRole.EXPERT).exists()
        assert has_expert == bool(industry and experts_for_industry(jianan, industry)), task.number
    assert seed_demo_draw(tasks[1], runner=runner, approver=approver) == draws[1]  # idempotent
    assert Draw.objects.count() == 3
