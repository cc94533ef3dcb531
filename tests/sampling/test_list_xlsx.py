"""The drawn list as .xlsx (issue 17 item 6): after approval only, to those who may see the list (the rule of
the page and the PDF record), formula-safe, every download recorded, a fixed number of queries."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from core.enums import Role
from core.models import AuditEntry
from inspections.models import TaskMember
from sampling import draws, plans
from sampling.enums import PlanStatus
from sampling.models import QuotaPolicy
from tests.conftest import _member
from tests.factories import CheckItemFactory, EnterpriseFactory, InspectorFactory
from tests.sampling.conftest import TODAY

HEADER = ["抽取层级", "序号", "检查对象名称", "统一社会信用代码", "检查任务编号", "检查组"]
NONCE = "ab" * 32


def rows_of(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def xlsx_url(draw) -> str:
    return reverse("sampling:draw-list-xlsx", args=[draw.pk])


@pytest.fixture
def fixed_nonce(monkeypatch):
    monkeypatch.setattr(draws.secrets, "token_hex", lambda _n=32: NONCE)


@pytest.fixture
def small_county(bureau, alice, bob, today, fixed_nonce):
    """Two inspectors (teams of two), three general enterprises (one named like a formula) and one key
    enterprise, every one of them drawn (ratios of 100 %)."""
    QuotaPolicy.objects.create(
        bureau=bureau, year=2026, key_ratio=100, general_ratio=100, special_ratio=100, yearly_cap=2, team_size=2
    )
    InspectorFactory(bureau=bureau, code="ZF002", name="李检查")
    EnterpriseFactory(bureau=bureau, tier="general", name='=HYPERLINK("http://x")化工', uscc="91411003DM93J4CYQE")
    EnterpriseFactory(bureau=bureau, tier="general", name="许昌甲化工有限公司", uscc="914110038LLCF2JX4C")
    EnterpriseFactory(bureau=bureau, tier="general", name="许昌乙化工有限公司", uscc="914110031ML29E5H6D")
    EnterpriseFactory(bureau=bureau, tier="key", name="许昌丙热电有限公司", uscc="91411003NWWK9GCKW4")
    item = CheckItemFactory(bureau=bureau, code="SJ-02", name="重点排污单位检查")
    plan = plans.plan_create(actor=alice, bureau=bureau, year=2026, name="2026年抽查计划")
    task = plans.plan_task_create(
        actor=alice,
        plan=plan,
        check_items=[item],
        name="一般和重点排污单位抽查",
        include_general=True,
        include_key=True,
        draw_from=TODAY,
        draw_until=TODAY.replace(month=12, day=31),
        inspect_from=TODAY,
        inspect_until=TODAY.replace(month=3, day=31),
    )
    plans.plan_set_status(actor=alice, plan=plan, status=PlanStatus.ACTIVE)
    return task


@pytest.fixture
def drawn(small_county, alice):
    draw = draws.draw_create(actor=alice, task=small_county, quarter=1, today=TODAY)
    return draws.draw_execute(actor=alice, draw=draw, witness_input="31 07 19", witnesses="刘见证\n陈见证")


@pytest.fixture
def locked(drawn, frank):
    return draws.draw_approve(actor=frank, draw=drawn)


TEAM = "ZF002 李检查、ZF001 王检查"
KEY, GENERAL = "重点监管对象 · 2026年第一季度", "一般监管对象 · 2026年第一季度"
EXPECTED = [
    HEADER,
    [KEY, 1, "许昌丙热电有限公司", "91411003NWWK9GCKW4", "JIANAN2026-1-1-Q1-1-0001", TEAM],
    # a name that reads as a formula stays text: an apostrophe first, so no spreadsheet program evaluates it
    [GENERAL, 1, '\'=HYPERLINK("http://x")化工', "91411003DM93J4CYQE", "JIANAN2026-1-1-Q1-1-0002", TEAM],
    [GENERAL, 2, "许昌乙化工有限公司", "914110031ML29E5H6D", "JIANAN2026-1-1-Q1-1-0003", TEAM],
    [GENERAL, 3, "许昌甲化工有限公司", "914110038LLCF2JX4C", "JIANAN2026-1-1-Q1-1-0004", TEAM],
]


def xlsx_views(draw) -> list:
    return list(
        AuditEntry.objects.filter(action="draw.list_viewed", object_id=str(draw.pk), data__what="xlsx").values_list(
            "actor_name", flat=True
        )
    )


def test_the_drawn_list_in_excel_exactly(locked, client_for, alice, today):
    response = client_for(alice).get(xlsx_url(locked))
    assert response["Content-Disposition"] == f'attachment; filename="draw-{locked.pk}-list.xlsx"'
    assert rows_of(response) == EXPECTED
    assert xlsx_views(locked) == ["张组长"]  # every download of the confidential list is recorded


def test_the_page_links_the_download_once_approved(drawn, frank, client_for, alice, today):
    assert (
        'id="draw-list-xlsx"'
        not in client_for(alice).get(reverse("sampling:draw-detail", args=[drawn.pk])).content.decode()
    )
    assert client_for(alice).get(xlsx_url(drawn)).status_code == 404  # drawn, not approved yet: no list out
    draws.draw_approve(actor=frank, draw=drawn)
    page = client_for(alice).get(reverse("sampling:draw-detail", args=[drawn.pk])).content.decode()
    assert f'href="{xlsx_url(drawn)}" role="button" class="secondary outline" id="draw-list-xlsx"' in page


def test_who_may_download_the_drawn_list(
    locked, client_for, bureau, alice, frank, bob, carol, dave, erin, mallory, today
):
    judy = _member("judy", bureau, Role.INSPECTOR)  # an inspector on none of its teams
    InspectorFactory(bureau=bureau, code="ZF099", name="新检查", user=judy)
    expected = {alice: 200, frank: 200, dave: 200, bob: 200, carol: 404, erin: 404, judy: 404, mallory: 404}
    for user, status in expected.items():
        assert client_for(user).get(xlsx_url(locked)).status_code == status, user.username
        assert client_for(user).get(reverse("sampling:draw-detail", args=[locked.pk])).status_code == status
    assert client_for(bob).post(xlsx_url(locked)).status_code == 405
    assert sorted(xlsx_views(locked)) == sorted(["张组长", frank.get_full_name(), dave.get_full_name(), "王检查"])


def test_an_inspector_gets_only_his_own_rows_while_the_list_is_confidential(locked, client_for, bureau, today):
    # ZF002 gets an account and leaves every team but the key enterprise's (as a substitution would).
    lee = _member("lee", bureau, Role.INSPECTOR, first_name="李检查")
    zf002 = locked.bureau.inspectors.get(code="ZF002")
    zf002.user = lee
    zf002.save(update_fields=["user"])
    TaskMember.objects.filter(task__draw=locked, inspector=zf002).exclude(task__number__endswith="0001").update(
        active=False
    )
    assert rows_of(client_for(lee).get(xlsx_url(locked))) == [EXPECTED[0], EXPECTED[1]]


def test_the_export_runs_a_fixed_number_of_queries(small_county, client_for, alice, frank, bureau, today):
    for n in range(3, 7):  # enough inspectors for a second team for the key enterprise (never its last team)
        InspectorFactory(bureau=bureau, code=f"ZF{n:03d}", name=f"检查员{n}")
    key_only = plans.plan_task_create(
        actor=alice,
        plan=small_county.plan,
        check_items=list(small_county.check_items.all()),
        name="重点排污单位抽查",
        include_general=False,
        include_key=True,
        draw_from=TODAY,
        draw_until=TODAY.replace(month=12, day=31),
        inspect_from=TODAY,
        inspect_until=TODAY.replace(month=3, day=31),
    )
    counts = {}
    for task in (small_county, key_only):
        draw = draws.draw_create(actor=alice, task=task, quarter=1, today=TODAY)
        draw = draws.draw_execute(actor=alice, draw=draw, witness_input="31 07 19", witnesses="刘见证\n陈见证")
        draw = draws.draw_approve(actor=frank, draw=draw)
        client = client_for(alice)
        with CaptureQueriesContext(connection) as queries:
            rows = rows_of(client.get(xlsx_url(draw)))
        counts[len(rows) - 1] = len(queries)
    assert sorted(counts) == [1, 4]
    assert counts[1] == counts[4] <= 20, counts
