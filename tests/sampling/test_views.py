"""Pages of plans and draws: who sees what (DESIGN §3 rule 8), transitions over HTTP, query counts, the PDF."""

import json
from datetime import date, timedelta

import pytest
from django.urls import reverse

from core.enums import Role
from core.models import AuditEntry
from inspections.enums import InspectionTaskStatus
from inspections.models import InspectionTask
from inspectors.models import Conflict, Inspector
from sampling import draws, plans, views
from sampling.access import can_view_draw_list, draw_list_is_confidential
from sampling.enums import DrawStatus, PlanStatus
from sampling.models import Draw, Plan
from tests.conftest import _member
from tests.factories import CheckItemFactory, InspectorFactory
from tests.pdf import (
    assert_shipped_font_embedded,
    capture_html,
    pdf_without_system_fonts,
    pdffonts,
    pdftext,
    shipped_fonts,
)
from tests.reference_draw import pool_hash as reference_pool_hash
from tests.reference_draw import replay as reference_replay
from tests.sampling.conftest import add_task, create_draw


def detail(draw):
    return reverse("sampling:draw-detail", args=[draw.pk])


def views_logged(draw):
    return AuditEntry.objects.filter(action="draw.list_viewed", object_id=str(draw.pk)).count()


@pytest.fixture
def locked(drawn, george):
    """alice's draw approved by george (so frank is just another lead of the bureau)."""
    return draws.draw_approve(actor=george, draw=drawn)


def shows_the_list(response, draw) -> bool:
    """A 200 page naming every drawn enterprise by its USCC (the selected entries stored by the draw)."""
    usccs = list(draw.entries.filter(selected=True).values_list("enterprise__uscc", flat=True))
    html = response.content.decode()
    return response.status_code == 200 and len(usccs) > 0 and all(uscc in html for uscc in usccs)


def team_users(draw):
    return {m.inspector.user for t in draw.tasks.all() for m in t.members.all() if m.inspector.user}


# --------------------------------------------------------------------------- confidentiality


def test_before_the_inspection_only_leads_assigned_inspectors_and_auditors_see_the_list(
    locked, client_for, client, alice, frank, george, bob, henry, dave, carol, erin, mallory, today
):
    assigned = team_users(locked)
    url = detail(locked)
    expected = {
        alice: 200,  # prepared and ran it
        george: 200,  # approved it
        frank: 404,  # another lead of the bureau
        dave: 200,  # auditor
        carol: 404,  # registry staff
        erin: 404,  # administrator
        mallory: 404,  # every role, in another bureau
        bob: 200 if bob in assigned else 404,
        henry: 200 if henry in assigned else 404,
    }
    for user, status in expected.items():
        for suffix in ("", "record.json"):
            # The record (JSON) is the whole list: an inspector sees only his own rows (issue 13 item 4).
            inspector_only = user in (bob, henry)
            expected_status = 404 if suffix and inspector_only else status
            response = client_for(user).get(url + suffix)
            assert response.status_code == expected_status, (user.username, suffix, response.status_code)
        assert can_view_draw_list(user, locked) is (status == 200), user.username
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_unassigned_inspector_gets_404_and_an_assigned_one_sees_his_draw(locked, client_for, bureau, today):
    # Every one of the six inspectors may be on a team of the small fixture: the unassigned one joins later.
    assigned = Inspector.objects.filter(task_memberships__task__draw=locked).order_by("code").first()
    unassigned = InspectorFactory(bureau=bureau, code="ZF099", name="新调入检查员")
    for inspector, name in ((assigned, "ivan"), (unassigned, "judy")):
        if inspector.user is None:
            inspector.user = _member(name, bureau, Role.INSPECTOR)
            inspector.save(update_fields=["user"])
    before = views_logged(locked)
    response = client_for(assigned.user).get(detail(locked))
    own = InspectionTask.objects.filter(draw=locked, members__inspector=assigned, members__active=True)
    html = response.content.decode()
    assert response.status_code == 200 and own.exists() and all(t.enterprise.uscc in html for t in own)
    assert client_for(unassigned.user).get(detail(locked)).status_code == 404
    assert client_for(unassigned.user).get(detail(locked) + "record.json").status_code == 404
    assert views_logged(locked) == before + 1  # only the view that showed the list


