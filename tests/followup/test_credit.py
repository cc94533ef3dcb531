"""The enterprise's credit record (issue 16): a decided penalty and a visit that finds the problem not rectified
put a record on the enterprise's record, once, and the draws' risk weight rises with it."""

import io
import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from core.models import AuditEntry
from enterprises.enums import CreditRating
from enterprises.models import Enterprise, EnterpriseRecord
from enterprises.services import enterprise_record_add, risk_rule_update, risk_weights
from followup import services
from followup.models import Case, Rectification
from inspections import services as inspection_services
from inspections.enums import Outcome
from inspections.models import InspectionTask
from inspections.publication import publication_publish
from tests.factories import UserFactory
from tests.inspections.factories import make_task

from .conftest import INSPECTED, at
from .test_services import _decide, _file


def _records(enterprise):
    return list(
        EnterpriseRecord.objects.filter(enterprise=enterprise)
        .order_by("id")
        .values_list("kind", "date", "reference", "description")
    )


def test_visit_not_rectified_and_penalty_go_on_the_record_once(ordered, bob, alice, bureau):
    enterprise = ordered.enterprise
    assert risk_weights(bureau, [enterprise.pk], as_of=date(2026, 12, 1)) == {enterprise.pk: 1}
    r = Rectification.objects.get(task=ordered)
    with at(date(2026, 11, 2)):
        for _repeat in range(2):
            services.visit_record(
                actor=bob, rectification=r, rectified=False, visited_on=date(2026, 11, 2), findings="设施仍未运行"
            )
    case = Case.objects.get(task=ordered)
    with at(date(2026, 12, 1)):
        _file(case, alice)
        _decide(case, alice)
        _decide(case, alice)  # a repeat writes no second record
    assert _records(enterprise) == [
        ("violation", date(2026, 11, 2), ordered.number, "回访未整改：设施仍未运行"),
        ("penalty", date(2026, 11, 20), "建环罚〔2026〕8号", "罚款：罚款人民币伍万元整"),
    ]
    # 1 + two records in the last three years (no credit rating)
    assert risk_weights(bureau, [enterprise.pk], as_of=date(2026, 12, 1)) == {enterprise.pk: 3}
    # the penalty is not yet on the record of a draw made before the decision
    assert risk_weights(bureau, [enterprise.pk], as_of=date(2026, 11, 19)) == {enterprise.pk: 2}
    audited = list(
        AuditEntry.objects.filter(action="enterprises.record_added").order_by("id").values_list("actor_id", flat=True)
    )
    assert audited == [bob.pk, alice.pk]


def test_visit_rectified_puts_nothing_on_the_record(ordered, bob):
    r = Rectification.objects.get(task=ordered)
    with at(date(2026, 10, 27)):
        services.visit_record(
            actor=bob, rectification=r, rectified=True, visited_on=date(2026, 10, 27), findings="已整改"
        )
    assert _records(ordered.enterprise) == []


# --- the credit record page -------------------------------------------------------------------------------


