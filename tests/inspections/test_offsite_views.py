"""Issue 14 item 5 in the browser's pages: the off-site checks (非现场检查) of the positive-list units (正面清单)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.models import AuditEntry
from inspections import services
from inspections.models import OffsiteCheck
from tests.factories import EnterpriseFactory

LIST = "/inspections/offsite/"


@pytest.fixture(autouse=True)
def november():
    with time_machine.travel(datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@pytest.fixture
def units(bureau, other_bureau, bob):
    """Three positive-list units (甲 checked in 2026 Q4), one closed, one not on the list, one of another bureau."""
    found = [
        EnterpriseFactory(bureau=bureau, positive_list=True, name=f"正面清单{n}有限公司") for n in ("甲", "乙", "丙")
    ]
    EnterpriseFactory(bureau=bureau, positive_list=True, status="closed", name="正面清单已关闭有限公司")
    EnterpriseFactory(bureau=bureau, positive_list=False, name="不在清单有限公司")
    EnterpriseFactory(bureau=other_bureau, positive_list=True, name="外局正面清单有限公司")
    services.offsite_check_record(
        actor=bob, enterprise=found[0], checked_on=date(2026, 10, 5), method="自动监控数据", notes="排放浓度达标"
    )
    return found


def names(response):
    return [unit.name for unit, _check in response.context["rows"]]


def test_the_list_shows_each_unit_and_the_quarters_coverage(units, client_for, bob):
    response = client_for(bob).get(LIST + "?year=2026&quarter=4")
    assert response.status_code == 200
    assert names(response) == ["正面清单丙有限公司", "正面清单乙有限公司", "正面清单甲有限公司"]
    ctx = response.context
    assert (ctx["covered"], ctx["total"], ctx["missing"], ctx["coverage"]) == (1, 3, 2, Decimal("33.3"))
    body = response.content.decode()
    assert "2026-10-05" in body and "自动监控数据" in body and "排放浓度达标" in body
    assert f'href="/inspections/offsite/{units[1].pk}/"' in body
    assert f'href="/inspections/offsite/{units[0].pk}/"' not in body  # already checked this quarter
    assert "外局正面清单有限公司" not in body and "不在清单有限公司" not in body and "已关闭" not in body


def test_the_filters_and_the_default_quarter(units, client_for, bob):
    client = client_for(bob)
    assert names(client.get(LIST + "?year=2026&quarter=4&state=missing")) == [
        "正面清单丙有限公司",
        "正面清单乙有限公司",
    ]
    assert names(client.get(LIST + "?year=2026&quarter=4&state=done")) == ["正面清单甲有限公司"]
    response = client.get(LIST)  # today: 2026 Q4
    assert (response.context["year"], response.context["quarter"], response.context["covered"]) == (2026, 4, 1)
    assert client.get(LIST + "?year=2026&quarter=3").context["covered"] == 0


def test_the_list_costs_the_same_queries_for_one_and_three_units(
    bureau, client_for, alice, django_assert_max_num_queries
):
    client = client_for(alice)
    EnterpriseFactory(bureau=bureau, positive_list=True)
    client.get(LIST)  # warm the session
    with django_assert_max_num_queries(12) as one:
        assert len(client.get(LIST + "?year=2026&quarter=4").context["rows"]) == 1
    EnterpriseFactory(bureau=bureau, positive_list=True)
    EnterpriseFactory(bureau=bureau, positive_list=True)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get(LIST + "?year=2026&quarter=4").context["rows"]) == 3


def test_readers_without_the_right_to_record_see_no_form(units, client_for, dave, erin, carol):
    for reader in (dave, erin):
        response = client_for(reader).get(LIST + "?year=2026&quarter=4")
        assert response.status_code == 200 and response.context["can_record"] is False
        assert "/inspections/offsite/" + str(units[1].pk) not in response.content.decode()
        assert client_for(reader).get(f"/inspections/offsite/{units[1].pk}/").status_code == 403
    assert client_for(carol).get(LIST).status_code == 403  # registry staff


def test_another_bureaus_unit_answers_404(units, other_bureau, client_for, mallory, bob):
    foreign = EnterpriseFactory(bureau=other_bureau, positive_list=True)
    assert client_for(bob).get(f"/inspections/offsite/{foreign.pk}/").status_code == 404
    assert (
        client_for(mallory).post(f"/inspections/offsite/{units[1].pk}/", {"checked_on": "2026-11-02"}).status_code
        == 404
    )
    assert OffsiteCheck.objects.count() == 1


def test_recording_a_check(units, client_for, bob):
    client = client_for(bob)
    url = f"/inspections/offsite/{units[1].pk}/"
    form = client.get(url)
    assert form.status_code == 200 and 'value="2026-11-20"' in form.content.decode()  # today by default
    assert OffsiteCheck.objects.count() == 1  # a GET changes nothing
    response = client.post(url, {"checked_on": "2026-11-02", "method": "视频巡查", "notes": "在线监控正常"})
    assert response.status_code == 302
    assert response["Location"] == f"/inspections/offsite/?year=2026&quarter=4#unit-{units[1].pk}"
    check = OffsiteCheck.objects.get(enterprise=units[1])
    assert (check.year, check.quarter, check.checked_on, check.method, check.notes, check.recorded_by_id) == (
        2026,
        4,
        date(2026, 11, 2),
        "视频巡查",
        "在线监控正常",
        bob.pk,
    )
    entry = AuditEntry.objects.filter(action="inspections.offsite_check_recorded").latest("id")
    assert (entry.object_id, entry.data["quarter"], entry.data["method"]) == (str(units[1].pk), 4, "视频巡查")
    assert client.get(LIST + "?year=2026&quarter=4").context["covered"] == 2


def test_refusals_are_next_to_their_fields_with_the_input_kept(units, client_for, alice):
    client = client_for(alice)
    url = f"/inspections/offsite/{units[0].pk}/"
    response = client.post(url, {"checked_on": "2026-12-01", "method": "", "notes": "备注保留"})
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"checked_on", "method"}
    body = response.content.decode()
    assert 'value="2026-12-01"' in body and "备注保留" in body
    # Another check of a quarter already covered: refused next to the date, nothing written.
    response = client.post(url, {"checked_on": "2026-11-02", "method": "视频", "notes": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["checked_on"] == ["该单位2026年第4季度的非现场检查已登记。"]
    assert OffsiteCheck.objects.count() == 1


def test_a_unit_off_the_positive_list_is_refused(bureau, client_for, bob):
    off = EnterpriseFactory(bureau=bureau, positive_list=False)
    response = client_for(bob).post(f"/inspections/offsite/{off.pk}/", {"checked_on": "2026-11-02", "method": "视频"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["只能为正面清单单位登记非现场检查。"]
    assert not OffsiteCheck.objects.exists()


def test_the_dashboard_target_links_to_the_list(units, client_for, alice):
    body = client_for(alice).get("/publication/?year=2026").content.decode()
    assert 'href="/inspections/offsite/?year=2026&amp;quarter=4"' in body
