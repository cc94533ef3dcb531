"""Issue 13 item 2: only the enterprise can confirm an arrival or rate an inspection. What the inspector holds
(the task page, the notice, the QR token) is not enough: a one-time code sent to the enterprise's contact is."""

import hashlib
import hmac
import os
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from core.errors import DomainError
from core.models import AuditEntry
from inspections import codes
from inspections.models import CheckIn, EnterpriseCode, Evaluation, InspectionTask, TeamSighting
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


# --- the service itself: exact rows, messages and boundaries (mutation testing, docs/mutation-testing.md) ----

KEY = "codes-test-key"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SENT_SMS = []


def record_sms(phone, message):
    """The SMS sender of these tests (settings.SSJ_SMS_SENDER names it)."""
    SENT_SMS.append((phone, message))


def hmac_hex(message):
    """The documented digest: HMAC-SHA256 under SECRET_KEY, in hex."""
    return hmac.new(KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def fixed_code(monkeypatch, settings):
    """Every new code is 004321 and every argument of secrets.randbelow is kept; SECRET_KEY is KEY."""
    settings.SECRET_KEY = KEY
    asked = []

    def randbelow(n):
        asked.append(n)
        return 4321

    monkeypatch.setattr(codes.secrets, "randbelow", randbelow)
    return asked


@pytest.fixture
def sms(settings):
    SENT_SMS.clear()
    settings.SSJ_SMS_SENDER = "tests.inspections.test_enterprise_codes.record_sms"
    return SENT_SMS


def other_task(task):
    from .factories import make_task

    other = make_task(bureau=task.bureau, inspectors=[], draw=task.draw)
    other.enterprise.contact_email = "other@enterprise.example"
    other.enterprise.save(update_fields=["contact_email"])
    return other


def refusal(task, code, purpose="arrival"):
    result = codes.code_use(task=task, purpose=purpose, code=code)
    return None if result is None else (type(result), str(result))


def test_a_sent_code_is_six_digits_stored_as_its_salted_hmac_with_its_channel_times_and_address(
    task, fixed_code, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert codes.code_send(task=task, purpose="arrival", ip="10.1.2.3") == "email"
    assert fixed_code == [1_000_000]
    stored = EnterpriseCode.objects.get(task=task)
    assert len(stored.salt) == 32 and int(stored.salt, 16) >= 0
    assert stored.code_hash == hmac_hex(f"enterprise-code:{stored.salt}:004321")
    assert (stored.purpose, stored.channel, stored.attempts, stored.used_at, stored.ip) == (
        "arrival",
        "email",
        0,
        None,
        "10.1.2.3",
    )
    assert (stored.created_at, stored.expires_at) == (T0, T0 + timedelta(minutes=15))
    (message,) = mail.outbox
    assert (message.subject, message.from_email, message.to) == (
        "您的检查验证码",
        settings.DEFAULT_FROM_EMAIL,
        ["contact@enterprise.example"],
    )
    assert message.body == (
        f"{task.bureau.name}，检查任务 {task.number}：您用于确认到达的验证码为 004321，15 分钟内有效。请勿告知检查人员。"
    )
    with time_machine.travel(T0, tick=False):
        assert codes.code_use(task=task, purpose="arrival", code="004321") is None


def test_the_code_message_names_the_purpose_in_lower_case_in_english(task, fixed_code):
    with translation.override("en"):
        assert codes._message(task, "evaluation", "004321") == (
            f"{task.bureau.name}, inspection {task.number}: your code to rate the inspection is 004321. "
            "It is valid for 15 minutes. Never give it to the inspectors."
        )


def test_a_code_sent_without_an_address_stores_none(task, fixed_code):
    codes.code_send(task=task, purpose="evaluation", ip="")
    assert EnterpriseCode.objects.get(task=task).ip is None


def test_without_an_email_but_with_a_phone_and_a_sender_the_code_goes_by_sms(
    task, fixed_code, sms, django_capture_on_commit_callbacks
):
    task.enterprise.contact_email, task.enterprise.contact_phone = "", "13800000000"
    task.enterprise.save(update_fields=["contact_email", "contact_phone"])
    assert codes.channel_for(task.enterprise) == "sms"
    with django_capture_on_commit_callbacks(execute=True):
        assert codes.code_send(task=task, purpose="arrival") == "sms"
    assert sms == [
        (
            "13800000000",
            f"{task.bureau.name}，检查任务 {task.number}：您用于确认到达的验证码为 004321，15 分钟内有效。请勿告知检查人员。",
        )
    ]
    assert EnterpriseCode.objects.get(task=task).channel == "sms"


def test_the_channel_is_email_first_then_sms_with_a_sender_else_none(task, settings):
    enterprise = task.enterprise
    enterprise.contact_phone = "13800000000"
    settings.SSJ_SMS_SENDER = "tests.inspections.test_enterprise_codes.record_sms"
    assert codes.channel_for(enterprise) == "email"
    enterprise.contact_email = ""
    assert codes.channel_for(enterprise) == "sms"
    del settings.SSJ_SMS_SENDER
    assert codes._sms_sender() is None
    assert codes.channel_for(enterprise) is None
    settings.SSJ_SMS_SENDER = ""
    assert codes.channel_for(enterprise) is None
    settings.SSJ_SMS_SENDER = "tests.inspections.test_enterprise_codes.record_sms"
    assert codes._sms_sender() is record_sms
    enterprise.contact_phone = ""
    assert codes.channel_for(enterprise) is None


def test_a_send_without_a_contact_or_for_an_unknown_purpose_is_refused_in_chinese(task, settings):
    with pytest.raises(DomainError) as unknown:
        codes.code_send(task=task, purpose="rating")
    assert str(unknown.value) == "未知用途。" and type(unknown.value) is DomainError
    task.enterprise.contact_email = ""
    task.enterprise.contact_phone = "13800000000"  # no SMS sender configured
    task.enterprise.save(update_fields=["contact_email", "contact_phone"])
    with pytest.raises(DomainError) as no_contact:
        codes.code_send(task=task, purpose="arrival")
    assert str(no_contact.value) == (
        "企业没有可接收验证码的登记联系方式。请联系执法机关登记联系人电子邮箱；在此之前，到达情况以企业签字的纸质记录登记。"
    )
    assert not EnterpriseCode.objects.exists()


def test_a_second_send_within_sixty_seconds_is_refused_and_at_sixty_seconds_allowed(task):
    with time_machine.travel(T0, tick=False):
        codes.code_send(task=task, purpose="arrival")
    with time_machine.travel(T0 + timedelta(seconds=59, microseconds=999999), tick=False):
        with pytest.raises(codes.CodeThrottled) as early:
            codes.code_send(task=task, purpose="arrival")
        assert codes.code_send(task=task, purpose="evaluation") == "email"  # per purpose
    assert str(early.value) == "验证码发送未满一分钟，请稍后再试。"
    with time_machine.travel(T0 + timedelta(seconds=60), tick=False):
        assert codes.code_send(task=task, purpose="arrival") == "email"
    assert EnterpriseCode.objects.filter(task=task, purpose="arrival").count() == 2


def test_the_resend_wait_counts_from_the_latest_send(task):
    for minutes in (0, 2):
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            codes.code_send(task=task, purpose="arrival")
    with (
        time_machine.travel(T0 + timedelta(minutes=2, seconds=30), tick=False),
        pytest.raises(codes.CodeThrottled) as early,
    ):
        codes.code_send(task=task, purpose="arrival")
    assert str(early.value) == "验证码发送未满一分钟，请稍后再试。"


def test_three_sends_an_hour_per_task_and_purpose_counting_a_send_exactly_an_hour_old(task):
    other = other_task(task)
    for minutes in (0, 2, 4):
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            codes.code_send(task=task, purpose="arrival")
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        assert codes.code_send(task=other, purpose="arrival") == "email"  # per task
    with time_machine.travel(T0 + timedelta(hours=1), tick=False), pytest.raises(codes.CodeThrottled) as many:
        codes.code_send(task=task, purpose="arrival")
    assert str(many.value) == "过去一小时内本次检查发送的验证码过多，请稍后再试。"
    with time_machine.travel(T0 + timedelta(hours=1, microseconds=1), tick=False):
        assert codes.code_send(task=task, purpose="arrival") == "email"
    assert EnterpriseCode.objects.filter(task=task, purpose="arrival").count() == 4


def test_a_new_code_expires_the_unused_codes_of_its_task_and_purpose_only(task):
    other = other_task(task)
    with time_machine.travel(T0, tick=False):
        used = codes.code_issue(task=task, purpose="arrival")
        assert refusal(task, used) is None
        kept = {
            "evaluation": codes.code_issue(task=task, purpose="evaluation"),
            "other task": codes.code_issue(task=other, purpose="arrival"),
        }
        codes.code_issue(task=task, purpose="arrival")
    sent_at = T0 + timedelta(minutes=5)
    with time_machine.travel(sent_at, tick=False):
        codes.code_send(task=task, purpose="arrival")
    rows = EnterpriseCode.objects.filter(task=task, purpose="arrival").order_by("id")
    assert [(r.channel, r.expires_at) for r in rows] == [
        ("issued", T0 + timedelta(minutes=15)),  # used: left as it was
        ("issued", sent_at),
        ("email", sent_at + timedelta(minutes=15)),
    ]
    assert [r.expires_at for r in EnterpriseCode.objects.exclude(task=task, purpose="arrival")] == [
        T0 + timedelta(minutes=15)
    ] * 2
    with time_machine.travel(sent_at, tick=False):
        assert (refusal(task, kept["evaluation"], "evaluation"), refusal(other, kept["other task"])) == (None, None)


def test_an_issued_code_is_six_digits_for_fifteen_minutes_and_expires_the_earlier_ones(task, fixed_code):
    with time_machine.travel(T0, tick=False):
        assert codes.code_issue(task=task, purpose="arrival") == "004321"
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert codes.code_issue(task=task, purpose="arrival") == "004321"
    assert fixed_code == [1_000_000, 1_000_000]
    first, second = EnterpriseCode.objects.filter(task=task).order_by("id")
    assert (first.expires_at, second.created_at, second.expires_at) == (
        T0 + timedelta(minutes=1),
        T0 + timedelta(minutes=1),
        T0 + timedelta(minutes=16),
    )
    assert (second.channel, second.ip, second.attempts, len(second.salt)) == ("issued", None, 0, 32)
    assert second.code_hash == hmac_hex(f"enterprise-code:{second.salt}:004321")
    assert first.salt != second.salt


def test_using_a_code_ignores_spaces_counts_the_attempt_and_marks_it_used_at_that_moment(task):
    with time_machine.travel(T0, tick=False):
        code = codes.code_issue(task=task, purpose="arrival")
    EnterpriseCode.objects.filter(task=task).update(attempts=2)
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        assert refusal(task, f" {code[:3]} {code[3:]}\n") is None
    stored = EnterpriseCode.objects.get(task=task)
    assert (stored.used_at, stored.attempts) == (T0 + timedelta(minutes=3), 3)
    assert refusal(task, code) == (codes.CodeRefused, "该验证码已使用，请重新获取。")


def test_each_refused_code_says_why_in_chinese(task):
    assert refusal(task, "123456") == (codes.CodeRefused, "本次检查尚未发送验证码：请先获取验证码。")
    with time_machine.travel(T0, tick=False):
        code = codes.code_issue(task=task, purpose="evaluation")
    assert refusal(task, code, purpose="arrival") == (codes.CodeRefused, "本次检查尚未发送验证码：请先获取验证码。")
    assert refusal(other_task(task), code, purpose="evaluation")[1] == "本次检查尚未发送验证码：请先获取验证码。"
    for empty in ("", None, " \t"):
        assert refusal(task, empty, purpose="evaluation") == (codes.CodeRefused, "请输入发送至企业登记联系人的验证码。")
    wrong = "999999" if code != "999999" else "888888"
    with time_machine.travel(T0, tick=False):
        assert refusal(task, wrong, purpose="evaluation") == (codes.CodeRefused, "验证码错误。")
    assert EnterpriseCode.objects.get(task=task).attempts == 1


def test_a_code_expires_at_its_expiry_instant_and_works_until_then(task):
    with time_machine.travel(T0, tick=False):
        code = codes.code_issue(task=task, purpose="arrival")
    with time_machine.travel(T0 + timedelta(minutes=15), tick=False):
        assert refusal(task, code) == (codes.CodeRefused, "该验证码已过期，请重新获取。")
    with time_machine.travel(T0 + timedelta(minutes=15) - timedelta(microseconds=1), tick=False):
        assert refusal(task, code) is None


def test_the_fifth_attempt_may_succeed_and_after_five_the_code_is_locked(task):
    with time_machine.travel(T0, tick=False):
        code = codes.code_issue(task=task, purpose="arrival")
        wrong = "999999" if code != "999999" else "888888"
        for attempt in range(1, codes.MAX_ATTEMPTS):
            assert refusal(task, wrong)[1] == "验证码错误。"
            assert EnterpriseCode.objects.get(task=task).attempts == attempt
        assert refusal(task, code) is None  # the fifth
        assert EnterpriseCode.objects.get(task=task).attempts == 5
        locked = codes.code_issue(task=task, purpose="arrival")
        EnterpriseCode.objects.filter(task=task, used_at__isnull=True).update(attempts=5)
        assert refusal(task, locked) == (codes.CodeRefused, "验证码错误次数过多，请重新获取。")
    assert codes.MAX_ATTEMPTS == 5


def test_only_the_newest_code_counts_even_when_two_share_their_instant(task):
    with time_machine.travel(T0, tick=False):
        first = codes.code_issue(task=task, purpose="arrival")
        second = codes.code_issue(task=task, purpose="arrival")  # same created_at: the later id is newer
        assert refusal(task, second) is None
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        third = codes.code_issue(task=task, purpose="arrival")
    EnterpriseCode.objects.filter(task=task).update(used_at=None)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        assert refusal(task, third) is None
    assert (first, second) != ("", "")


def test_client_marks_are_the_address_and_the_keyed_hashes_of_browser_and_session(settings, rf):
    settings.SECRET_KEY = KEY
    request = rf.get("/", REMOTE_ADDR="10.0.0.7", HTTP_USER_AGENT="BobPhone/1.0")
    request.session = SimpleNamespace(session_key="abc123")
    assert codes.client_marks(request) == {
        "ip": "10.0.0.7",
        "user_agent_hash": hmac_hex("ua:BobPhone/1.0"),
        "session_hash": hmac_hex("session:abc123"),
    }
    bare = rf.get("/", REMOTE_ADDR="")
    assert codes.client_marks(bare) == {"ip": None, "user_agent_hash": "", "session_hash": ""}
    bare.session = SimpleNamespace(session_key=None)
    assert codes.client_marks(bare) == {"ip": None, "user_agent_hash": "", "session_hash": ""}


def test_a_sighting_is_recorded_once_per_member_address_browser_and_session(task, bob):
    marks = {"ip": "10.0.0.7", "user_agent_hash": "a" * 64, "session_hash": "b" * 64}
    with time_machine.travel(T0, tick=False):
        codes.sighting_record(task=task, user=bob, marks=marks)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        codes.sighting_record(task=task, user=bob, marks=marks)
        codes.sighting_record(task=task, user=bob, marks=dict(marks, session_hash="c" * 64))
    rows = TeamSighting.objects.filter(task=task).order_by("id")
    assert [(r.user_id, r.ip, r.user_agent_hash, r.session_hash, r.at) for r in rows] == [
        (bob.pk, "10.0.0.7", "a" * 64, "b" * 64, T0),
        (bob.pk, "10.0.0.7", "a" * 64, "c" * 64, T0 + timedelta(minutes=1)),
    ]


def test_suspicions_name_what_a_confirmation_shares_with_a_sighting_of_this_task(task, bob):
    TeamSighting.objects.create(task=task, user=bob, ip="10.0.0.7", user_agent_hash="a" * 64, session_hash="", at=T0)
    TeamSighting.objects.create(
        task=other_task(task), user=bob, ip="10.0.0.8", user_agent_hash="", session_hash="c" * 64, at=T0
    )
    TeamSighting.objects.create(task=task, user=bob, ip=None, user_agent_hash="", session_hash="b" * 64, at=T0)
    every = {"ip": "10.0.0.7", "user_agent_hash": "a" * 64, "session_hash": "b" * 64}
    assert codes.suspicions(task, every) == ["ip", "browser", "session"]
    assert codes.suspicions(task, {"ip": "10.0.0.7"}) == ["ip"]
    assert codes.suspicions(task, {"user_agent_hash": "a" * 64}) == ["browser"]
    assert codes.suspicions(task, {"session_hash": "b" * 64}) == ["session"]
    assert codes.suspicions(task, {"ip": "10.0.0.8", "user_agent_hash": "", "session_hash": "c" * 64}) == []
    assert codes.suspicions(task, {"ip": None, "user_agent_hash": "", "session_hash": ""}) == []
    assert codes.suspicions(task, {}) == []


def test_a_send_locks_the_task_row_alone_on_postgresql(task):
    """One sender at a time per task: SELECT … FOR UPDATE OF the task only. SQLite has no row locks (the mutation
    runs cannot see this clause); PostgreSQL runs this test."""
    if connection.vendor != "postgresql":
        if os.environ.get("SSJ_REQUIRE_SERVICES"):
            pytest.fail("this test needs PostgreSQL (DATABASE_URL) when SSJ_REQUIRE_SERVICES is set")
        pytest.skip("needs PostgreSQL: SQLite has no SELECT … FOR UPDATE")
    with CaptureQueriesContext(connection) as captured:
        codes.code_send(task=task, purpose="arrival")
    locking = [q["sql"] for q in captured.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locking) == 1
    assert locking[0].startswith('SELECT "sampling_inspectiontask"."id"')
    assert locking[0].endswith('FOR UPDATE OF "sampling_inspectiontask"')


def test_the_current_code_is_the_latest_by_creation_time_not_by_row_id(task):
    """Rows are ordered by their creation time (the index task, purpose, -created_at); the id only breaks ties."""
    with time_machine.travel(T0, tick=False):
        older_row = codes.code_issue(task=task, purpose="arrival")
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        newer_row = codes.code_issue(task=task, purpose="arrival")
    first = EnterpriseCode.objects.filter(task=task).order_by("id").first()
    EnterpriseCode.objects.filter(pk=first.pk).update(
        created_at=T0 + timedelta(minutes=2), expires_at=T0 + timedelta(minutes=17)
    )
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        if newer_row != older_row:
            assert refusal(task, newer_row) == (codes.CodeRefused, "验证码错误。")
        assert refusal(task, older_row) is None
