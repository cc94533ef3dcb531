"""Two team leads open the same plan task or quota policy form and both submit (core/versions.py)."""

from django.urls import reverse

from core.models import AuditEntry
from sampling.models import PlanTask, QuotaPolicy
from tests.edit_forms import assert_conflict, english_client, shown_form


def test_plan_task_second_stale_edit_is_refused(task, alice, frank, today):
    url = reverse("sampling:task-edit", args=[task.pk])
    first, second = english_client(alice), english_client(frank)
    form_a, form_b = shown_form(first, url), shown_form(second, url)

    assert first.post(url, {**form_a, "name": "重点排污单位抽查"}).status_code == 302
    response = second.post(url, {**form_b, "name": "一般排污单位抽查", "draw_until": "2026-06-30"})

    assert_conflict(
        response,
        typed={"name": 'value="一般排污单位抽查"', "draw_until": 'value="2026-06-30"'},
        changed=[("Task name", "一般和重点排污单位抽查", "重点排污单位抽查")],
        by="张组长",
    )
    task.refresh_from_db()
    assert (task.name, task.draw_until.isoformat()) == ("重点排污单位抽查", "2026-12-31")
    entries = AuditEntry.objects.filter(action="sampling.task_updated")
    assert [(e.actor_name, e.data["before"]["name"], e.data["after"]["name"]) for e in entries] == [
        ("张组长", "一般和重点排污单位抽查", "重点排污单位抽查")
    ]
    assert PlanTask.objects.count() == 1


def test_quota_policy_second_stale_edit_is_refused(policy, alice, frank, today):
    url = reverse("sampling:policy") + "?year=2026"
    first, second = english_client(alice), english_client(frank)
    form_a, form_b = shown_form(first, url), shown_form(second, url)

    assert first.post(url, {**form_a, "key_ratio": "30"}).status_code == 302
    response = second.post(url, {**form_b, "general_ratio": "15", "notes": "李：一般单位提高比例"})

    assert_conflict(
        response,
        typed={"notes": "李：一般单位提高比例", "general_ratio": 'value="15"'},
        changed=[("Key units per quarter (%)", "25.00", "30.00")],
        by="张组长",
    )
    policy = QuotaPolicy.objects.get(year=2026)
    assert (str(policy.key_ratio), str(policy.general_ratio), policy.notes) == ("30.00", "10.00", "")
    entries = AuditEntry.objects.filter(action="sampling.policy_updated")
    assert [e.actor_name for e in entries] == ["张组长"]
