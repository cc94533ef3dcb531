"""Issue 13 item 2: only the enterprise can confirm an arrival or rate an inspection. What the inspector holds
(the task page, the notice, the QR token) is not enough: a one-time code sent to the enterprise's contact is."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from core.models import AuditEntry
from inspections import codes
from inspections.models import CheckIn, EnterpriseCode, Evaluation, InspectionTask
from inspections.tokens import make_token


@pytest.fixture
def anon(client):
    return client


def written(task):
    return (
        CheckIn.objects.filter(task=task).exists(),
        Evaluation.objects.filter(task=task).exists(),
        AuditEntry.objects.filter(object_id=str(task.pk), action__startswith="inspections.").count(),
    )


def test_the_token_alone_confirms_no_arrival(anon, task):
    """The attack: the inspector posts with the token and no session."""
    before = written(task)
    url = f"/c/{make_token(task)}/"
    assert anon.post(url + "arrive/", {"confirmed_by_name": "周接待"}).status_code == 400
    assert anon.post(url + "arrive/", {"confirmed_by_name": "周接待", "code": "123456"}).status_code == 400
    assert written(task) == before
    assert InspectionTask.objects.get(pk=task.pk).status == "assigned"


def test_the_token_alone_rates_nothing(anon, approved):
    url = f"/c/{make_token(approved.task)}/"
    before = written(approved.task)
    assert anon.post(url + "evaluate/", {"rating": "5"}).status_code == 400
    assert anon.post(url + "evaluate/", {"rating": "5", "code": "000000"}).status_code == 400
    assert written(approved.task) == before


def test_the_enterprise_with_the_code_succeeds_once(anon, task, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    url = f"/c/{make_token(task)}/"
    with django_capture_on_commit_callbacks(execute=True):
        assert anon.post(url + "code/", {"purpose": "arrival"}).status_code == 302
    (message,) = mail.outbox
    assert message.to == ["contact@enterprise.example"]
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", message.body).group(1)
    stored = EnterpriseCode.objects.get(task=task)
    assert code not in stored.code_hash and code not in stored.salt  # hashed at rest
    response = anon.post(url + "arrive/", {"confirmed_by_name": "周接待", "code": code})
    assert response.status_code == 302
    assert InspectionTask.objects.get(pk=task.pk).status == "checked_in"
    # reused: the check-in exists, so a repeat is a no-op that writes nothing
    before = written(task)
    anon.post(url + "arrive/", {"confirmed_by_name": "别人", "code": code})
    assert written(task) == before and CheckIn.objects.get(task=task).confirmed_by_name == "周接待"


@pytest.mark.parametrize("case", ["wrong", "expired", "reused", "attempts"])
def test_a_bad_code_is_a_4xx_page_and_writes_nothing(anon, task, case):
    url = f"/c/{make_token(task)}/arrive/"
    code = codes.code_issue(task=task, purpose="arrival")
    given = code
    if case == "wrong":
        given = "999999" if code != "999999" else "888888"
    elif case == "expired":
        EnterpriseCode.objects.filter(task=task).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif case == "reused":
        EnterpriseCode.objects.filter(task=task).update(used_at=timezone.now())
    elif case == "attempts":
        EnterpriseCode.objects.filter(task=task).update(attempts=codes.MAX_ATTEMPTS)
    before = written(task)
    response = anon.post(url, {"confirmed_by_name": "周接待", "code": given})
    assert 400 <= response.status_code < 500
    assert written(task) == before
    assert InspectionTask.objects.get(pk=task.pk).status == "assigned"


def test_wrong_attempts_are_counted(anon, task):
    code = codes.code_issue(task=task, purpose="arrival")
    wrong = "999999" if code != "999999" else "888888"
    url = f"/c/{make_token(task)}/arrive/"
    for _ in range(codes.MAX_ATTEMPTS):
        anon.post(url, {"confirmed_by_name": "周接待", "code": wrong})
    assert anon.post(url, {"confirmed_by_name": "周接待", "code": code}).status_code == 400  # locked out
    assert not CheckIn.objects.filter(task=task).exists()


def test_sends_are_rate_limited(anon, task):
    url = f"/c/{make_token(task)}/code/"
    assert anon.post(url, {"purpose": "arrival"}).status_code == 302
    assert anon.post(url, {"purpose": "arrival"}).status_code == 429  # within a minute
    start = timezone.now()
    for minutes in (2, 4):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert anon.post(url, {"purpose": "arrival"}).status_code == 302
    with time_machine.travel(start + timedelta(minutes=6)):
        assert anon.post(url, {"purpose": "arrival"}).status_code == 429  # 3 an hour
    assert EnterpriseCode.objects.filter(task=task).count() == 3


def test_without_a_contact_no_code_can_be_sent(anon, task):
    task.enterprise.contact_email = ""
    task.enterprise.save(update_fields=["contact_email"])
    url = f"/c/{make_token(task)}/"
    assert anon.post(url + "code/", {"purpose": "arrival"}).status_code == 400
    assert not EnterpriseCode.objects.exists()


def test_a_confirmation_from_where_a_team_member_was_seen_is_flagged(client_for, anon, task, bob):
    # bob opens his task page (holding the QR code) from this test client's address and browser
    assert client_for(bob).get(f"/inspections/{task.pk}/", HTTP_USER_AGENT="BobPhone/1.0").status_code == 200
    code = codes.code_issue(task=task, purpose="arrival")
    response = anon.post(
        f"/c/{make_token(task)}/arrive/",
        {"confirmed_by_name": "周接待", "code": code},
        HTTP_USER_AGENT="BobPhone/1.0",
    )
    assert response.status_code == 302
    checkin = CheckIn.objects.get(task=task)
    assert "ip" in checkin.suspicions and "browser" in checkin.suspicions
    assert "shared_with_team" in AuditEntry.objects.filter(action="inspections.checkin_confirmed").get().data
    assert 'id="checkin-flagged"' in client_for(bob).get(f"/inspections/{task.pk}/").content.decode()