def _history(html: str) -> list[tuple[str, ...]]:
    body = html.split('id="entries"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td[^>]*>(.*?)</td></tr>", body, re.S)
    return [tuple(re.sub(r"<[^>]+>", "", cell).strip() for cell in row) for row in rows]


def _terms(html: str) -> dict[str, tuple[str, str]]:
    found = re.findall(r'<tr id="term-(\w+)">(.*?)</tr>', html, re.S)
    out = {}
    for name, row in found:
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        out[name] = (cells[-2] if len(cells) == 3 else "", cells[-1])
    return out


@pytest.fixture
def decided(ordered, bob, alice, frank, carol):
    """ordered, published on 2026-09-25, not rectified at the visit of 2026-11-02, case filed 2026-11-03 and
    penalty decided 2026-11-20; two complaints from before (one out of the three-year window); 警示 rating."""
    with at(INSPECTED, 11):
        publication_publish(actor=frank, task=ordered)
    r = Rectification.objects.get(task=ordered)
    with at(date(2026, 11, 2)):
        services.visit_record(
            actor=bob, rectification=r, rectified=False, visited_on=date(2026, 11, 2), findings="设施仍未运行"
        )
    case = Case.objects.get(task=ordered)
    with at(date(2026, 12, 1)):
        _file(case, alice)
        _decide(case, alice)
        for day, text in ((date(2023, 12, 1), "夜间异味投诉"), (date(2024, 1, 10), "噪声投诉")):
            enterprise_record_add(
                actor=carol, enterprise=ordered.enterprise, kind="complaint", date=day, description=text
            )
    Enterprise.objects.filter(pk=ordered.enterprise_id).update(credit_rating=CreditRating.WARNING)
    return ordered


def test_credit_record_lists_everything_newest_first_with_the_weight_and_why(decided, dave, client_for):
    with at(date(2026, 12, 1)):
        response = client_for(dave).get(f"/followup/enterprise/{decided.enterprise_id}/credit/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "今日风险权重：5" in html
    assert "按本局的默认规则计算。" in html
    assert '<a href="/public/draws/risk-weights/#bureau-jianan" id="risk-rule-link">公开的权重规则</a>' in html
    assert _terms(html) == {
        "base": ("每家企业有一张签。", "1"),
        "records": ("2023-12-01 之后至 2026-12-01 的记录 3 条（最多计 3 条）", "3"),
        "credit": ("警示", "1"),
        "clean": ("最近一次已公示的检查结果（2026-09-25）发现问题；需连续 3 次检查未发现问题", "—"),
        "total": ("", "5"),
    }
    n = decided.number
    assert _history(html) == [
        ("2026-11-20", "行政处罚", "罚款：罚款人民币伍万元整", "建环罚〔2026〕8号"),
        ("2026-11-20", "已作出处罚决定", "罚款：罚款人民币伍万元整", "建环罚〔2026〕8号"),
        ("2026-11-03", "已立案", "污染防治设施未正常运行", "建环罚立〔2026〕12号"),
        ("2026-11-02", "违法行为", "回访未整改：设施仍未运行", n),
        ("2026-11-02", "整改回访", "未整改：设施仍未运行", n),
        ("2026-09-25", "已责令整改", "整改期限 2026-10-29", n),
        ("2026-09-25", "已公示的检查结果", "发现问题已责令整改", decided.publication.inspection_number),
        ("2024-01-10", "信访投诉", "噪声投诉", "—"),
        ("2023-12-01", "信访投诉", "夜间异味投诉", "—"),
    ]


def test_credit_record_explains_the_weight_by_the_bureaus_rule(decided, bureau, erin, dave, client_for):
    # one year of records, at most two, 警示 adds nothing, a penalty in the last 12 months: at least 7
    rule = {
        "window_years": 1,
        "records_cap": 2,
        "warning_term": 0,
        "bad_term": 2,
        "penalty_months": 12,
        "penalty_weight": 7,
        "clean_streak": 3,
        "clean_weight": 1,
    }
    with at(date(2026, 11, 25)):
        risk_rule_update(actor=erin, bureau=bureau, **rule)
    with at(date(2026, 12, 1)):
        html = client_for(dave).get(f"/followup/enterprise/{decided.enterprise_id}/credit/").content.decode()
        weights = risk_weights(bureau, [decided.enterprise_id])
    # records of the year: the visit's violation (2026-11-02) and the penalty (2026-11-20): 1 + 2 + 0 = 3,
    # lifted to 7 by the penalty of 2026-11-20
    assert weights == {decided.enterprise_id: 7}
    assert "今日风险权重：7" in html
    assert "按本局自 2026-11-25 起施行的规则计算。" in html
    assert _terms(html) == {
        "base": ("每家企业有一张签。", "1"),
        "records": ("2025-12-01 之后至 2026-12-01 的记录 2 条（最多计 2 条）", "2"),
        "credit": ("警示", "0"),
        "floor": ("2025-12-01 之后有行政处罚记录 1 条：权重至少为 7", "7"),
        "clean": ("最近一次已公示的检查结果（2026-09-25）发现问题；需连续 3 次检查未发现问题", "—"),
        "total": ("", "7"),
    }


def test_credit_record_query_count_and_refusals(
    decided, bureau, dave, carol, mallory, client_for, django_assert_max_num_queries, django_assert_num_queries
):
    url = f"/followup/enterprise/{decided.enterprise_id}/credit/"
    client = client_for(carol)  # registry staff read it
    client.get(url)
    with django_assert_max_num_queries(15) as one:  # 14 before the clean-inspection term read its results
        assert client.get(url).status_code == 200
    with at(date(2026, 12, 1)):
        for day in (date(2025, 3, 1), date(2025, 4, 1)):
            enterprise_record_add(
                actor=carol, enterprise=decided.enterprise, kind="violation", date=day, description="x"
            )
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(url).content.decode().count("<td>违法行为</td>") == 3
    assert client_for(mallory).get(url).status_code == 404  # another bureau
    assert client_for(UserFactory(username="nobody")).get(url).status_code == 404  # no role in any bureau
    assert Client().get(url).status_code == 302  # to the login page
    assert client_for(dave).post(url).status_code == 405


def test_enterprise_page_links_the_credit_record(decided, dave, client_for):
    html = client_for(dave).get(f"/enterprises/{decided.enterprise_id}/").content.decode()
    assert f'href="/followup/enterprise/{decided.enterprise_id}/credit/" id="credit-record-link"' in html


# --- 建议列入经营异常名录 ------------------------------------------------------------------------------------


def _unreachable(bureau, draw, bob, partner, frank, *, address, day):
    with at(day):
        task = make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
        Enterprise.objects.filter(pk=task.enterprise_id).update(address=address)
        result, _created = inspection_services.result_record_without_arrival(
            actor=bob,
            task=task,
            outcome=Outcome.UNREACHABLE,
            attempted_at=timezone.now() - timedelta(hours=1),
            place=address,
            members=list(task.members.filter(active=True).order_by("position").values_list("pk", flat=True)),
            witness="园区管委会 李见证",
            summary="登记住所已无人办公。",
        )
        inspection_services.result_approve(actor=frank, result=result)
        publication_publish(actor=frank, task=InspectionTask.objects.get(pk=task.pk))
    return InspectionTask.objects.get(pk=task.pk)


@pytest.fixture
def two_unreachable(bureau, draw, bob, partner, frank, pending):
    """Two published 无法联系 results (2026-09-28 and 2026-10-09; the second enterprise's address starts with
    '=') and pending's published 待后续处理 result, which is not listed."""
    first = _unreachable(bureau, draw, bob, partner, frank, address="工业园区纬三路8号", day=date(2026, 9, 28))
    second = _unreachable(bureau, draw, bob, partner, frank, address="=HYPERLINK(1)", day=date(2026, 10, 9))
    return first, second


def test_abnormal_list_page_and_xlsx(two_unreachable, dave, client_for, django_assert_max_num_queries):
    first, second = two_unreachable
    client = client_for(dave)
    client.get("/followup/abnormal/")
    with django_assert_max_num_queries(12):
        html = client.get("/followup/abnormal/").content.decode()
    listed = re.findall(r'<tr id="abnormal-(\d+)">', html)
    assert listed == [str(second.publication.pk), str(first.publication.pk)]
    assert "通过登记的住所（经营场所）无法联系" in html and "工业园区纬三路8号" in html
    response = client.get("/followup/abnormal/?format=xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="abnormal-jianan.xlsx"'
    header, *rows = [list(r) for r in load_workbook(io.BytesIO(response.content)).active.values]
    assert header == [
        "检查对象名称",
        "统一社会信用代码",
        "登记住所",
        "检查编号",
        "检查完成日期",
        "检查结果",
        "公示日期",
    ]
    assert rows == [
        [
            second.enterprise.name,
            second.enterprise.uscc,
            "'=HYPERLINK(1)",
            second.publication.inspection_number,
            "2026-10-09",
            "通过登记的住所（经营场所）无法联系",
            "2026-10-09",
        ],
        [
            first.enterprise.name,
            first.enterprise.uscc,
            "工业园区纬三路8号",
            first.publication.inspection_number,
            "2026-09-28",
            "通过登记的住所（经营场所）无法联系",
            "2026-09-28",
        ],
    ]


def test_abnormal_list_is_the_bureau_s_own(two_unreachable, mallory, client_for):
    html = client_for(mallory).get("/followup/abnormal/").content.decode()
    assert re.findall(r'<tr id="abnormal-(\d+)">', html) == []
    assert "暂无建议列入的企业。" in html
    assert Client().get("/followup/abnormal/").status_code == 302


def test_credit_record_shows_a_transfer_and_its_conclusion(pending, alice, dave, client_for):
    with at(date(2026, 11, 20)):
        transfer = services.transfer_send(
            actor=alice,
            task=pending,
            department="许昌市公安局建安分局",
            transferred_on=date(2026, 10, 9),
            reason="涉嫌犯罪",
        )
        services.transfer_receive(
            actor=alice,
            transfer=transfer,
            receipt_number="建公受〔2026〕33号",
            received_by_name="刘警官",
            received_on=date(2026, 10, 12),
        )
        services.transfer_close(
            actor=alice, transfer=transfer, concluded_on=date(2026, 11, 20), conclusion="no_violation", note="不予立案"
        )
        html = client_for(dave).get(f"/followup/enterprise/{pending.enterprise_id}/credit/").content.decode()
    assert _history(html) == [
        ("2026-11-20", "移交已办结", "未发现违法行为：不予立案", "建公受〔2026〕33号"),
        ("2026-10-09", "移交", "许昌市公安局建安分局", pending.number),
        ("2026-09-25", "已责令整改", "整改期限 2026-10-29", pending.number),
        ("2026-09-25", "已公示的检查结果", "未发现问题", pending.publication.inspection_number),
    ]
    assert "今日风险权重：1" in html  # a transfer puts nothing on the record


def test_abnormal_list_queries_do_not_grow_with_the_rows(
    bureau, draw, bob, partner, frank, dave, client_for, django_assert_num_queries, django_assert_max_num_queries
):
    _unreachable(bureau, draw, bob, partner, frank, address="纬三路1号", day=date(2026, 9, 28))
    client = client_for(dave)
    client.get("/followup/abnormal/")
    with django_assert_max_num_queries(12) as one:
        html = client.get("/followup/abnormal/").content.decode()
    assert len(re.findall(r'<tr id="abnormal-\d+">', html)) == 1
    for address in ("纬三路2号", "纬三路3号"):
        _unreachable(bureau, draw, bob, partner, frank, address=address, day=date(2026, 9, 28))
    with django_assert_num_queries(len(one.captured_queries)):
        html = client.get("/followup/abnormal/").content.decode()
    assert len(re.findall(r'<tr id="abnormal-\d+">', html)) == 3
