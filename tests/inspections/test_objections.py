"""Issue 16 item 5: the enterprise's right to object (异议) to its published result.

The clock stands still at 2026-09-21 10:00 (Monday) in Shanghai, the day the result is published. Working
days counted by hand on the 2026 calendar (中秋 9-25, 国庆 10-01…10-07 on weekdays, make-up workday 10-10):
15 working days after 2026-09-21 is 2026-10-19 (filing closes); 30 is 2026-11-09 (the token's last day);
10 after a filing on 2026-09-21 is 2026-10-12, after 2026-10-19 it is 2026-11-02, after 2026-09-30 2026-10-20.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signing import Signer

from core.errors import DomainError
from core.models import AuditEntry
from inspections import objections, publication
from inspections.models import EnterpriseCode, InspectionResult, Objection, ObjectionFile, Publication
from inspections.tokens import make_objection_token, make_token

from .conftest import enterprise_code

SHANGHAI = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2026, 9, 21, 10, 0, tzinfo=SHANGHAI), tick=False) as traveller:
        yield traveller


def at(traveller, day: date):
    traveller.move_to(datetime(day.year, day.month, day.day, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def published(approved, alice):
    return publication.publication_publish(actor=alice, task=approved.task)


@pytest.fixture
def url(task):
    return f"/o/{make_objection_token(task)}/"


def written(task):
    return (
        Objection.objects.filter(task=task).count(),
        ObjectionFile.objects.count(),
        AuditEntry.objects.count(),
        Publication.objects.filter(task=task).values_list("objection", flat=True).first(),
    )


def post_objection(client, url, task, **extra):
    data = {
        "filed_by_name": "周经理",
        "text": "检查当日企业已提交监测报告，结果有误。",
        "code": enterprise_code(task, "objection"),
        **extra,
    }
    return client.post(url + "file/", data)


def file_objection(task, **extra):
    return objections.objection_file(
        task=task,
        text=extra.pop("text", "结果有误。"),
        filed_by_name="周经理",
        code=enterprise_code(task, "objection"),
        **extra,
    )


# --- deadlines ------------------------------------------------------------------------------------------


def test_deadlines_in_working_days(db):
    assert objections.filing_closes(date(2026, 9, 21)).date == date(2026, 10, 19)
    assert objections.token_expires(date(2026, 9, 21)).date == date(2026, 11, 9)
    assert objections.decision_due(date(2026, 9, 21)).date == date(2026, 10, 12)
    assert objections.decision_due(date(2026, 10, 19)).date == date(2026, 11, 2)
    assert objections.decision_due(date(2026, 9, 30)).date == date(2026, 10, 20)


# --- the token page -------------------------------------------------------------------------------------


def test_the_token_page_shows_the_published_result(client, published, url):
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "未发现问题" in page
    assert published.items_checked in page
    assert "2026-10-19" in page  # filing closes
    assert "2026-11-09" in page  # the code's last day
    assert 'id="file-objection"' in page


def test_before_publication_the_page_says_so_and_filing_is_refused(client, approved, url):
    task = approved.task
    before = written(task)
    assert 'id="not-published"' in client.get(url).content.decode()
    response = post_objection(client, url, task)
    assert response.status_code == 409
    assert Objection.objects.filter(task=task).count() == 0
    assert written(task)[:3] == (before[0], before[1], before[2])


@pytest.mark.parametrize("kind", ["forged", "checkin", "unknown-task", "truncated"])
def test_bad_tokens_answer_400_and_write_nothing(client, published, kind):
    task = published.task
    token = {
        "forged": Signer(salt="inspections.objection", key="not-the-secret-key").sign_object({"t": task.pk}),
        "checkin": make_token(task),
        "unknown-task": Signer(salt="inspections.objection").sign_object({"t": 999999}),
        "truncated": make_objection_token(task)[:-3],
    }[kind]
    before = written(task)
    assert client.get(f"/o/{token}/").status_code == 400
    assert post_objection(client, f"/o/{token}/", task).status_code == 400
    assert client.post(f"/o/{token}/code/").status_code == 400
    after = written(task)
    assert after[:2] == before[:2] and after[3] == before[3]
    assert after[2] == before[2]


def test_the_token_expires_30_working_days_after_publication(client, published, url, clock):
    at(clock, date(2026, 11, 9))
    assert client.get(url).status_code == 200
    at(clock, date(2026, 11, 10))
    before = written(published.task)
    response = client.get(url)
    assert response.status_code == 410
    assert "2026-11-09" in response.content.decode()
    assert post_objection(client, url, published.task).status_code == 410
    assert written(published.task) == before


# --- filing ---------------------------------------------------------------------------------------------


def test_the_enterprise_files_one_objection_with_a_file(client, published, url):
    task = published.task
    upload = SimpleUploadedFile("监测报告.png", PNG, content_type="image/png")
    response = post_objection(client, url, task, files=[upload])
    assert response.status_code == 302
    objection = Objection.objects.get(task=task)
    assert objection.status == "open"
    assert objection.text == "检查当日企业已提交监测报告，结果有误。"
    assert objection.filed_by_name == "周经理"
    assert objection.due_on == date(2026, 10, 12)
    assert objection.old_outcome == "no_problem"
    (stored,) = objection.files.all()
    assert (stored.original_name, stored.content_type, stored.size) == ("监测报告.png", "image/png", len(PNG))
    assert Publication.objects.get(task=task).objection == "open"
    actions = list(AuditEntry.objects.order_by("-id").values_list("action", flat=True)[:2])
    assert actions == ["publication.objection_marked", "inspections.objection_filed"]
    page = client.get(url).content.decode()
    assert 'id="objection-filed"' in page and "2026-10-12" in page
    assert 'id="file-objection"' not in page


def test_a_second_objection_is_refused(client, published, url):
    task = published.task
    assert post_objection(client, url, task).status_code == 302
    before = written(task)
    response = post_objection(client, url, task, text="再次异议")
    assert response.status_code == 409
    assert "2026-09-21" in response.content.decode()
    assert written(task) == before
    assert Objection.objects.get(task=task).text == "检查当日企业已提交监测报告，结果有误。"


def test_filing_on_the_15th_working_day_is_accepted(published, clock):
    at(clock, date(2026, 10, 19))
    objection = file_objection(published.task)
    assert objection.due_on == date(2026, 11, 2)


def test_filing_after_the_window_is_refused_with_the_date(client, published, url, clock):
    at(clock, date(2026, 10, 20))
    task = published.task
    before = written(task)
    response = post_objection(client, url, task)
    assert response.status_code == 409
    page = response.content.decode()
    assert "2026-10-19" in page
    assert written(task) == before
    with pytest.raises(objections.ObjectionRefused, match="2026-10-19"):
        file_objection(task)
    assert 'id="filing-closed"' in client.get(url).content.decode()


def test_a_wrong_code_is_refused_and_counted(client, published, url):
    task = published.task
    enterprise_code(task, "objection")
    before = written(task)
    response = client.post(url + "file/", {"filed_by_name": "周经理", "text": "有误", "code": "000000"})
    assert response.status_code == 400
    assert written(task) == before
    assert EnterpriseCode.objects.filter(task=task, purpose="objection").order_by("-id").first().attempts == 1


def test_a_file_that_is_not_a_photo_or_pdf_is_refused(client, published, url):
    task = published.task
    before = written(task)
    fake = SimpleUploadedFile("报告.png", b"MZ\x90\x00 not an image", content_type="image/png")
    response = post_objection(client, url, task, files=[fake])
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["files"]
    assert form["text"].value() == "检查当日企业已提交监测报告，结果有误。"  # what was typed is kept
    assert written(task) == before


def test_empty_fields_are_named(client, published, url):
    response = client.post(url + "file/", {"filed_by_name": "", "text": "", "code": ""})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"filed_by_name", "text"}
    # an enterprise with a registered contact files with the code sent to it: without one, the code is named
    before = written(published.task)
    response = client.post(url + "file/", {"filed_by_name": "周经理", "text": "有误", "code": ""})
    assert response.status_code == 400
    assert response.context["form"].errors == {"code": ["请输入发送至企业登记联系人的验证码。"]}
    assert written(published.task) == before


def test_get_changes_nothing(client, published, url):
    before = written(published.task)
    assert client.get(url + "file/").status_code == 405
    assert client.get(url + "code/").status_code == 405
    assert written(published.task) == before


def test_code_sends_are_rate_limited(client, published, url):
    assert client.post(url + "code/").status_code == 302
    assert client.post(url + "code/").status_code == 429  # within a minute (inspections.codes)


def test_the_checkin_route_sends_no_objection_code(client, published):
    assert client.post(f"/c/{make_token(published.task)}/code/", {"purpose": "objection"}).status_code == 400
    assert not EnterpriseCode.objects.filter(task=published.task, purpose="objection").exists()


# --- the queue and the decisions --------------------------------------------------------------------------


def test_the_queue_lists_open_objections_by_due_date(client_for, published, alice, django_assert_num_queries):
    objection = file_objection(published.task)
    client = client_for(alice)
    response = client.get("/inspections/objections/")
    assert response.status_code == 200
    assert [o.pk for o in response.context["page"].object_list] == [objection.pk]
    page = response.content.decode()
    assert "2026-10-12" in page and published.task.number in page


def test_the_queue_query_count_does_not_grow(
    client_for, alice, bureau, bob, partner, frank, django_assert_max_num_queries
):
    from .factories import make_task

    client = client_for(alice)
    counts = []
    for n in (1, 3):
        while Objection.objects.count() < n:
            task = make_task(bureau=bureau, inspectors=[bob.inspector, partner])
            _publish_with_objection(task, bob, frank, alice)
        with django_assert_max_num_queries(40) as captured:
            response = client.get("/inspections/objections/")
        html = response.content.decode()
        names = [objection.task.enterprise.name for objection in Objection.objects.select_related("task__enterprise")]
        assert response.status_code == 200 and len(names) == n and all(name in html for name in names)
        counts.append(len(captured))
    assert counts[0] == counts[1]


def _publish_with_objection(task, bob, frank, alice):
    from inspections import services

    from .factories import findings_for

    task.enterprise.contact_email = "x@example.org"
    task.enterprise.save(update_fields=["contact_email"])
    services.checkin_confirm(task=task, confirmed_by_name="周", code=enterprise_code(task, "arrival"))
    result, _ = services.result_record(
        actor=bob, task=task, outcome="no_problem", inspected_on=date(2026, 9, 21), findings=findings_for(task)
    )
    services.result_approve(actor=frank, result=result)
    publication.publication_publish(actor=alice, task=task)
    return file_objection(task)


def test_queue_and_decisions_refused_to_others(client_for, published, bob, dave, carol, mallory):
    objection = file_objection(published.task)
    detail = f"/inspections/objections/{objection.pk}/"
    for user in (bob, carol):
        assert client_for(user).get("/inspections/objections/").status_code == 403
        assert client_for(user).get(detail).status_code == 403
    assert client_for(mallory).get(detail).status_code == 404
    assert client_for(mallory).post(detail + "reject/", {"reason": "x", "confirm": "1"}).status_code == 404
    response = client_for(dave).get(detail)  # the auditor reads the objection, without the forms to decide it
    html = response.content.decode()
    assert response.status_code == 200 and "结果有误。" in html and "周经理" in html
    assert f"/inspections/objections/{objection.pk}/uphold/" not in html
    assert client_for(dave).post(detail + "reject/", {"reason": "x", "confirm": "1"}).status_code == 403
    assert (
        client_for(bob).post(detail + "uphold/", {"outcome": "corrected", "reason": "x", "confirm": "1"}).status_code
        == 403
    )
    assert client_for(dave).get(detail + "reject/").status_code == 405
    assert Objection.objects.get(pk=objection.pk).status == "open"


def test_reject_through_the_confirmation_page(client_for, published, alice, client, url):
    objection = file_objection(published.task)
    staff = client_for(alice)
    detail = f"/inspections/objections/{objection.pk}/"
    response = staff.post(detail + "reject/", {"reason": "监测报告日期晚于检查日。"})
    assert response.status_code == 200
    assert 'name="confirm"' in response.content.decode()
    assert Objection.objects.get(pk=objection.pk).status == "open"
    response = staff.post(detail + "reject/", {"reason": "监测报告日期晚于检查日。", "confirm": "1"})
    assert response.status_code == 302
    objection.refresh_from_db()
    assert (objection.status, objection.decision_reason, objection.decided_by_id) == (
        "rejected",
        "监测报告日期晚于检查日。",
        alice.pk,
    )
    assert Publication.objects.get(task=published.task).objection == ""
    assert InspectionResult.objects.get(task=published.task).outcome == "no_problem"
    page = client.get(url).content.decode()
    assert "监测报告日期晚于检查日。" in page
    assert AuditEntry.objects.filter(action="inspections.objection_rejected").count() == 1
    # decided: a repeat is a no-op, the other decision is refused
    objections.objection_reject(actor=alice, objection=objection, reason="again")
    with pytest.raises(DomainError):
        objections.objection_uphold(actor=alice, objection=objection, outcome="corrected", reason="x")


def test_reject_needs_reasons(client_for, published, alice):
    objection = file_objection(published.task)
    response = client_for(alice).post(f"/inspections/objections/{objection.pk}/reject/", {"reason": "", "confirm": "1"})
    assert response.status_code == 400
    assert response.context["reject_form"].errors["reason"]
    assert Objection.objects.get(pk=objection.pk).status == "open"


def test_uphold_corrects_the_result_and_the_public_row(client_for, published, alice, client):
    objection = file_objection(published.task)
    staff = client_for(alice)
    detail = f"/inspections/objections/{objection.pk}/"
    data = {"outcome": "no_business_activity", "reason": "企业已停产，未开展相关经营活动。", "confirm": "1"}
    assert staff.post(detail + "uphold/", data).status_code == 302
    objection.refresh_from_db()
    assert (objection.status, objection.new_outcome) == ("upheld", "no_business_activity")
    assert InspectionResult.objects.get(task=published.task).outcome == "no_business_activity"
    row = Publication.objects.get(task=published.task)
    assert (row.outcome, row.objection) == ("no_business_activity", "corrected")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"inspections.objection_upheld", "inspections.result_corrected", "publication.outcome_updated"} <= actions


def test_uphold_refuses_the_same_outcome_and_a_lead_of_the_team(client_for, published, alice, bob):
    objection = file_objection(published.task)
    response = client_for(alice).post(
        f"/inspections/objections/{objection.pk}/uphold/", {"outcome": "no_problem", "reason": "x", "confirm": "1"}
    )
    assert response.status_code == 400
    assert response.context["uphold_form"].errors["outcome"]
    from core.enums import Role
    from tests.factories import MembershipFactory

    MembershipFactory(user=bob, bureau=published.task.bureau, role=Role.TEAM_LEAD)
    bob = type(bob).objects.get(pk=bob.pk)  # his roles read afresh
    with pytest.raises(DomainError, match="检查组成员"):
        objections.objection_uphold(actor=bob, objection=objection, outcome="corrected", reason="x")
    assert Objection.objects.get(pk=objection.pk).status == "open"


# --- the public row in each state -------------------------------------------------------------------------


def _public(client, published):
    results = client.get("/public/results/").content.decode()
    detail = client.get(f"/public/results/{published.pk}/").content.decode()
    return ("异议处理中" in results, "经异议更正" in results, "异议处理中" in detail, "经异议更正" in detail)


def test_the_public_row_in_each_state(client, published, alice, django_capture_on_commit_callbacks):
    assert _public(client, published) == (False, False, False, False)
    with django_capture_on_commit_callbacks(execute=True):  # the public pages' version is bumped on commit
        objection = file_objection(published.task)
    assert _public(client, published) == (True, False, True, False)
    with django_capture_on_commit_callbacks(execute=True):
        objections.objection_uphold(actor=alice, objection=objection, outcome="corrected", reason="已更正")
    assert _public(client, published) == (False, True, False, True)
    assert "发现问题已责令改正" in client.get(f"/public/results/{published.pk}/").content.decode()


def test_the_public_row_after_a_rejection(client, published, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        objection = file_objection(published.task)
    assert _public(client, published) == (True, False, True, False)
    with django_capture_on_commit_callbacks(execute=True):
        objections.objection_reject(actor=alice, objection=objection, reason="理由不成立")
    assert _public(client, published) == (False, False, False, False)


# result_correct itself (who may correct, refusals, the no-op repeat): tests/inspections/test_corrections.py.
