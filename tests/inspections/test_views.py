from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditEntry
from inspections import services
from inspections.codes import code_issue
from inspections.enums import InspectionTaskStatus, Outcome
from inspections.models import Attachment, CheckIn, Evaluation, InspectionResult, InspectionTask
from inspections.tokens import checkin_url
from tests.factories import InspectorFactory, MembershipFactory, UserFactory

from .factories import findings_for, make_task
from .test_uploads import EXE, JPEG, PNG

SHANGHAI = ZoneInfo("Asia/Shanghai")


def queries(client, url) -> int:
    """How many queries one GET of ``url`` makes (the page answering 200)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def state():
    """Everything a page must not change on GET."""
    return (
        list(InspectionTask.objects.order_by("pk").values_list("pk", "status")),
        CheckIn.objects.count(),
        InspectionResult.objects.count(),
        Attachment.objects.count(),
        Evaluation.objects.count(),
        list(
            AuditEntry.objects.exclude(
                action__in=["inspections.task_viewed", "inspections.task_list_viewed"]
            ).values_list("pk")
        ),
    )


def result_post(task, **overrides):
    data = {"outcome": "no_problem", "inspected_on": timezone.localdate().isoformat(), "summary": "未发现问题"}
    for item in task.check_items.all():
        data[f"item-{item.pk}-compliant"] = "yes"
        data[f"item-{item.pk}-legal_basis"] = item.legal_basis
    data.update(overrides)
    return data


@pytest.fixture
def stranger_inspector(bureau):
    """An inspector of the bureau who is not on the team."""
    user = UserFactory(username="ivan", first_name="钱检查")
    MembershipFactory(user=user, bureau=bureau, role="inspector")
    InspectorFactory(bureau=bureau, code="ZF077", name="钱检查", user=user)
    return user


# --- my tasks ---------------------------------------------------------------------------------------


def test_my_tasks_lists_only_my_open_tasks(client_for, task, bob, bureau, partner, draw):
    other = make_task(bureau=bureau, inspectors=[partner], draw=draw)
    response = client_for(bob).get("/inspections/mine/")
    assert response.status_code == 200
    assert [t.pk for t, _deadline in response.context["rows"]] == [task.pk]
    body = response.content.decode()
    assert task.enterprise.name in body and other.enterprise.name not in body
    assert f"/inspections/{task.pk}/notice.pdf" in body


def test_my_tasks_hides_finished_tasks_unless_asked(client_for, approved, bob):
    client = client_for(bob)
    assert client.get("/inspections/mine/").context["rows"] == []
    assert [t.pk for t, _ in client.get("/inspections/mine/?done=1").context["rows"]] == [approved.task_id]


@pytest.mark.parametrize("who", ["carol", "dave"])
def test_my_tasks_refused_without_inspector_or_lead_role(request, client_for, who):
    assert client_for(request.getfixturevalue(who)).get("/inspections/mine/").status_code == 403


def test_my_tasks_of_another_bureau_are_not_shown(client_for, task, mallory):
    response = client_for(mallory).get("/inspections/mine/")
    assert response.status_code == 200 and response.context["rows"] == []


def test_my_tasks_deadline_badges(client_for, bureau, draw, bob, partner):
    with time_machine.travel(datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI), tick=False):
        task = make_task(
            bureau=bureau,
            inspectors=[bob.inspector, partner],
            draw=draw,
            planned_start=date(2026, 9, 28),
            planned_end=date(2026, 10, 30),
        )
        services.checkin_confirm(code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待")
    # A fresh login at each moment: the session ends after 30 idle minutes.
    with time_machine.travel(datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI), tick=False):
        ((_task, deadline),) = client_for(bob).get("/inspections/mine/").context["rows"]
        assert (deadline.due, deadline.state) == (date(2026, 10, 15), "")
    with time_machine.travel(datetime(2026, 10, 13, 9, 0, tzinfo=SHANGHAI), tick=False):
        response = client_for(bob).get("/inspections/mine/")
        ((_task, deadline),) = response.context["rows"]
        assert deadline.state == "soon"
        assert "结果即将到期：2026-10-15" in response.content.decode()
    with time_machine.travel(datetime(2026, 10, 16, 9, 0, tzinfo=SHANGHAI), tick=False):
        response = client_for(bob).get("/inspections/mine/")
        ((_task, deadline),) = response.context["rows"]
        assert deadline.state == "late"
        assert "结果已逾期（应于 2026-10-15 前）" in response.content.decode()


def test_my_tasks_query_count_does_not_grow_with_rows(
    client_for, bob, bureau, draw, partner, django_assert_num_queries
):
    client = client_for(bob)
    make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
    client.get("/inspections/mine/")  # warm the session
    one = queries(client, "/inspections/mine/")
    for _ in range(2):
        make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
    with django_assert_num_queries(one):
        response = client.get("/inspections/mine/")
    assert len(response.context["rows"]) == 3


# --- the bureau's task list -------------------------------------------------------------------------


def test_task_list_for_a_draw_lead_shows_confidential_tasks_and_logs_the_view(client_for, task, alice):
    response = client_for(alice).get("/inspections/")
    assert response.status_code == 200
    assert [t.pk for t, _ in response.context["rows"]] == [task.pk]
    entry = AuditEntry.objects.get(action="inspections.task_list_viewed")
    assert (entry.actor, entry.bureau_id, entry.data) == (alice, task.bureau_id, {"tasks": [task.number]})


def test_task_list_hides_confidential_tasks_from_other_leads(client_for, task, grace):
    assert client_for(grace).get("/inspections/").context["rows"] == []
    InspectionTask.objects.filter(pk=task.pk).update(status=InspectionTaskStatus.RESULT_RECORDED)
    assert [t.pk for t, _ in client_for(grace).get("/inspections/").context["rows"]] == [task.pk]
    assert not AuditEntry.objects.filter(action="inspections.task_list_viewed").exists()


def test_task_list_shows_a_task_whose_period_is_over_to_other_leads(client_for, task, grace):
    InspectionTask.objects.filter(pk=task.pk).update(planned_end=timezone.localdate() - timedelta(days=1))
    assert [t.pk for t, _ in client_for(grace).get("/inspections/").context["rows"]] == [task.pk]


def test_task_list_for_auditors(client_for, task, dave):
    response = client_for(dave).get("/inspections/")
    assert [t.pk for t, _ in response.context["rows"]] == [task.pk]


@pytest.mark.parametrize("who", ["bob", "carol"])
def test_task_list_refused_to_inspectors_and_registry_staff(request, client_for, task, who):
    assert client_for(request.getfixturevalue(who)).get("/inspections/").status_code == 403


def test_task_list_of_another_bureau_shows_nothing_of_ours(client_for, task, mallory):
    response = client_for(mallory).get("/inspections/")
    assert response.status_code == 200 and response.context["rows"] == []


def test_task_list_filters(client_for, bureau, draw, bob, partner, alice, frank):
    assigned = make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
    with time_machine.travel(datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI), tick=False):
        late = make_task(
            bureau=bureau,
            inspectors=[bob.inspector, partner],
            draw=draw,
            planned_start=date(2026, 9, 28),
            planned_end=date(2026, 12, 30),
        )
        services.checkin_confirm(code=enterprise_code(late, "arrival"), task=late, confirmed_by_name="周接待")
    client = client_for(alice)

    def pks(query):
        return sorted(t.pk for t, _ in client.get("/inspections/?" + query).context["rows"])

    assert pks("status=assigned") == [assigned.pk]
    assert pks("status=checked_in") == [late.pk]
    assert pks(f"draw={draw.pk}") == sorted([assigned.pk, late.pk])
    assert pks("late=1") == [late.pk]  # checked in on 2026-09-30, due 2026-10-15, nothing recorded
    assert pks(f"q={late.enterprise.name}") == [late.pk]
    assert pks("status=nonsense") == sorted([assigned.pk, late.pk])  # an invalid filter is ignored


def test_task_list_late_filter_includes_results_recorded_late(client_for, bureau, draw, bob, partner, alice):
    task = make_task(
        bureau=bureau,
        inspectors=[bob.inspector, partner],
        draw=draw,
        planned_start=date(2026, 9, 28),
        planned_end=date(2026, 10, 20),
    )
    with time_machine.travel(datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI), tick=False):
        services.checkin_confirm(code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待")
    with time_machine.travel(datetime(2026, 10, 20, 9, 0, tzinfo=SHANGHAI), tick=False):
        services.result_record(
            actor=bob, task=task, outcome="no_problem", inspected_on=date(2026, 9, 30), findings=findings_for(task)
        )
    on_time = make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
    services.checkin_confirm(code=enterprise_code(on_time, "arrival"), task=on_time, confirmed_by_name="周接待")
    rows = client_for(alice).get("/inspections/?late=1").context["rows"]
    assert [t.pk for t, _ in rows] == [task.pk]
    assert rows[0][1].state == "done-late"


def test_task_list_query_count_does_not_grow_with_rows(
    client_for, alice, bureau, draw, bob, partner, django_assert_num_queries
):
    client = client_for(alice)
    first = make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
    services.checkin_confirm(code=enterprise_code(first, "arrival"), task=first, confirmed_by_name="周接待")
    client.get("/inspections/")
    one = queries(client, "/inspections/")
    for _ in range(2):
        more = make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
        services.checkin_confirm(code=enterprise_code(more, "arrival"), task=more, confirmed_by_name="周接待")
    with django_assert_num_queries(one):
        response = client.get("/inspections/")
    assert len(response.context["rows"]) == 3


# --- a task ---------------------------------------------------------------------------------------------


def test_task_detail_for_the_team_shows_qr_team_and_items(client_for, task, bob, partner):
    response = client_for(bob).get(f"/inspections/{task.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and response.context["checkin_url"] == checkin_url(task)
    assert partner.certificate_number in body and bob.inspector.certificate_number in body
    for item in task.check_items.all():
        assert item.name in body
    assert not AuditEntry.objects.exists()  # the team's own views are not logged


def test_task_detail_before_inspection_for_a_draw_lead_is_logged(client_for, task, alice):
    response = client_for(alice).get(f"/inspections/{task.pk}/")
    html = response.content.decode()
    assert response.status_code == 200 and task.number in html and task.enterprise.name in html
    entry = AuditEntry.objects.get(action="inspections.task_viewed")
    assert (entry.actor, entry.object_id, entry.data) == (alice, str(task.pk), {"what": "page", "status": "assigned"})


@pytest.mark.parametrize("who", ["grace", "carol", "stranger_inspector", "mallory", "erin"])
def test_task_detail_before_inspection_is_404_for_others(request, client_for, task, who):
    assert client_for(request.getfixturevalue(who)).get(f"/inspections/{task.pk}/").status_code == 404


def test_task_detail_after_inspection_for_the_bureau_leads_and_admins(client_for, recorded, grace, erin):
    for who in (grace, erin):
        response = client_for(who).get(f"/inspections/{recorded.task_id}/")
        assert response.status_code == 200
        html = response.content.decode()
        assert recorded.task.enterprise.name in html and "现场检查未发现问题。" in html


@pytest.mark.parametrize("who", ["carol", "stranger_inspector", "mallory"])
def test_task_detail_after_inspection_still_404_for_those_not_concerned(request, client_for, recorded, who):
    assert client_for(request.getfixturevalue(who)).get(f"/inspections/{recorded.task_id}/").status_code == 404


def test_task_detail_for_an_auditor_has_no_qr_code_and_no_forms(client_for, recorded, dave):
    response = client_for(dave).get(f"/inspections/{recorded.task_id}/")
    assert response.status_code == 200
    assert response.context["show_qr"] is False and "<svg" not in response.content.decode()
    assert not any(response.context[k] for k in ("can_record", "can_approve", "can_attach", "can_checkin_manual"))


def test_task_detail_get_changes_nothing(client_for, recorded, frank, bob):
    before = state()
    client_for(frank).get(f"/inspections/{recorded.task_id}/")
    client_for(bob).get(f"/inspections/{recorded.task_id}/result/")
    assert state() == before


# --- result entry ---------------------------------------------------------------------------------------


def test_result_form_records_the_result_with_files(client_for, checked_in, bob):
    data = result_post(checked_in, joint_units="县公安局")
    data["files"] = [SimpleUploadedFile("现场.png", PNG), SimpleUploadedFile("记录.jpg", JPEG)]
    response = client_for(bob).post(f"/inspections/{checked_in.pk}/result/", data)
    assert response.status_code == 302 and response["Location"] == f"/inspections/{checked_in.pk}/"
    result = InspectionResult.objects.get(task=checked_in)
    assert (result.outcome, result.joint_units, result.summary) == ("no_problem", "县公安局", "未发现问题")
    assert sorted(result.attachments.values_list("original_name", flat=True)) == ["现场.png", "记录.jpg"]
    assert InspectionTask.objects.get(pk=checked_in.pk).status == InspectionTaskStatus.RESULT_RECORDED


def test_result_form_submitted_twice_records_once(client_for, checked_in, bob):
    """A double tap on "save": the same content and the same photo again change nothing and write nothing."""
    client = client_for(bob)

    def submit():
        data = result_post(checked_in)
        data["files"] = [SimpleUploadedFile("现场.png", PNG)]
        response = client.post(f"/inspections/{checked_in.pk}/result/", data, follow=True)
        return [str(m) for m in response.context["messages"]]

    assert submit() == ["检查结果已保存，待组长审核。"]
    assert submit() == ["内容没有变化。"]
    assert InspectionResult.objects.count() == 1 and Attachment.objects.count() == 1
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "inspections.checkin_confirmed",
        "inspections.result_recorded",
        "inspections.attachment_added",
    ]


def test_result_form_initial_values_come_from_the_arrival_and_the_task(client_for, checked_in, bob):
    form = client_for(bob).get(f"/inspections/{checked_in.pk}/result/").context["form"]
    assert form.initial == {"inspected_on": timezone.localdate(), "joint_units": "县公安局"}


def test_result_form_refuses_an_exe_and_records_nothing(client_for, checked_in, bob):
    data = result_post(checked_in)
    data["files"] = [SimpleUploadedFile("photo.jpg", EXE)]
    response = client_for(bob).post(f"/inspections/{checked_in.pk}/result/", data)
    assert response.status_code == 200
    assert "photo.jpg 不是 JPEG" in response.content.decode()
    assert response.context["form"]["summary"].value() == "未发现问题"  # what was typed stays
    assert not InspectionResult.objects.exists() and not Attachment.objects.exists()


def test_result_form_shows_service_errors_next_to_the_field(client_for, checked_in, bob):
    item = checked_in.check_items.first()
    data = result_post(checked_in, **{f"item-{item.pk}-compliant": "no"})
    response = client_for(bob).post(f"/inspections/{checked_in.pk}/result/", data)
    assert response.status_code == 200
    assert response.context["form"].errors == {f"item-{item.pk}-finding": ["请描述不符合之处。"]}
    assert not InspectionResult.objects.exists()


@pytest.mark.parametrize("who", ["alice", "frank", "dave"])
def test_result_form_refused_to_non_members(request, client_for, checked_in, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(f"/inspections/{checked_in.pk}/result/").status_code == 403
    assert client.post(f"/inspections/{checked_in.pk}/result/", result_post(checked_in)).status_code == 403
    assert not InspectionResult.objects.exists()


@pytest.mark.parametrize("who", ["carol", "mallory"])
def test_result_form_404_for_those_not_concerned(request, client_for, checked_in, who):
    client = client_for(request.getfixturevalue(who))
    assert client.post(f"/inspections/{checked_in.pk}/result/", result_post(checked_in)).status_code == 404


def test_result_form_before_arrival_sends_back_to_the_task(client_for, task, bob):
    response = client_for(bob).get(f"/inspections/{task.pk}/result/")
    assert response.status_code == 302 and response["Location"] == f"/inspections/{task.pk}/"


# --- approval, manual check-in, follow-up -------------------------------------------------------------------


def test_approve_by_a_lead(client_for, recorded, frank):
    response = client_for(frank).post(f"/inspections/{recorded.task_id}/approve/", {"confirm": "1"})
    assert response.status_code == 302
    assert InspectionTask.objects.get(pk=recorded.task_id).status == InspectionTaskStatus.RESULT_APPROVED


def test_approve_confidential_needs_a_reason(client_for, recorded, frank):
    response = client_for(frank).post(f"/inspections/{recorded.task_id}/approve/", {"confidential": "on"})
    assert response.status_code == 400
    assert response.context["approve_form"].errors == {
        "confidentiality_reason": ["请说明理由（涉及国家秘密、国家安全或公共安全）。"]
    }
    data = {"confidential": "on", "confidentiality_reason": "涉及公共安全"}
    response = client_for(frank).post(f"/inspections/{recorded.task_id}/approve/", data)
    assert (response.status_code, InspectionTask.objects.get(pk=recorded.task_id).status) == (
        200,
        InspectionTaskStatus.RESULT_RECORDED,
    )
    html = response.content.decode()
    assert 'name="confidential" value="on"' in html and 'name="confidentiality_reason" value="涉及公共安全"' in html
    response = client_for(frank).post(f"/inspections/{recorded.task_id}/approve/", {**data, "confirm": "1"})
    assert response.status_code == 302
    assert InspectionTask.objects.get(pk=recorded.task_id).status == InspectionTaskStatus.EXEMPT


@pytest.mark.parametrize("who, code", [("bob", 403), ("dave", 403), ("carol", 404), ("mallory", 404)])
def test_approve_refused(request, client_for, recorded, who, code):
    response = client_for(request.getfixturevalue(who)).post(f"/inspections/{recorded.task_id}/approve/", {})
    assert response.status_code == code
    assert InspectionResult.objects.get().approved_at is None


def test_approve_without_confirm_asks_first_and_changes_nothing(client_for, recorded, frank):
    response = client_for(frank).post(f"/inspections/{recorded.task_id}/approve/", {})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="confirm"' in html and 'name="confirm" value="1"' in html
    assert f'href="/inspections/{recorded.task_id}/"' in html  # 取消
    assert InspectionResult.objects.get().approved_at is None
    assert not AuditEntry.objects.filter(action="inspections.result_approved").exists()


def test_approve_by_get_is_not_allowed(client_for, recorded, frank):
    assert client_for(frank).get(f"/inspections/{recorded.task_id}/approve/").status_code == 405
    assert InspectionResult.objects.get().approved_at is None


def test_double_approve_through_the_page(client_for, recorded, frank, alice):
    url, confirm = f"/inspections/{recorded.task_id}/approve/", {"confirm": "1"}
    assert client_for(frank).post(url, confirm).status_code == 302
    assert client_for(frank).post(url, confirm).status_code == 302
    response = client_for(alice).post(url, confirm)
    assert response.status_code == 400
    assert "该结果已由 李组长 审核通过。" in response.content.decode()
    assert AuditEntry.objects.filter(action="inspections.result_approved").count() == 1


def test_outcome_change_through_the_page(client_for, checked_in, bob, frank, alice):
    item = checked_in.check_items.first()
    result, _ = services.result_record(
        actor=bob,
        task=checked_in,
        outcome=Outcome.PENDING_FOLLOW_UP,
        inspected_on=timezone.localdate(),
        findings=findings_for(checked_in, bad_items=[item.pk], finding="待监测"),
    )
    services.result_approve(actor=frank, result=result)
    client = client_for(alice)
    response = client.post(
        f"/inspections/{checked_in.pk}/outcome/", {"new_outcome": "pending_follow_up", "reason": "已立案"}
    )
    assert response.status_code == 400
    assert response.context["outcome_form"].errors == {"case_number": ["请填写立案的案件编号。"]}
    response = client.post(
        f"/inspections/{checked_in.pk}/outcome/", {"new_outcome": "no_problem", "reason": "监测达标"}
    )
    assert response.status_code == 302
    assert InspectionResult.objects.get().outcome == Outcome.NO_PROBLEM
    assert client_for(alice).get(f"/inspections/{checked_in.pk}/").context["outcome_changes"][0].reason == "监测达标"


@pytest.mark.parametrize("who, code", [("dave", 403), ("carol", 404), ("mallory", 404)])
def test_outcome_change_refused(request, client_for, approved, who, code):
    response = client_for(request.getfixturevalue(who)).post(
        f"/inspections/{approved.task_id}/outcome/", {"new_outcome": "no_problem", "reason": "x"}
    )
    assert response.status_code == code


# --- attachments ----------------------------------------------------------------------------------------


@pytest.fixture
def attachment(recorded, bob):
    attachment, _ = services.attachment_add(actor=bob, result=recorded, upload=SimpleUploadedFile("现场照片.jpg", JPEG))
    return attachment


@pytest.mark.parametrize("who", ["bob", "frank", "dave"])
def test_attachment_is_served_as_a_download_with_nosniff(request, client_for, attachment, who):
    response = client_for(request.getfixturevalue(who)).get(
        f"/inspections/{attachment.result.task_id}/attachments/{attachment.pk}/"
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == JPEG
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.jpg" in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize("who", ["carol", "stranger_inspector", "mallory"])
def test_attachment_is_404_for_those_not_concerned(request, client_for, attachment, who):
    response = client_for(request.getfixturevalue(who)).get(
        f"/inspections/{attachment.result.task_id}/attachments/{attachment.pk}/"
    )
    assert response.status_code == 404


def test_attachment_of_another_task_is_404(client_for, attachment, bob, bureau, draw, partner):
    other = make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
    assert client_for(bob).get(f"/inspections/{other.pk}/attachments/{attachment.pk}/").status_code == 404


def test_removed_attachment_is_no_longer_served(client_for, attachment, bob):
    url = f"/inspections/{attachment.result.task_id}/attachments/{attachment.pk}/"
    assert client_for(bob).post(url + "remove/").status_code == 302
    assert client_for(bob).get(url).status_code == 404


def test_attachment_upload_page_refuses_an_11_mb_file(client_for, recorded, bob):
    big = SimpleUploadedFile("big.jpg", JPEG + b"\x00" * (11 * 1024 * 1024))
    response = client_for(bob).post(f"/inspections/{recorded.task_id}/attachments/", {"files": [big]})
    assert response.status_code == 400
    assert "big.jpg 过大" in response.content.decode()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("who, code", [("frank", 403), ("dave", 403), ("carol", 404)])
def test_attachment_upload_refused_to_non_members(request, client_for, recorded, who, code):
    response = client_for(request.getfixturevalue(who)).post(
        f"/inspections/{recorded.task_id}/attachments/", {"files": [SimpleUploadedFile("a.jpg", JPEG)]}
    )
    assert response.status_code == code
    assert not Attachment.objects.exists()


# --- evaluations ------------------------------------------------------------------------------------------


def test_evaluation_list_for_leads(client_for, approved, alice):
    services.evaluation_submit(
        code=enterprise_code(approved.task, "evaluation"), task=approved.task, rating=4, comment="规范"
    )
    response = client_for(alice).get("/inspections/evaluations/")
    assert response.status_code == 200
    assert [e.comment for e in response.context["page"].object_list] == ["规范"]
    assert response.context["summary"] == {"average": 4.0, "count": 1}


@pytest.mark.parametrize("who", ["bob", "carol"])
def test_evaluation_list_refused(request, client_for, who):
    assert client_for(request.getfixturevalue(who)).get("/inspections/evaluations/").status_code == 403


def test_evaluation_list_query_count_does_not_grow_with_rows(
    client_for, alice, frank, bureau, draw, bob, partner, django_assert_num_queries
):
    def evaluated():
        task = make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
        services.checkin_confirm(code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待")
        result, _ = services.result_record(
            actor=bob, task=task, outcome="no_problem", inspected_on=timezone.localdate(), findings=findings_for(task)
        )
        services.result_approve(actor=frank, result=result)
        services.evaluation_submit(code=enterprise_code(task, "evaluation"), task=task, rating=5)

    client = client_for(alice)
    evaluated()
    client.get("/inspections/evaluations/")
    one = queries(client, "/inspections/evaluations/")
    evaluated()
    evaluated()
    with django_assert_num_queries(one):
        response = client.get("/inspections/evaluations/")
    assert len(response.context["page"].object_list) == 3


# --- the enterprise page's past inspections -------------------------------------------------------------------


def test_enterprise_page_lists_past_inspections_but_not_upcoming_ones(
    client_for, approved, carol, bureau, draw, bob, partner
):
    # a later draw (one task per enterprise per draw: a database constraint)
    upcoming = make_task(bureau=bureau, inspectors=[bob.inspector, partner], enterprise=approved.task.enterprise)
    response = client_for(carol).get(f"/enterprises/{approved.task.enterprise_id}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert approved.task.number in body and "未发现问题" in body
    assert upcoming.number not in body


def test_anonymous_cannot_reach_staff_pages(task):
    client = Client()
    for url in (f"/inspections/{task.pk}/", f"/inspections/{task.pk}/notice.pdf", "/inspections/mine/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def enterprise_code(task, purpose):
    """A one-time code for ``task`` as if sent to the enterprise (issue 13 item 2)."""
    return code_issue(task=task, purpose=purpose)
