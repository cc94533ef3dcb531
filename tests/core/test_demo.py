from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from stdnum.cn import uscc

from core.enums import Role
from core.models import AuditEntry, Membership
from enterprises.models import Enterprise
from inspections.enums import InspectionTaskStatus
from inspections.models import InspectionTask, Publication
from inspectors.models import Inspector
from sampling.enums import DrawStatus
from sampling.models import Draw

# The demo quarter depends on the day it is run (its plan, periods and deadlines): a fixed day keeps these
# tests repeatable, and test_seed_demo_works_on_any_day tries the days where quarters and years turn. The
# draws themselves differ on every run (a secret random nonce): tests/inspections/test_demo.py covers the
# teams with an expert that some of them produce.
pytestmark = pytest.mark.usefixtures("a_fixed_day")


@pytest.fixture
def a_fixed_day():
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def test_seed_demo_builds_a_realistic_county(db):
    call_command("seed_demo", enterprises=300, inspectors=12)
    ents = Enterprise.objects.filter(bureau__code="jianan")
    assert ents.count() == 300
    tiers = dict(ents.values_list("tier").annotate(n=Count("id")))
    assert set(tiers) == {"general", "key", "special"}
    assert all(uscc.is_valid(code) for code in ents.values_list("uscc", flat=True))
    assert len(set(ents.values_list("uscc", flat=True))) == 300
    assert ents.filter(name__endswith="公司").count() > 250
    assert ents.exclude(division=None).count() == 300 and ents.exclude(industry=None).count() == 300
    assert Inspector.objects.filter(bureau__code="jianan").count() == 12
    roles = set(Membership.objects.filter(bureau__code="jianan").values_list("role", flat=True))
    assert roles == set(Role.values)
    assert get_user_model().objects.get(username="lead1").check_password("ssj-demo-2026")
    assert Inspector.objects.get(bureau__code="jianan", code="ZF001").user.username == "inspector1"


def test_seed_demo_runs_this_quarters_workflow(db):
    call_command("seed_demo")
    draws = Draw.objects.filter(bureau__code="jianan", status=DrawStatus.APPROVED)
    assert draws.count() == 3
    tasks = InspectionTask.objects.filter(bureau__code="jianan")
    assert tasks.count() == sum(draws.values_list("selected_count", flat=True))
    published = Publication.objects.filter(bureau__code="jianan").count()
    assert published >= 1
    assert tasks.filter(status=InspectionTaskStatus.RESULT_APPROVED).exists()  # some still due
    counts = (Draw.objects.count(), tasks.count(), Publication.objects.count(), AuditEntry.objects.count())
    call_command("seed_demo")
    assert (Draw.objects.count(), tasks.count(), Publication.objects.count()) == counts[:3]


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo", enterprises=50, inspectors=5)
    call_command("seed_demo", enterprises=50, inspectors=5)
    assert Enterprise.objects.filter(bureau__code="jianan").count() == 50
    assert get_user_model().objects.filter(username="lead1").count() == 1


def test_seed_demo_generates_a_province_registry(db):
    call_command("seed_demo", province=2000)
    assert Enterprise.objects.filter(bureau__code="province").count() == 2000


@pytest.mark.parametrize(
    "day",
    [
        datetime(2027, 1, 1, 9, 0),  # a quarter's and a year's first day, a holiday
        datetime(2026, 12, 31, 17, 0),  # the year's last day
        datetime(2026, 10, 1, 9, 0),  # a quarter's first day, a holiday
        datetime(2026, 11, 28, 9, 0),  # a Saturday
        datetime(2029, 7, 2, 9, 0),  # past the certificates of the demo's first version (2028-12-31)
        datetime(2031, 12, 31, 23, 30),  # a New Year's Eve years ahead, late in the evening in Beijing
    ],
    ids=lambda day: day.date().isoformat(),
)
def test_seed_demo_works_on_any_day(db, day):
    with time_machine.travel(day.replace(tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        call_command("seed_demo")
    assert Draw.objects.filter(bureau__code="jianan", status=DrawStatus.APPROVED).count() == 3
