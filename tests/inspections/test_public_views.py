"""The enterprise's pages behind the QR code: no account, the signed token is the key."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from core.models import AuditEntry
from inspections import services
from inspections.codes import code_issue
from inspections.enums import InspectionTaskStatus
from inspections.models import CheckIn, Evaluation, InspectionTask
from inspections.tokens import make_token

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def anon():
    return Client()


def test_page_shows_bureau_inspectors_and_certificates(anon, task, partner, bob):
    response = anon.get(f"/c/{make_token(task)}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert task.bureau.name in body and task.enterprise.name in body
    for inspector in (bob.inspector, partner):
        assert inspector.name in body and inspector.certificate_number in body
    assert 'id="confirm-arrival"' in body
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]


def test_page_get_changes_nothing(anon, task):
    anon.get(f"/c/{make_token(task)}/")
    assert InspectionTask.objects.get(pk=task.pk).status == InspectionTaskStatus.ASSIGNED
    assert not CheckIn.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize("token", ["x", "eyJ0IjoxLCJ4IjoiMjA5OS0xMi0zMSJ9:forgedsignature000000000000000000000000000"])
def test_forged_token_is_refused_with_a_clear_page(anon, task, token):
    for response in (anon.get(f"/c/{token}/"), anon.post(f"/c/{token}/arrive/", {"confirmed_by_name": "周接待"})):
        assert response.status_code == 400
        assert "此二维码无效" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_altered_token_is_refused(anon, task):
    token = make_token(task)
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert anon.get(f"/c/{altered}/").status_code == 400


def test_expired_token_is_refused_with_an_expired_page(anon, task):
    token = make_token(task)
    after = task.planned_end + timedelta(days=61)
    with time_machine.travel(datetime.combine(after, datetime.min.time(), SHANGHAI), tick=False):
        for response in (
            anon.get(f"/c/{token}/"),
            anon.post(f"/c/{token}/arrive/", {"confirmed_by_name": "周接待"}),
            anon.post(f"/c/{token}/evaluate/", {"rating": "5"}),
        ):
            assert response.status_code == 410
            body = response.content.decode()
            assert "此二维码已过期" in body
            assert (task.planned_end + timedelta(days=60)).isoformat() in body
    assert not CheckIn.objects.exists() and not Evaluation.objects.exists()


def test_confirm_arrival_records_the_time_and_is_idempotent(anon, task):
    token = make_token(task)
    with time_machine.travel(datetime(2026, 11, 23, 9, 41, tzinfo=SHANGHAI), tick=False):
        InspectionTask.objects.filter(pk=task.pk).update(
            planned_start=date(2026, 11, 20), planned_end=date(2026, 12, 10)
        )
        response = anon.post(
            f"/c/{token}/arrive/",
            {"confirmed_by_name": "周接待", "code": enterprise_code(task, "arrival")},
            HTTP_USER_AGENT="Mozilla/5.0 (iPhone)",
        )
    assert response.status_code == 302 and response["Location"] == f"/c/{token}/"
    checkin = CheckIn.objects.get(task=task)
    assert (checkin.at, checkin.confirmed_by_name, checkin.ip, checkin.user_agent) == (
        datetime(2026, 11, 23, 9, 41, tzinfo=SHANGHAI),
        "周接待",
        "127.0.0.1",
        "Mozilla/5.0 (iPhone)",
    )
    assert InspectionTask.objects.get(pk=task.pk).status == InspectionTaskStatus.CHECKED_IN
    again = anon.post(f"/c/{token}/arrive/", {"confirmed_by_name": "另一人", "code": "000000"})  # a no-op
    assert again.status_code == 302
    assert CheckIn.objects.get(task=task).confirmed_by_name == "周接待"
    page = anon.get(f"/c/{token}/").content.decode()
    assert "已于 2026-11-23 09:41 由 周接待 确认检查人员到达。" in page
    assert AuditEntry.objects.filter(action="inspections.checkin_confirmed").count() == 1


def test_confirm_arrival_needs_a_name(anon, task):
    response = anon.post(f"/c/{make_token(task)}/arrive/", {"confirmed_by_name": "", "code": "123456"})
    assert response.status_code == 400
    assert response.context["arrival_form"].errors == {"confirmed_by_name": ["这个字段是必填项。"]}
    assert not CheckIn.objects.exists()


def test_confirm_arrival_by_get_is_not_allowed(anon, task):
    assert anon.get(f"/c/{make_token(task)}/arrive/").status_code == 405
    assert not CheckIn.objects.exists()


def test_a_team_member_logged_in_cannot_confirm_his_own_arrival(client_for, task, bob):
    response = client_for(bob).post(
        f"/c/{make_token(task)}/arrive/", {"confirmed_by_name": "王检查", "code": enterprise_code(task, "arrival")}
    )
    assert response.status_code == 400
    assert "到达由被检查单位确认" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_cancelled_task_page_says_so(anon, task):
    InspectionTask.objects.filter(pk=task.pk).update(status=InspectionTaskStatus.CANCELLED)
    response = anon.get(f"/c/{make_token(task)}/")
    assert response.status_code == 200
    assert "本次检查已取消。" in response.content.decode()
    assert anon.post(f"/c/{make_token(task)}/arrive/", {"confirmed_by_name": "周接待"}).status_code == 400


def test_evaluation_form_appears_only_after_approval(anon, recorded):
    token = make_token(recorded.task)
    body = anon.get(f"/c/{token}/").content.decode()
    assert 'id="submit-evaluation"' not in body
    response = anon.post(f"/c/{token}/evaluate/", {"rating": "5"})
    assert response.status_code == 400
    assert not Evaluation.objects.exists()


def test_evaluation_once_after_approval(anon, approved):
    token = make_token(approved.task)
    assert 'id="submit-evaluation"' in anon.get(f"/c/{token}/").content.decode()
    response = anon.post(
        f"/c/{token}/evaluate/",
        {"rating": "4", "comment": "检查人员态度很好", "code": enterprise_code(approved.task, "evaluation")},
    )
    assert response.status_code == 302
    again = anon.post(f"/c/{token}/evaluate/", {"rating": "1", "comment": "再评一次", "code": "000000"})
    assert again.status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.rating, evaluation.comment) == (4, "检查人员态度很好")
    body = anon.get(f"/c/{token}/").content.decode()
    assert 'id="evaluation-recorded"' in body and 'id="submit-evaluation"' not in body
    assert AuditEntry.objects.filter(action="inspections.evaluation_submitted").count() == 1


def test_evaluation_rating_out_of_range(anon, approved):
    response = anon.post(f"/c/{make_token(approved.task)}/evaluate/", {"rating": "9"})
    assert response.status_code == 400
    assert not Evaluation.objects.exists()


def test_checkin_reaches_the_staff_page(client_for, anon, task, bob):
    anon.post(
        f"/c/{make_token(task)}/arrive/", {"confirmed_by_name": "周接待", "code": enterprise_code(task, "arrival")}
    )
    response = client_for(bob).get(f"/inspections/{task.pk}/")
    assert response.context["checkin"].confirmed_by_name == "周接待"
    services.checkin_confirm(code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="x")  # still a no-op
    assert CheckIn.objects.count() == 1


def enterprise_code(task, purpose):
    """A one-time code for ``task`` as if sent to the enterprise (issue 13 item 2)."""
    return code_issue(task=task, purpose=purpose)