def test_every_view_of_a_confidential_list_is_audited(locked, client_for, dave, today):
    before = views_logged(locked)
    response = client_for(dave).get(detail(locked))
    assert response.status_code == 200
    client_for(dave).get(detail(locked) + "record.json")
    entries = list(AuditEntry.objects.filter(action="draw.list_viewed", object_id=str(locked.pk)).order_by("id"))
    assert len(entries) == before + 2
    assert (entries[-2].actor, entries[-2].data) == (dave, {"what": "page", "status": "approved"})
    assert entries[-1].data["what"] == "json"


def test_a_drawn_list_awaiting_approval_is_shown_to_the_bureaus_leads(drawn, client_for, frank, carol, bob, today):
    assert shows_the_list(client_for(frank).get(detail(drawn)), drawn)  # he may be the one to approve it
    assert client_for(carol).get(detail(drawn)).status_code == 404
    assert client_for(bob).get(detail(drawn)).status_code == 404  # no task exists before approval
    assert views_logged(drawn) == 1


def test_the_list_opens_to_the_bureau_once_every_inspection_is_past(locked, client_for, carol, frank, mallory, today):
    assert draw_list_is_confidential(locked)
    InspectionTask.objects.filter(draw=locked).update(status=InspectionTaskStatus.RESULT_RECORDED)
    assert not draw_list_is_confidential(locked)
    assert shows_the_list(client_for(carol).get(detail(locked)), locked)
    assert shows_the_list(client_for(frank).get(detail(locked)), locked)
    assert client_for(mallory).get(detail(locked)).status_code == 404
    InspectionTask.objects.filter(draw=locked).update(status=InspectionTaskStatus.ASSIGNED)
    assert draw_list_is_confidential(locked)
    assert not draw_list_is_confidential(locked, today=locked.inspect_until + timedelta(days=1))


def test_a_rejected_list_stays_confidential(drawn, client_for, frank, george, dave, today):
    draws.draw_reject(actor=frank, draw=drawn, reason="见证人不足")
    for who in (frank, dave):  # he rejected it; the auditor
        response = client_for(who).get(detail(drawn))
        assert response.status_code == 200
        assert "李组长" in response.content.decode() and "见证人不足" in response.content.decode()
    assert client_for(george).get(detail(drawn)).status_code == 404


# --------------------------------------------------------------------------- the draw page before drawing


def test_the_frozen_pool_page_shows_quotas_exclusions_and_hashes_but_not_the_nonce(
    county, alice, client_for, enterprises, today
):
    enterprises[0].status = "suspended"
    enterprises[0].save()
    draw = create_draw(county, alice)
    response = client_for(alice).get(detail(draw))
    html = response.content.decode()
    assert response.status_code == 200
    for text in (draw.pool_hash, draw.nonce_hash, draw.inspectors_hash, "2026Q1/key", "2026Q1/general"):
        assert text in html
    assert draw.nonce not in html
    assert enterprises[0].uscc in html and enterprises[0].name in html
    quotas = {(row["label"], row["population"], row["quota"]) for row in response.context["quota_rows"]}
    assert quotas == {("2026Q1/key", 8, 2), ("2026Q1/general", 19, 2)}
    assert response.context["exclusion_preview"][0]["text"] in html
    assert 'id="execute"' in html
    assert views_logged(draw) == 0  # no list yet, nothing confidential


