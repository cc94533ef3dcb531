"""The demo plans (sampling.demo) on the demo county."""

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from core.models import Bureau
from sampling.demo import seed_demo_draw, seed_demo_plans
from sampling.enums import DrawStatus, PlanStatus, QuotaPreset
from sampling.models import InspectionTask, Plan


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
    users = get_user_model().objects
    draw = seed_demo_draw(tasks[1], runner=users.get(username="lead1"), approver=users.get(username="lead2"))
    assert draw.status == DrawStatus.APPROVED
    assert InspectionTask.objects.filter(draw=draw).count() == draw.selected_count > 0
