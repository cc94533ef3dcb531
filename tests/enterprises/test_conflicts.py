"""Two editors open the same edit form and both submit: the first is saved, the second is told (core/versions.py)."""

import pytest
from django.urls import reverse

from core.models import AuditEntry
from enterprises.models import CheckItem, Enterprise
from tests.edit_forms import assert_conflict, english_client, shown_form
from tests.factories import CheckItemFactory


@pytest.fixture
def item(bureau):
    return CheckItemFactory(bureau=bureau, code="SJ-01", name="重点排污单位检查")


def test_enterprise_second_stale_edit_is_refused(carol, erin, enterprise):
    url = reverse("enterprises:edit", args=[enterprise.pk])
    first, second = english_client(carol), english_client(erin)
    form_a, form_b = shown_form(first, url), shown_form(second, url)

    assert first.post(url, {**form_a, "phone": "0374-1111111"}).status_code == 302
    response = second.post(url, {**form_b, "phone": "0374-2222222", "contact_name": "周联系"})

    assert_conflict(
        response,
        typed={"phone": 'value="0374-2222222"', "contact_name": 'value="周联系"'},
        changed=[("Phone", "—", "0374-1111111")],
        by="赵名录",
    )
    enterprise.refresh_from_db()
    assert (enterprise.phone, enterprise.contact_name) == ("0374-1111111", "")
    entries = AuditEntry.objects.filter(action="enterprises.enterprise_updated")
    assert [(e.actor_name, e.data) for e in entries] == [
        ("赵名录", {"before": {"phone": ""}, "after": {"phone": "0374-1111111"}})
    ]


def test_enterprise_conflict_page_resubmitted_replaces_knowingly(carol, erin, enterprise):
    url = reverse("enterprises:edit", args=[enterprise.pk])
    first, second = english_client(carol), english_client(erin)
    form_a, form_b = shown_form(first, url), shown_form(second, url)
    first.post(url, {**form_a, "phone": "0374-1111111"})
    second.post(url, {**form_b, "phone": "0374-2222222"})

    # The conflict page's form carries the current version: submitting it again is a deliberate overwrite.
    response = second.post(url, {**form_b, "phone": "0374-2222222", "version": _current_version(second, url)})

    assert response.status_code == 302
    assert Enterprise.objects.get(pk=enterprise.pk).phone == "0374-2222222"


def _current_version(client, url) -> str:
    return shown_form(client, url)["version"]


def test_enterprise_same_submission_twice_is_a_no_op(carol, enterprise):
    url = reverse("enterprises:edit", args=[enterprise.pk])
    client = english_client(carol)
    form = {**shown_form(client, url), "phone": "0374-1111111"}
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302  # a double click: the same values, nothing to refuse
    assert AuditEntry.objects.filter(action="enterprises.enterprise_updated").count() == 1


def test_enterprise_status_change_meanwhile_does_not_refuse_an_edit(carol, erin, enterprise):
    url = reverse("enterprises:edit", args=[enterprise.pk])
    form = shown_form(english_client(erin), url)
    status_url = reverse("enterprises:status", args=[enterprise.pk])
    assert (
        english_client(carol).post(status_url, {"status": "suspended", "effective_date": "2026-11-01"}).status_code
        == 302
    )

    assert english_client(erin).post(url, {**form, "phone": "0374-2222222"}).status_code == 302
    enterprise.refresh_from_db()
    assert (enterprise.status, enterprise.phone) == ("suspended", "0374-2222222")


def test_enterprise_second_stale_status_change_is_refused_and_the_first_stays(carol, erin, enterprise):
    detail = reverse("enterprises:detail", args=[enterprise.pk])
    url = reverse("enterprises:status", args=[enterprise.pk])
    first, second = english_client(carol), english_client(erin)
    form_a, form_b = shown_form(first, detail), shown_form(second, detail)

    assert first.post(url, {**form_a, "status": "suspended", "effective_date": "2026-11-01"}).status_code == 302
    response = second.post(url, {**form_b, "status": "closed", "effective_date": "2026-11-02", "reason": "已注销"})

    assert_conflict(
        response,
        typed={"reason": 'value="已注销"', "status": '<option value="closed" selected>'},
        changed=[("New status", "Operating", "Suspended")],
        by="赵名录",
    )
    enterprise.refresh_from_db()
    assert (enterprise.status, str(enterprise.status_since)) == ("suspended", "2026-11-01")
    assert list(enterprise.status_changes.values_list("new_status", flat=True)) == ["suspended"]
    assert AuditEntry.objects.filter(action="enterprises.enterprise_status_changed").count() == 1
    # The conflict page's form carries the current version: submitting it again records the change knowingly.
    again = second.post(
        url,
        {
            **form_b,
            "status": "closed",
            "effective_date": "2026-11-02",
            "version": shown_form(second, detail)["version"],
        },
    )
    assert again.status_code == 302
    enterprise.refresh_from_db()
    assert (enterprise.status, str(enterprise.status_since)) == ("closed", "2026-11-02")


def test_checklist_item_second_stale_edit_is_refused(carol, erin, item):
    url = reverse("enterprises:checklist-edit", args=[item.pk])
    first, second = english_client(carol), english_client(erin)
    form_a, form_b = shown_form(first, url), shown_form(second, url)

    assert first.post(url, {**form_a, "name": "重点排污单位现场检查"}).status_code == 302
    response = second.post(url, {**form_b, "name": "排污许可执行检查"})

    assert_conflict(
        response,
        typed={"name": 'value="排污许可执行检查"'},
        changed=[("Inspection item", "重点排污单位检查", "重点排污单位现场检查")],
        by="赵名录",
    )
    assert CheckItem.objects.get(pk=item.pk).name == "重点排污单位现场检查"
    entries = AuditEntry.objects.filter(action="enterprises.checkitem_updated")
    assert [(e.actor_name, e.data) for e in entries] == [
        ("赵名录", {"before": {"name": "重点排污单位检查"}, "after": {"name": "重点排污单位现场检查"}})
    ]