def test_the_pool_page_is_for_leads_auditors_and_admins(county, alice, client_for, carol, bob, dave, erin, today):
    draw = create_draw(county, alice)
    for user, runs in ((dave, False), (erin, True)):  # the pool's strata; the ceremony form for a runner only
        response = client_for(user).get(detail(draw))
        html = response.content.decode()
        assert response.status_code == 200 and draw.pool_hash in html and "2026Q1/general" in html
        assert ('id="execute"' in html) is runs
    assert client_for(carol).get(detail(draw)).status_code == 404
    assert client_for(bob).get(detail(draw)).status_code == 404
    pool = json.loads(client_for(dave).get(detail(draw) + "pool.json").content)
    assert pool["pool_hash"] == draw.pool_hash == reference_pool_hash(pool["strata"])
    assert "nonce" not in pool and "seed" not in pool


# --------------------------------------------------------------------------- transitions over HTTP


def test_the_ceremony_and_approval_over_http(county, client_for, alice, frank, today):
    response = client_for(alice).post(reverse("sampling:draw-create", args=[county.pk]), {"quarter": "1"})
    draw = Draw.objects.get()
    assert response["Location"] == detail(draw)
    client_for(alice).post(detail(draw) + "execute/", {"witnesses": "刘见证", "witness_input": "5 5 5"})
    draw.refresh_from_db()
    assert (draw.status, draw.witness_input) == (DrawStatus.DRAWN, "5 5 5")
    response = client_for(alice).post(detail(draw) + "approve/", follow=True)
    assert Draw.objects.get(pk=draw.pk).status == DrawStatus.DRAWN
    assert "另一位组长" in response.content.decode() or "another team lead" in response.content.decode()
    response = client_for(frank).post(detail(draw) + "approve/")  # first the confirmation, nothing changes
    assert (response.status_code, Draw.objects.get(pk=draw.pk).status) == (200, DrawStatus.DRAWN)
    html = response.content.decode()
    assert 'data-testid="confirm"' in html and 'name="confirm" value="1"' in html and draw.number in html
    assert f'href="{detail(draw)}"' in html  # 取消 goes back to the draw
    client_for(frank).post(detail(draw) + "approve/", {"confirm": "1"})
    assert Draw.objects.get(pk=draw.pk).status == DrawStatus.APPROVED
    assert InspectionTask.objects.filter(draw=draw).count() == 4


def test_ceremony_errors_sit_next_to_their_fields_and_keep_the_input(county, client_for, alice, today):
    """Issue 17: the errors were messages at the top of the page, naming no field, the input lost."""
    draw = create_draw(county, alice)
    response = client_for(alice).post(detail(draw) + "execute/", {"witnesses": "刘见证", "witness_input": ""})
    assert (response.status_code, Draw.objects.get(pk=draw.pk).status) == (400, DrawStatus.CREATED)
    html = response.content.decode()
    assert 'class="messages"' not in html  # nothing at the top of the page
    ceremony = html[html.index('id="ceremony-h"') :]
    field = ceremony[ceremony.index('name="witness_input"') :]
    assert field.index("errorlist") < field.index("</div>")  # in the witness input's own field block
    assert html.count('class="errorlist') == 1
    assert "刘见证</textarea>" in ceremony  # what was typed stays


def test_draw_create_errors_sit_next_to_their_fields(county, client_for, alice, today):
    url = reverse("sampling:draw-create", args=[county.pk])
    response = client_for(alice).post(url, {"quarter": "9", "inspect_from": "not a date"})
    assert (response.status_code, Draw.objects.count()) == (400, 0)
    html = response.content.decode()
    assert 'class="messages"' not in html
    for name in ("quarter", "inspect_from"):
        field = html[html.index(f'name="{name}"') :]
        assert field.index("errorlist") < field.index("</div>"), name
    assert 'value="not a date"' in html


def test_get_changes_nothing(drawn, client_for, frank, today):
    for action in ("execute/", "approve/", "reject/", "cancel/"):
        assert client_for(frank).get(detail(drawn) + action).status_code == 405
    assert Draw.objects.get(pk=drawn.pk).status == DrawStatus.DRAWN


