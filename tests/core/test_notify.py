"""Issue 17 item 7: each user chooses which e-mails he gets (all on by default); core.notify sends one e-mail
per event and user at most, never to a user who turned the kind off, has no address or is inactive."""

import pytest
from django.urls import reverse

from core.enums import NotificationKind, Role
from core.models import AuditEntry, NotificationOptOut, NotificationSent
from core.notify import notification_preferences_set, notification_send
from tests.browser.conftest import login
from tests.conftest import _member

URL = "/account/notifications/"
ALL = [
    "team_assigned",
    "draw_approval",
    "result_approval",
    "publication_deadline",
    "followup_deadline",
    "publication_digest",
]


@pytest.fixture
def mailed_alice(alice):
    alice.email = "alice@jianan.example"
    alice.save(update_fields=["email"])
    return alice


def test_every_kind_is_on_by_default(client_for, mailed_alice):
    response = client_for(mailed_alice).get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>邮件通知</h1>" in body
    assert "邮件将发送至 <strong>alice@jianan.example</strong>。" in body
    for words in (
        "我被选入检查组",
        "摇号结果等待另一名组长审核",
        "检查结果等待审核",
        "距结果公示期限还有 5 个或 1 个工作日",
        "我所在检查组的整改回访距期限还有 5 个或 1 个工作日",
        "每日汇总（发给组长）：本局逾期未公示的结果和 5 个工作日内到期的结果",
    ):
        assert words in body
    assert body.count(" checked") == 6
    assert f'href="{URL}"' in body  # the user menu links the page


def test_turning_kinds_off_and_on_again(client_for, mailed_alice):
    client = client_for(mailed_alice)
    response = client.post(URL, {"kinds": ["team_assigned", "result_approval"]})
    assert response.status_code == 302 and response["Location"] == URL
    assert sorted(NotificationOptOut.objects.filter(user=mailed_alice).values_list("kind", flat=True)) == [
        "draw_approval",
        "followup_deadline",
        "publication_deadline",
        "publication_digest",
    ]
    entry = AuditEntry.objects.get(action="notifications.preferences_changed")
    assert entry.actor_name == "张组长" and entry.object_id == str(mailed_alice.pk)
    assert entry.data == {
        "before": {"off": []},
        "after": {"off": ["draw_approval", "followup_deadline", "publication_deadline", "publication_digest"]},
    }
    body = client.get(URL).content.decode()
    assert body.count(" checked") == 2
    assert "邮件通知设置已保存。" in body
    client.post(URL, {"kinds": ["team_assigned", "result_approval"]})  # the same again: nothing written
    assert AuditEntry.objects.filter(action="notifications.preferences_changed").count() == 1
    client.post(URL, {"kinds": ALL})
    assert not NotificationOptOut.objects.exists()
    assert AuditEntry.objects.filter(action="notifications.preferences_changed").count() == 2


def test_each_user_sees_and_changes_only_his_own(client_for, mailed_alice, frank):
    notification_preferences_set(actor=frank, enabled=[])
    assert client_for(mailed_alice).get(URL).content.decode().count(" checked") == 6
    client_for(mailed_alice).post(URL, {"kinds": []})
    assert NotificationOptOut.objects.filter(user=frank).count() == 6
    assert NotificationOptOut.objects.filter(user=mailed_alice).count() == 6


def test_an_unknown_kind_is_refused_next_to_the_field(client_for, mailed_alice):
    response = client_for(mailed_alice).post(URL, {"kinds": ["team_assigned", "spam"]})
    assert response.status_code == 200
    assert "选择一个有效的选项。 spam 不在可用的选项中。" in response.content.decode()
    assert not NotificationOptOut.objects.exists()


def test_get_changes_nothing_and_login_is_required(client, client_for, mailed_alice):
    client_for(mailed_alice).get(URL, {"kinds": []})
    assert not NotificationOptOut.objects.exists()
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"] == f"/login/?next={URL}"
    assert client.post(URL, {"kinds": []}).status_code == 302
    assert not NotificationOptOut.objects.exists()
    assert reverse("core:notifications") == URL


def test_the_last_mails_are_listed(client_for, mailed_alice, mailoutbox, django_assert_max_num_queries):
    for n in range(12):
        notification_send(
            kind=NotificationKind.DRAW_APPROVAL,
            event=f"draw-approval:{n}",
            user=mailed_alice,
            subject=f"主题{n}",
            body="正文",
        )
    client = client_for(mailed_alice)
    with django_assert_max_num_queries(12):
        body = client.get(URL).content.decode()
    assert "主题11" in body and "主题2" in body and "主题1<" not in body  # the ten latest


def test_send_once_per_event_and_user(mailed_alice, frank, mailoutbox):
    frank.email = "frank@jianan.example"
    frank.save(update_fields=["email"])
    args = {"kind": NotificationKind.RESULT_APPROVAL, "event": "result-approval:7", "subject": "标题", "body": "正文"}
    assert notification_send(user=mailed_alice, **args) is True
    assert notification_send(user=mailed_alice, **args) is False
    assert notification_send(user=frank, **args) is True
    assert [m.to for m in mailoutbox] == [["alice@jianan.example"], ["frank@jianan.example"]]
    assert NotificationSent.objects.count() == 2


def test_nobody_without_address_inactive_or_opted_out(alice, frank, grace_user, mailoutbox):
    args = {"kind": NotificationKind.TEAM_ASSIGNED, "event": "team-member:1", "subject": "标题", "body": "正文"}
    assert notification_send(user=alice, **args) is False  # no address
    frank.email, frank.is_active = "frank@jianan.example", False
    frank.save(update_fields=["email", "is_active"])
    assert notification_send(user=frank, **args) is False
    notification_preferences_set(actor=grace_user, enabled=[])
    assert notification_send(user=grace_user, **args) is False
    assert mailoutbox == [] and not NotificationSent.objects.exists()
    with pytest.raises(ValueError):
        notification_send(user=grace_user, kind="spam", event="x", subject="", body="")


@pytest.fixture
def grace_user(bureau):
    return _member("grace", bureau, Role.TEAM_LEAD, email="grace@jianan.example")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_preferences_page_in_a_browser(page, phone_page, mailed_alice):
    login(page, "alice")
    page.click("header >> text=邮件通知")
    assert page.locator("h1").inner_text() == "邮件通知"
    page.uncheck("input[value=draw_approval]")
    page.click("#notification-preferences button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "邮件通知设置已保存。" in page.content()
    assert not page.is_checked("input[value=draw_approval]")
    assert page.is_checked("input[value=team_assigned]")
    assert list(NotificationOptOut.objects.values_list("kind", flat=True)) == ["draw_approval"]
    login(phone_page, "alice")
    phone_page.goto(phone_page.base_url + URL)
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
