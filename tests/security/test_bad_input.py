"""Bad input across the whole site (issue 7 §4): HTML typed into any free-text field is shown as text on
every page, and impossible dates are refused with a message and nothing saved.

The per-app tests cover the rest of the bad input named by the issue: malformed, empty, non-Excel,
oversized, zip-bomb and formula-laden spreadsheets (tests/enterprises/test_import.py,
tests/inspectors/test_import.py, tests/enterprises/test_export.py), forged, altered and expired QR tokens
(tests/inspections/test_tokens.py, test_public_views.py), oversized and mislabelled uploads
(tests/inspections/test_uploads.py).
"""

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from inspectors.models import LeavePeriod
from sampling.models import PlanTask
from tests.tamper import triggers_disabled

from .matrix import KINDS, client_for, kind_of, url_names

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert("
APPS = ("core", "enterprises", "inspectors", "sampling", "inspections", "disclosure")
# Free text typed by people: names, addresses, reasons, findings, comments, witnesses…
TEXT_FIELDS = {
    "name",
    "short_name",
    "address",
    "legal_representative",
    "contact",
    "contact_person",
    "summary",
    "finding",
    "comment",
    "witnesses",
    "reason",
    "description",
    "content",
    "method",
    "legal_basis",
    "organisation",
    "title",
    "joint_units",
    "confirmed_by_name",
    "first_name",
    "last_name",
    "unit",
    "note",
    "notes",
    "rejection_reason",
    "cancel_reason",
    "confidentiality_reason",
}


def poison(world) -> list[str]:
    """Put the payload at the start of every free-text field of every row; returns the fields touched."""
    touched = []
    for model in [m for label in APPS for m in apps.get_app_config(label).get_models()] + [
        apps.get_model("auth", "User")
    ]:
        if model._meta.label in ("core.AuditEntry", "core.AuditAnchor"):
            continue  # append-only
        for field in model._meta.concrete_fields:
            if (
                field.name not in TEXT_FIELDS
                or field.choices
                or not isinstance(field, models.CharField | models.TextField)
            ):
                continue
            limit = field.max_length or 10_000
            with triggers_disabled(model._meta.db_table):  # a committed draw's fields are frozen by triggers
                for pk, value in model.objects.values_list("pk", field.name):
                    model.objects.filter(pk=pk).update(**{field.name: (PAYLOAD + (value or ""))[:limit]})
            touched.append(f"{model._meta.label}.{field.name}")
    return touched


@pytest.mark.slow
def test_html_typed_anywhere_is_shown_as_text_everywhere(world):
    touched = poison(world)
    assert "enterprises.Enterprise.name" in touched and "sampling.Draw.witnesses" in touched
    raw, escaped_pages = [], 0
    viewers = ("lead", "approver", "auditor", "assigned", "anonymous")
    for name in url_names():
        if kind_of(name) not in KINDS:
            continue  # test_matrix.py::test_every_route_is_in_the_matrix fails on it
        states, kwargs = KINDS[kind_of(name)]
        for state in states:
            url = reverse(name, kwargs=kwargs(world, state))
            for role in viewers:
                user = world.assigned.get(state, world.assigned["locked"]) if role == "assigned" else world.users[role]
                response = client_for(world, user).get(url)
                if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                    continue
                body = response.content.decode()
                if "<script>alert(" in body or "<img src=x" in body:
                    raw.append(f"{url} as {role}")
                escaped_pages += ESCAPED in body
    assert raw == []
    assert escaped_pages > 20  # the payload was really shown (escaped) on many pages


IMPOSSIBLE_DATES = ["2026-02-30", "1800-01-01", "9999-12-31", "2026-13-01", "明天"]


def test_impossible_dates_are_refused_and_nothing_is_saved(world):
    alice, carol = world.users["lead"], world.users["registry"]
    plan, inspector = world.objects["plan"], world.objects["inspector"]
    tasks, leaves = PlanTask.objects.count(), LeavePeriod.objects.count()
    for day in IMPOSSIBLE_DATES:
        response = client_for(world, alice).post(
            reverse("sampling:task-create", kwargs={"pk": plan.pk}),
            {
                "name": "日期测试任务",
                "include_general": "on",
                "draw_from": day,
                "draw_until": day,
                "inspect_from": day,
                "inspect_until": day,
                "check_items": [world.objects["check_item"].pk],
            },
        )
        assert response.status_code == 200, day
        assert response.context["form"].errors, day
        assert "日期测试任务" in response.content.decode()  # what was typed is kept
        response = client_for(world, carol).post(
            reverse("inspectors:leave-add", kwargs={"pk": inspector.pk}), {"start": day, "end": day, "reason": "年假"}
        )
        assert response.status_code in (200, 400), day
    assert (PlanTask.objects.count(), LeavePeriod.objects.count()) == (tasks, leaves)