def test_auditor_post_is_refused(drawn, client_for, dave, today):
    for action in ("approve/", "reject/", "execute/", "cancel/"):
        assert client_for(dave).post(detail(drawn) + action, {"reason": "x"}).status_code == 403, action
    assert Draw.objects.get(pk=drawn.pk).status == DrawStatus.DRAWN


def test_another_bureau_gets_404(drawn, client_for, mallory, today):
    for action in ("", "approve/", "reject/", "record.json", "pool.json", "exclusions/"):
        method = "post" if action.endswith("e/") or action == "reject/" else "get"
        assert getattr(client_for(mallory), method)(detail(drawn) + action).status_code == 404, action
    assert client_for(mallory).get(reverse("sampling:task-detail", args=[drawn.task_id])).status_code == 404
    assert client_for(mallory).get(reverse("sampling:plan-detail", args=[drawn.task.plan_id])).status_code == 404


def test_reject_over_http_needs_a_reason(drawn, client_for, frank, today):
    client_for(frank).post(detail(drawn) + "reject/", {"reason": ""})
    assert Draw.objects.get(pk=drawn.pk).status == DrawStatus.DRAWN
    client_for(frank).post(detail(drawn) + "reject/", {"reason": "程序不完整"})
    assert Draw.objects.get(pk=drawn.pk).rejection_reason == "程序不完整"


def test_substitution_over_http(locked, client_for, alice, frank, george, dave, erin, today):
    task = InspectionTask.objects.filter(draw=locked).order_by("number").select_related("enterprise").first()
    task.enterprise.status = "closed"
    task.enterprise.save(update_fields=["status"])
    url = reverse("inspections:substitute-enterprise", args=[task.pk])
    assert client_for(dave).post(url, {"reason_code": "closed"}).status_code == 403
    assert client_for(erin).post(url, {"reason_code": "closed"}).status_code == 403  # the admin may not
    client_for(alice).post(url, {"reason_code": "closed"})
    task.refresh_from_db()
    assert task.status == InspectionTaskStatus.ASSIGNED  # proposed only
    proposal = task.substitution_requests.get()
    approve = reverse("inspections:substitution-approve", args=[task.pk])
    client_for(alice).post(approve, {"request": proposal.pk})  # not by the proposer
    task.refresh_from_db()
    assert task.status == InspectionTaskStatus.ASSIGNED
    assert client_for(frank).post(approve, {"request": proposal.pk}).status_code == 404  # may not see the list
    assert approve not in client_for(dave).get(detail(locked)).content.decode()
    assert approve in client_for(george).get(detail(locked)).content.decode()
    response = client_for(george).post(approve, {"request": proposal.pk})  # the confirmation first
    task.refresh_from_db()
    assert (response.status_code, task.status) == (200, InspectionTaskStatus.ASSIGNED)
    assert 'name="confirm" value="1"' in response.content.decode()
    client_for(george).post(approve, {"request": proposal.pk, "confirm": "1"})
    task.refresh_from_db()
    assert task.status == InspectionTaskStatus.CANCELLED
    assert InspectionTask.objects.filter(draw=locked).count() == 5


# --------------------------------------------------------------------------- plans, tasks, policy pages


def test_lead_creates_a_plan_and_a_task_through_the_forms(client_for, alice, bureau, today):
    item = CheckItemFactory(bureau=bureau)
    client_for(alice).post(reverse("sampling:plan-create"), {"year": "2026", "name": "年度计划", "description": ""})
    plan = Plan.objects.get()
    assert plan.number == "建环抽查〔2026〕1号"
    data = {
        "name": "重点行业定向抽查",
        "check_items": [item.pk],
        "include_key": "on",
        "draw_from": "2026-01-01",
        "draw_until": "2026-12-31",
        "inspect_from": "2026-01-01",
        "inspect_until": "2026-12-31",
        "joint_kind": "internal",
        "joint_units": "执法大队、监测站",
        "industry": "26, 2710",
        "pollution": ["water"],
        "positive_list": "no",
    }
    response = client_for(alice).post(reverse("sampling:task-create", args=[plan.pk]), data)
    task = plan.tasks.get()
    assert response["Location"] == reverse("sampling:task-detail", args=[task.pk])
    assert task.tag_conditions == {"industry": ["26", "2710"], "pollution": ["water"], "positive_list": False}
    assert (task.joint_kind, task.joint_units, task.tiers) == ("internal", "执法大队、监测站", ["key"])
    response = client_for(alice).post(reverse("sampling:task-create", args=[plan.pk]), {**data, "industry": "99"})
    assert response.status_code == 200 and plan.tasks.count() == 1
    assert "99" in response.content.decode()
    client_for(alice).post(reverse("sampling:plan-status", args=[plan.pk]), {"status": PlanStatus.ACTIVE})
    assert Plan.objects.get().status == PlanStatus.ACTIVE
    html = client_for(alice).get(reverse("sampling:plan-detail", args=[plan.pk])).content.decode()
    assert "执法大队、监测站" in html and "2026-01-01" in html


