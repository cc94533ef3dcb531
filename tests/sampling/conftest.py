"""Fixtures for the draw: a 建安-like county in 2026 with a plan in force, a task and a quota policy.

Dates are fixed (the year 2026, today = 2026-02-10 in Q1) so every number in the tests is exact.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.enums import Role
from sampling import draws, plans
from sampling.enums import PlanStatus
from sampling.models import QuotaPolicy
from tests.conftest import _member
from tests.factories import CheckItemFactory, EnterpriseFactory, InspectorFactory

TODAY = date(2026, 2, 10)
YEAR = 2026


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The personas' passwords need not resist brute force here; PBKDF2 would cost ~0.4 s per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def today():
    """Freeze the clock at 2026-02-10 09:00 in Shanghai (views read the date themselves)."""
    with time_machine.travel(datetime(2026, 2, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
        yield TODAY


@pytest.fixture
def george(bureau):
    """A third team lead of the bureau."""
    return _member("george", bureau, Role.TEAM_LEAD, first_name="周组长")


@pytest.fixture
def henry(bureau):
    """An inspector of the bureau linked to ZF006, never on the teams of the small fixtures unless drawn."""
    user = _member("henry", bureau, Role.INSPECTOR, first_name="吴检查")
    return user


@pytest.fixture
def check_item(bureau):
    return CheckItemFactory(bureau=bureau, code="SJ-02", name="重点排污单位检查")


@pytest.fixture
def inspectors(bureau, bob, henry):
    """ZF001 (bob) … ZF006 (henry): six certified inspectors, codes in pool order."""
    found = [bob.inspector]
    for n in range(2, 7):
        found.append(
            InspectorFactory(bureau=bureau, code=f"ZF{n:03d}", name=f"检查员{n}", user=henry if n == 6 else None)
        )
    return found


def make_enterprises(bureau, tier, count, start=0, **fields):
    return [
        EnterpriseFactory(bureau=bureau, tier=tier, name=f"{tier}测试{start + i}号有限公司", **fields)
        for i in range(count)
    ]


@pytest.fixture
def enterprises(bureau):
    """20 general and 8 key operating enterprises."""
    return make_enterprises(bureau, "general", 20) + make_enterprises(bureau, "key", 8, start=100)


@pytest.fixture
def policy(bureau):
    return QuotaPolicy.objects.create(
        bureau=bureau,
        year=YEAR,
        key_ratio=25,
        general_ratio=10,
        special_ratio=50,
        yearly_cap=2,
        team_size=2,
    )


@pytest.fixture
def plan(bureau, alice):
    return plans.plan_create(actor=alice, bureau=bureau, year=YEAR, name="2026年污染源日常环境监管双随机抽查")


def add_task(plan, actor, check_items, *, activate=True, **fields):
    values = {
        "name": "一般和重点排污单位抽查",
        "include_general": True,
        "include_key": True,
        "draw_from": date(2026, 1, 1),
        "draw_until": date(2026, 12, 31),
        "inspect_from": date(2026, 1, 1),
        "inspect_until": date(2026, 12, 31),
    }
    values.update(fields)
    task = plans.plan_task_create(actor=actor, plan=plan, check_items=check_items, **values)
    if activate and plan.status != PlanStatus.ACTIVE:
        plans.plan_set_status(actor=actor, plan=plan, status=PlanStatus.ACTIVE)
        plan.refresh_from_db()
    return task


@pytest.fixture
def task(plan, alice, check_item):
    return add_task(plan, alice, [check_item])


@pytest.fixture
def county(policy, task, enterprises, inspectors):
    """Everything a draw needs: policy, plan in force with a task, enterprises, six inspectors."""
    return task


def create_draw(task, actor, quarter=1, **kwargs):
    return draws.draw_create(actor=actor, task=task, quarter=quarter, today=TODAY, **kwargs)


def run_draw(task, actor, quarter=1, witness_input="31 07 19 / 体彩排列三 26031", **kwargs):
    draw = create_draw(task, actor, quarter, **kwargs)
    return draws.draw_execute(actor=actor, draw=draw, witness_input=witness_input, witnesses="刘见证\n陈见证")


@pytest.fixture
def drawn(county, alice):
    """A draw run by alice, awaiting approval."""
    return run_draw(county, alice)


@pytest.fixture
def approved(drawn, frank):
    """alice's draw approved by frank: locked, inspection tasks created."""
    return draws.draw_approve(actor=frank, draw=drawn)
