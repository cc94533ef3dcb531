"""Issue 19 item 3: the draw page renders its drawn list (and its excluded enterprises and inspector pool) once per
content and keeps it in the cache. Each event that changes what the list shows must show on the very next view,
the cache being warm before it; the cache must never show a user rows, controls or a CSRF token not his own."""

import re

import pytest
from django.db import transaction
from django.urls import reverse

from core.enums import Role
from enterprises.enums import EnterpriseStatus
from enterprises.models import Enterprise
from inspections import substitutions
from inspections.models import InspectionTask, SubstitutionRequest, TaskMember
from inspections.transitions import locked_task, task_cas
from inspectors.models import Inspector
from sampling import draws
from sampling import views as sampling_views
from tests.conftest import _member

TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]+"')  # masked anew per request


@pytest.fixture
def locked(drawn, george):
    """alice's draw (she ran it) approved by george: its two leads, who see its list and propose and approve."""
    return draws.draw_approve(actor=george, draw=drawn)


def page(client, draw, **headers) -> str:
    response = client.get(reverse("sampling:draw-detail", args=[draw.pk]), **headers)
    assert response.status_code == 200
    return response.content.decode()


def row(html: str, task: InspectionTask) -> str:
    """The <tr> of ``task`` in the drawn list (by its number)."""
    rows = [tr for tr in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if task.number in tr]
    assert len(rows) == 1, task.number
    return rows[0]


def tasks(draw) -> list[InspectionTask]:
    return list(InspectionTask.objects.filter(draw=draw).select_related("enterprise").order_by("number"))


def move(task, old, new):
    """A task's status changed the one way every service changes it (check-in, result, approval, publication)."""
    with transaction.atomic():
        task_cas(locked_task(task), old, new)


def test_the_second_view_renders_no_fragment(locked, alice, client_for, monkeypatch, today):
    """The rows and the population sections come from the cache on the second view: same HTML, no rendering."""
    rendered = []
    real = sampling_views.render_to_string
    monkeypatch.setattr(
        sampling_views, "render_to_string", lambda name, *a, **k: rendered.append(name) or real(name, *a, **k)
    )
    client = client_for(alice)
    first = page(client, locked)
    assert sorted(rendered) == ["sampling/_draw_population.html", "sampling/_draw_rows.html"]
    rendered.clear()
    second = page(client, locked)
    assert rendered == []
    assert TOKEN.sub("", first) == TOKEN.sub("", second)
    for task in tasks(locked):
        assert task.enterprise.uscc in second and task.number in second


def test_a_task_status_change_shows_at_once(locked, alice, client_for, today):
    client = client_for(alice)
    first, second = tasks(locked)[:2]
    before = page(client, locked)
    assert "已分派" in row(before, first) and "提议替换" in row(before, first)
    move(first, "assigned", "checked_in")
    after = page(client, locked)
    assert "已到达" in row(after, first) and "已分派" not in row(after, first)
    assert "提议替换" not in row(after, first)  # no substitution once the inspectors have arrived
    assert TOKEN.sub("", row(after, second)) == TOKEN.sub("", row(before, second))
    move(first, "checked_in", "result_recorded")
    assert "结果已录入" in row(page(client, locked), first)


def test_a_proposal_its_withdrawal_and_each_leads_controls_show_at_once(locked, alice, george, client_for, today):
    task = tasks(locked)[0]
    alice_client, george_client = client_for(alice), client_for(george)
    page(alice_client, locked), page(george_client, locked)  # both warm
    proposal = substitutions.substitution_propose(
        actor=alice, task=task, kind="enterprise", reason_code="unreachable", note="三次上门均无人，电话停机"
    )
    mine = row(page(alice_client, locked), task)
    assert "三次上门均无人，电话停机" in mine and "撤回" in mine and "批准并执行替换" not in mine
    theirs = row(page(george_client, locked), task)
    assert "三次上门均无人，电话停机" in theirs and "批准并执行替换" in theirs and "撤回" not in theirs
    assert f'name="request" value="{proposal.pk}"' in theirs
    substitutions.substitution_reject(actor=alice, request=proposal, reason="已联系上")
    for client in (alice_client, george_client):
        html = row(page(client, locked), task)
        assert "三次上门均无人，电话停机" not in html and "提议替换" in html


def test_an_enterprise_substitution_shows_at_once(locked, alice, george, client_for, today):
    task = tasks(locked)[0]
    client = client_for(alice)
    assert "已分派" in row(page(client, locked), task)
    Enterprise.objects.filter(pk=task.enterprise_id).update(status=EnterpriseStatus.CLOSED)
    proposal = substitutions.substitution_propose(actor=alice, task=task, kind="enterprise", reason_code="closed")
    substitutions.substitution_approve(actor=george, request=proposal)
    new_task = InspectionTask.objects.exclude(pk=task.pk).get(substituted_for__task=task)
    html = page(client, locked)
    assert "已取消" in row(html, task) and "提议替换" not in row(html, task)
    # The replacement is listed under the substitutions (its row is not one of the drawn list's).
    assert f"{task.enterprise.name} → {new_task.enterprise.name} ({new_task.number})" in html