def test_registry_staff_reads_plans_but_cannot_change_them(plan, client_for, carol, today):
    for url in (reverse("sampling:plan-list") + "?year=2026", reverse("sampling:plan-detail", args=[plan.pk])):
        response = client_for(carol).get(url)
        assert response.status_code == 200 and plan.name in response.content.decode(), url
    assert client_for(carol).post(reverse("sampling:plan-create"), {"year": 2026, "name": "x"}).status_code == 403
    assert client_for(carol).get(reverse("sampling:draw-list")).status_code == 403
    assert Plan.objects.count() == 1


def test_policy_page_applies_a_preset(client_for, alice, dave, bureau, today):
    url = reverse("sampling:policy") + "?year=2026"
    assert client_for(dave).post(url, {"action": "preset", "preset": "xiping"}).status_code == 403
    client_for(alice).post(url, {"action": "preset", "preset": "xiping"})
    policy = bureau.quota_policies.get(year=2026)
    assert (policy.preset, policy.key_ratio, policy.key_once_a_year, policy.special_every_quarter) == (
        "xiping",
        20,
        True,
        True,
    )
    response = client_for(dave).get(url)  # the auditor reads the policy in force, without the forms to change it
    html = response.content.decode()
    assert response.status_code == 200 and "≥ 20%" in html and "西平（003）" in html and "1:10" in html
    assert 'value="preset"' not in html


# --------------------------------------------------------------------------- query counts


def _plans(bureau, alice, n):
    for i in range(n):
        plan = plans.plan_create(actor=alice, bureau=bureau, year=2026, name=f"计划{i}")
        add_task(plan, alice, [CheckItemFactory(bureau=bureau)], activate=False)


@pytest.mark.parametrize("rows", [1, 3])
def test_plan_list_query_count(rows, bureau, alice, client_for, django_assert_num_queries, today):
    _plans(bureau, alice, rows)
    client = client_for(alice)
    client.get(reverse("sampling:plan-list"))  # warm the session
    with django_assert_num_queries(8):
        response = client.get(reverse("sampling:plan-list") + "?year=2026")
    assert len(response.context["plans"]) == rows


@pytest.mark.parametrize("rows", [1, 3])
def test_draw_list_query_count(rows, county, alice, client_for, django_assert_num_queries, today):
    for i in range(rows):
        task = county if i == 0 else add_task(county.plan, alice, list(county.check_items.all()), name=f"任务{i}")
        create_draw(task, alice)
    client = client_for(alice)
    client.get(reverse("sampling:draw-list"))
    with django_assert_num_queries(8):
        response = client.get(reverse("sampling:draw-list") + "?year=2026")
    assert len(response.context["page"]) == rows


# --------------------------------------------------------------------------- records


def test_record_json_download_replays(locked, client_for, alice, today):
    response = client_for(alice).get(detail(locked) + "record.json")
    record = json.loads(response.content)
    assert response["Content-Type"].startswith("application/json")
    assert reference_replay(record) == Draw.objects.get(pk=locked.pk).data.result  # written from the text
    assert record["nonce"] == locked.nonce and record["pool_hash"] == locked.pool_hash
    assert record["witness_input"] == locked.witness_input
    assert set(record) >= {"algorithm", "seed", "strata", "inspectors"}


