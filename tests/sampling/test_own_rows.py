"""Issue 13 item 4: before the inspections, an inspector on a team sees only his own tasks' rows of a draw,
on every route that shows its list (the page, the record's JSON and PDF); leads and auditors see every row."""

import json

import pytest
from django.urls import reverse

from core.enums import Role
from inspections.models import InspectionTask
from inspectors.models import Inspector
from sampling import draws, views
from sampling.access import own_tasks, sees_whole_list
from tests.conftest import _member
from tests.pdf import capture_html


@pytest.fixture
def locked(drawn, george):
    return draws.draw_approve(actor=george, draw=drawn)


@pytest.fixture
def ivan(locked, bureau):
    """The inspector of the first task's lead member, given a login (only this inspector's role)."""
    task = InspectionTask.objects.filter(draw=locked).order_by("number").first()
    inspector = Inspector.objects.get(task_memberships__task=task, task_memberships__position=0)
    if inspector.user is None:
        inspector.user = _member("ivan", bureau, Role.INSPECTOR)
        inspector.save(update_fields=["user"])
    return inspector.user


def split(draw, user):
    """(names of his tasks' enterprises, names of the other tasks' enterprises)."""
    mine = set(own_tasks(user, draw))
    tasks = InspectionTask.objects.filter(draw=draw).select_related("enterprise")
    own = {t.enterprise.name for t in tasks if t.pk in mine}
    others = {t.enterprise.name for t in tasks if t.pk not in mine}
    assert own and others, "the fixture needs tasks on both sides"
    return own, others


def url(draw, suffix=""):
    return reverse("sampling:draw-detail", args=[draw.pk]) + suffix


def test_the_draw_page_shows_an_inspector_only_his_own_rows(locked, ivan, client_for, today):
    own, others = split(locked, ivan)
    assert not sees_whole_list(ivan, locked)
    response = client_for(ivan).get(url(locked))
    assert response.status_code == 200
    body = response.content.decode()
    for name in own:
        assert name in body
    for name in others:
        assert name not in body, name
    assert 'id="own-rows-only"' in body
    assert reverse("sampling:draw-record-json", args=[locked.pk]) not in body


def test_the_record_json_is_refused_to_an_inspector_while_confidential(locked, ivan, client_for, dave, today):
    _own, others = split(locked, ivan)
    response = client_for(ivan).get(url(locked, "record.json"))
    assert response.status_code == 404
    for name in others:
        assert name not in response.content.decode()
    response = client_for(dave).get(url(locked, "record.json"))  # the auditor gets the whole record
    assert response.status_code == 200 and json.loads(response.content)["seed"] == locked.seed


def test_the_record_pdf_lists_an_inspector_only_his_own_rows(locked, ivan, client_for, monkeypatch, today):
    own, others = split(locked, ivan)
    pages = capture_html(monkeypatch, views)
    assert client_for(ivan).get(url(locked, "record.pdf")).status_code == 200
    html = pages[0]
    for name in own:
        assert name in html
    for name in others:
        assert name not in html, name


@pytest.mark.parametrize("who", ["alice", "george", "dave"])
def test_leads_and_auditors_still_see_every_row(locked, ivan, client_for, monkeypatch, who, request, today):
    user = request.getfixturevalue(who)
    own, others = split(locked, ivan)
    assert sees_whole_list(user, locked)
    body = client_for(user).get(url(locked)).content.decode()
    pages = capture_html(monkeypatch, views)
    assert client_for(user).get(url(locked, "record.pdf")).status_code == 200
    for name in own | others:
        assert name in body and name in pages[0]


def test_substitutions_of_other_teams_are_hidden_from_an_inspector(locked, ivan, client_for, alice, today):
    from inspections.models import Substitution

    mine = set(own_tasks(ivan, locked))
    other = InspectionTask.objects.filter(draw=locked).exclude(pk__in=mine).order_by("number").first()
    Substitution.objects.create(
        draw=locked,
        kind="enterprise",
        task=other,
        old_enterprise=other.enterprise,
        reason="别队的替换理由",
        actor=alice,
    )
    assert "别队的替换理由" not in client_for(ivan).get(url(locked)).content.decode()
    assert "别队的替换理由" in client_for(alice).get(url(locked)).content.decode()


def test_once_the_inspections_are_past_the_inspector_sees_the_whole_list(locked, ivan, client_for, today):
    InspectionTask.objects.filter(draw=locked).update(status="result_recorded")
    assert sees_whole_list(ivan, locked)
