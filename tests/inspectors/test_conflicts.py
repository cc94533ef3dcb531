"""Two registry editors open the same inspector (or expert) form and both submit (core/versions.py)."""

import pytest

from core.models import AuditEntry
from inspectors.models import Expert, Inspector
from tests.edit_forms import assert_conflict, english_client, shown_form
from tests.factories import InspectorFactory


@pytest.fixture
def inspector(bureau):
    return InspectorFactory(bureau=bureau, code="ZF100", name="周检查", unit="一中队")


@pytest.fixture
def expert(bureau):
    return Expert.objects.create(bureau=bureau, name="孙丽", kind="institute", organisation="科学研究院")


def test_inspector_second_stale_edit_is_refused(carol, erin, inspector):
    url = f"/inspectors/{inspector.pk}/edit/"
    first, second = english_client(carol), english_client(erin)
    form_a, form_b = shown_form(first, url), shown_form(second, url)

    assert first.post(url, {**form_a, "unit": "二中队"}).status_code == 302
    response = second.post(url, {**form_b, "unit": "三中队", "phone": "13800000001"})

    assert_conflict(
        response,
        typed={"unit": 'value="三中队"', "phone": 'value="13800000001"'},
        changed=[("unit", "一中队", "二中队")],
        by="赵名录",
    )
    assert Inspector.objects.values_list("unit", "phone").get(pk=inspector.pk) == ("二中队", "")
    entries = AuditEntry.objects.filter(action="inspectors.inspector_updated")
    assert [(e.actor_name, e.data) for e in entries] == [
        ("赵名录", {"before": {"unit": "一中队"}, "after": {"unit": "二中队"}})
    ]


def test_expert_second_stale_edit_is_refused(carol, erin, expert):
    url = f"/inspectors/experts/{expert.pk}/edit/"
    first, second = english_client(carol), english_client(erin)
    form_a, form_b = shown_form(first, url), shown_form(second, url)

    assert first.post(url, {**form_a, "organisation": "环境科学研究院"}).status_code == 302
    response = second.post(url, {**form_b, "organisation": "环境监测站"})

    assert_conflict(
        response,
        typed={"organisation": 'value="环境监测站"'},
        changed=[("organisation", "科学研究院", "环境科学研究院")],
        by="赵名录",
    )
    assert Expert.objects.get(pk=expert.pk).organisation == "环境科学研究院"
    entries = AuditEntry.objects.filter(action="inspectors.expert_updated")
    assert [e.actor_name for e in entries] == ["赵名录"]


def test_expert_taken_out_of_the_pool_meanwhile_does_not_refuse_an_edit(carol, erin, expert):
    url = f"/inspectors/experts/{expert.pk}/edit/"
    form = shown_form(english_client(erin), url)
    assert english_client(carol).post(f"/inspectors/experts/{expert.pk}/active/").status_code == 302

    assert english_client(erin).post(url, {**form, "organisation": "环境监测站"}).status_code == 302
    expert.refresh_from_db()
    assert (expert.active, expert.organisation) == (False, "环境监测站")


def test_account_link_second_stale_choice_is_refused(carol, erin, inspector, bureau):
    from core.enums import Role
    from tests.conftest import _member

    zhou = _member("zhou", bureau, Role.INSPECTOR, first_name="周检查")
    wu = _member("wu", bureau, Role.INSPECTOR, first_name="吴检查")
    url = f"/inspectors/{inspector.pk}/"
    first, second = english_client(carol), english_client(erin)
    form_a, form_b = shown_form(first, url), shown_form(second, url)

    assert first.post(f"/inspectors/{inspector.pk}/account/", {**form_a, "account-user": zhou.pk}).status_code == 302
    response = second.post(f"/inspectors/{inspector.pk}/account/", {**form_b, "account-user": wu.pk})

    assert_conflict(response, typed={}, changed=[("Login account", "—", "zhou")], by="赵名录")
    assert Inspector.objects.get(pk=inspector.pk).user == zhou
    assert AuditEntry.objects.filter(action="inspectors.inspector_account_linked").count() == 1