def test_record_pdf_embeds_the_shipped_cjk_font(locked, client_for, alice, tmp_path, today):
    response = client_for(alice).get(detail(locked) + "record.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert_shipped_font_embedded(response.content, tmp_path)
    assert locked.seed[:32] in pdftext(response.content, tmp_path).replace("\n", "")
    assert views_logged(locked) >= 1


def test_record_pdf_needs_no_system_font(locked, client_for, alice, monkeypatch, tmp_path, today):
    pages = capture_html(monkeypatch, views)
    assert client_for(alice).get(detail(locked) + "record.pdf").status_code == 200
    pdf = pdf_without_system_fonts(pages[0], tmp_path)
    fonts = pdffonts(pdf, tmp_path)
    assert shipped_fonts(fonts) == fonts, f"a font other than the shipped one: {fonts}"
    assert_shipped_font_embedded(pdf, tmp_path)
    text = "".join(pdftext(pdf, tmp_path).split())
    draw = Draw.objects.get(pk=locked.pk)
    entry = draw.entries.filter(selected=True).select_related("enterprise").first()
    for expected in ("摇号记录", draw.number, draw.bureau.name, locked.seed[:32], entry.enterprise.name):
        assert expected in text, expected


def test_draw_record_view_is_written_even_for_the_lead(locked, client_for, alice, today):
    before = views_logged(locked)
    client_for(alice).get(detail(locked))
    assert views_logged(locked) == before + 1


def test_inspection_window_defaults_to_the_quarter(county, alice, today):
    draw = create_draw(county, alice, quarter=3)
    assert (draw.inspect_from, draw.inspect_until) == (date(2026, 7, 1), date(2026, 9, 30))


def test_the_excluded_pairs_are_counted_and_the_first_ones_listed_by_name(
    county, alice, client_for, enterprises, inspectors, monkeypatch, today
):
    for enterprise in enterprises[:3]:
        Conflict.objects.create(inspector=inspectors[3], enterprise=enterprise, reason="亲属任职")
    draw = create_draw(county, alice)
    assert draw.data.staffing["pair_reasons"] == {"conflict": [0, 1, 2], "last_team": []}
    monkeypatch.setattr("sampling.views.PAIR_PREVIEW", 2)
    response = client_for(alice).get(detail(draw))
    staffing = response.context["staffing"]
    first_two = sorted(enterprises[:3], key=lambda e: e.uscc)[:2]
    assert [(p["enterprise"], p["uscc"], p["code"], p["reasons"]) for p in staffing["pairs"]] == [
        (e.name, e.uscc, "ZF004", ["conflict"]) for e in first_two
    ]
    assert (staffing["pairs_total"], staffing["pairs_more"], staffing["conflicts"], staffing["last_team"]) == (
        3,
        1,
        3,
        0,
    )
    html = response.content.decode()
    assert "申报回避 3 组，上次检查组规则 0 组。" in html
    assert "另有 1 组见抽取池 JSON。" in html


def test_the_draw_page_queries_do_not_grow_with_its_rows(locked, alice, client_for, monkeypatch):
    """One page of 1 row or of every row: the same queries (teams, tasks and members read once for the page;
    the proposal forms of the rows cost none)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert locked.selected_count > 3
    client = client_for(alice)
    url = reverse("sampling:draw-detail", args=[locked.pk])
    client.get(url)  # the session, and the draw's data summary into the cache
    counts = {}
    for rows in (1, locked.selected_count):
        monkeypatch.setattr("sampling.views.RESULT_PAGE", rows)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert len(response.context["rows"]) == rows
        assert response.content.decode().count('name="reason_code"') == 2 * rows  # alice may propose on each
        counts[rows] = len(queries)
    assert counts[1] == counts[locked.selected_count]