def test_an_inspector_substitution_shows_at_once(locked, alice, george, client_for, today):
    task = tasks(locked)[0]
    client = client_for(alice)
    old = TaskMember.objects.filter(task=task, active=True).select_related("inspector").order_by("position")[0]
    assert f"{old.inspector.code} {old.inspector.name}" in row(page(client, locked), task)
    proposal = substitutions.substitution_propose(
        actor=alice, task=task, kind="inspector", reason_code="illness", inspector=old.inspector
    )
    substitutions.substitution_approve(actor=george, request=proposal)
    new = TaskMember.objects.filter(task=task, active=True).exclude(inspector=old.inspector).latest("id")
    html = row(page(client, locked), task)
    assert f"{old.inspector.code} {old.inspector.name}" not in html
    assert f"{new.inspector.code} {new.inspector.name}" in html


def test_a_renamed_enterprise_or_inspector_shows_at_once(locked, alice, client_for, today):
    task = tasks(locked)[0]
    member = TaskMember.objects.filter(task=task, active=True).select_related("inspector").order_by("position")[0]
    client = client_for(alice)
    page(client, locked)
    Enterprise.objects.filter(pk=task.enterprise_id).update(name="更名后的企业有限公司")
    Inspector.objects.filter(pk=member.inspector_id).update(name="改名检查员")
    html = row(page(client, locked), task)
    assert "更名后的企业有限公司" in html and task.enterprise.name not in html
    assert f"{member.inspector.code} 改名检查员" in html


def test_the_language_of_the_view_is_its_own(locked, alice, client_for, today):
    task = tasks(locked)[0]
    client = client_for(alice)
    assert "已分派" in row(page(client, locked), task)
    english = row(page(client, locked, HTTP_ACCEPT_LANGUAGE="en"), task)
    assert "Assigned" in english and "已分派" not in english and "Propose a substitution" in english


def test_the_language_of_a_list_awaiting_approval_is_its_own(drawn, alice, client_for, today):
    """Awaiting approval the rows hold no translated value (no task yet): only the key's language tells them apart."""
    client = client_for(alice)
    chinese = page(client, drawn)
    assert "重点监管对象 · 2026年第一季度" in chinese
    english = page(client, drawn, HTTP_ACCEPT_LANGUAGE="en")
    assert "重点监管对象 · 2026年第一季度" not in english and "Key" in english


def test_an_inspector_never_gets_the_whole_list_from_the_cache(locked, alice, bureau, client_for, today):
    """alice's view fills the cache with every row; an inspector on one team still sees only his own."""
    task = tasks(locked)[0]
    inspector = Inspector.objects.get(task_memberships__task=task, task_memberships__position=0)
    if inspector.user is None:
        inspector.user = _member("ivan", bureau, Role.INSPECTOR)
        inspector.save(update_fields=["user"])
    whole = page(client_for(alice), locked)
    own = page(client_for(inspector.user), locked)
    others = [t for t in tasks(locked) if not t.members.filter(active=True, inspector=inspector).exists()]
    assert others, "the fixture needs tasks of other teams"
    for other in others:
        assert other.enterprise.uscc in whole and other.enterprise.uscc not in own
    assert task.enterprise.uscc in own
    assert "提议替换" not in own  # an inspector proposes nothing


def test_the_csrf_token_in_the_cached_rows_is_the_viewers(locked, alice, george, client_for, today):
    """The rows' forms carry each request's own token, never the one of whoever filled the cache."""
    pattern = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    alice_client, george_client = client_for(alice), client_for(george)
    task = tasks(locked)[0]
    alice_token = pattern.search(row(page(alice_client, locked), task)).group(1)
    html = page(george_client, locked)
    assert "<ssj-csrf-token>" not in html
    token = pattern.search(row(html, task)).group(1)
    assert token != alice_token
    url = reverse("inspections:substitute-enterprise", args=[task.pk])
    george_client.handler.enforce_csrf_checks = True
    form = {"reason_code": "unreachable", "note": "无人接听"}
    assert george_client.post(url, {**form, "csrfmiddlewaretoken": alice_token}).status_code == 403
    assert not SubstitutionRequest.objects.exists()
    assert george_client.post(url, {**form, "csrfmiddlewaretoken": token}).status_code == 302
    assert SubstitutionRequest.objects.get(task=task).proposed_by == george
