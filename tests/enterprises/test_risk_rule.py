"""The risk weight rule per bureau (issue 16 item 3): each bureau's administrator sets its parameters, every
change is audited, a stale edit form is refused, and the weights follow the bureau's own rule. Every expected
weight below is worked out by hand from the rule's words."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse

from core.enums import Role
from core.errors import DomainError
from core.models import AuditEntry
from enterprises import services
from enterprises.enums import CreditRating, RecordKind
from enterprises.models import EnterpriseRecord, RiskRule, months_before
from tests.conftest import _member
from tests.edit_forms import assert_conflict, english_client, shown_form
from tests.factories import EnterpriseFactory
from tests.inspections.factories import exactly

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 12, 1)
DEFAULTS = {
    "window_years": 3,
    "records_cap": 3,
    "warning_term": 1,
    "bad_term": 2,
    "penalty_months": 12,
    "penalty_weight": 0,
    "clean_streak": 3,
    "clean_weight": 1,
}
# one year of records, at most two count, 警示 adds nothing, 不良 adds four, a penalty in 12 months: at least 3
STRICT = {
    "window_years": 1,
    "records_cap": 2,
    "warning_term": 0,
    "bad_term": 4,
    "penalty_months": 12,
    "penalty_weight": 3,
    "clean_streak": 3,
    "clean_weight": 1,
}


def _record(enterprise, kind, day):
    EnterpriseRecord.objects.create(enterprise=enterprise, kind=kind, date=day, description="x")


def test_months_before():
    assert months_before(date(2026, 12, 1), 12) == date(2025, 12, 1)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)


def test_a_bureau_without_a_row_has_the_default_rule(bureau):
    rule = RiskRule.of(bureau)
    assert rule.pk is None
    assert rule.values() == DEFAULTS
    assert rule.highest == 6


def test_each_bureau_weighs_by_its_own_rule(bureau, other_bureau, erin):
    services.risk_rule_update(actor=erin, bureau=bureau, **STRICT)

    def pair(**kwargs):
        return EnterpriseFactory(bureau=bureau, **kwargs), EnterpriseFactory(bureau=other_bureau, **kwargs)

    recent_penalty = pair()
    old_penalty = pair()
    edge_penalty = pair()
    after_edge = pair()
    many = pair(credit_rating=CreditRating.BAD)
    warning = pair(credit_rating=CreditRating.WARNING)
    bad_penalised = pair(credit_rating=CreditRating.BAD)
    two_years = pair()
    for e in recent_penalty:
        _record(e, RecordKind.PENALTY, date(2026, 6, 1))
    for e in old_penalty:
        _record(e, RecordKind.PENALTY, date(2025, 11, 30))
    for e in edge_penalty:
        _record(e, RecordKind.PENALTY, date(2025, 12, 1))  # exactly 12 months (and a year) before: outside
    for e in after_edge:
        _record(e, RecordKind.PENALTY, date(2025, 12, 2))
    for e in many:
        for kind, day in (("violation", date(2026, 3, 1)),) * 3 + (("complaint", date(2026, 4, 1)),):
            _record(e, kind, day)
    for e in bad_penalised:
        _record(e, RecordKind.PENALTY, date(2026, 10, 1))
    for e in two_years:
        _record(e, RecordKind.VIOLATION, date(2025, 1, 10))

    ours = services.risk_weights(bureau, as_of=AS_OF)
    theirs = services.risk_weights(other_bureau, as_of=AS_OF)

    # ours: max(1 + min(records of the last year, 2) + (0 警示 | 4 不良), 3 if a penalty in 12 months)
    assert ours == {
        recent_penalty[0].pk: 3,  # 1 + 1 = 2, lifted to 3
        old_penalty[0].pk: 1,  # out of the year and of the 12 months
        edge_penalty[0].pk: 1,
        after_edge[0].pk: 3,  # 1 + 1 = 2, lifted to 3
        many[0].pk: 7,  # 1 + min(4, 2) + 4
        warning[0].pk: 1,  # 警示 adds nothing here
        bad_penalised[0].pk: 6,  # 1 + 1 + 4, above the floor
        two_years[0].pk: 1,  # a violation of 2025-01: more than a year ago
    }
    # theirs (the defaults): 1 + min(records of the last 3 years, 3) + (1 警示 | 2 不良), no floor
    assert theirs == {
        recent_penalty[1].pk: 2,
        old_penalty[1].pk: 2,
        edge_penalty[1].pk: 2,
        after_edge[1].pk: 2,
        many[1].pk: 6,  # 1 + min(4, 3) + 2
        warning[1].pk: 2,
        bad_penalised[1].pk: 4,  # 1 + 1 + 2
        two_years[1].pk: 2,
    }


def test_a_change_is_audited_with_what_changed_only(bureau, erin):
    with time_machine.travel(datetime(2026, 5, 4, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        rule = services.risk_rule_update(actor=erin, bureau=bureau, **{**DEFAULTS, "bad_term": 3, "penalty_weight": 4})
    assert RiskRule.objects.get(bureau=bureau).values() == {**DEFAULTS, "bad_term": 3, "penalty_weight": 4}
    assert (rule.updated_by, rule.updated_by_name) == (erin, "孙管理")
    # the same values again: no change, no entry
    services.risk_rule_update(actor=erin, bureau=bureau, **{**DEFAULTS, "bad_term": 3, "penalty_weight": 4})
    entries = list(AuditEntry.objects.filter(action="enterprises.risk_rule_changed"))
    assert [(e.bureau_id, e.actor_name, e.object_type, e.object_id, e.data) for e in entries] == [
        (
            bureau.pk,
            "孙管理",
            "enterprises.riskrule",
            str(rule.pk),
            {"before": {"bad_term": 2, "penalty_weight": 0}, "after": {"bad_term": 3, "penalty_weight": 4}},
        )
    ]
    history = services.risk_rule_history([bureau])[bureau.pk]
    assert [(at.isoformat(), [(str(label), old, new) for label, old, new in changes]) for at, changes in history] == [
        (
            "2026-05-04T02:30:00+00:00",
            [("tickets added for the credit rating 不良", 2, 3), ("lowest weight after a recent penalty", 0, 4)],
        )
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [("window_years", 0), ("records_cap", 21), ("bad_term", -1), ("penalty_months", 61), ("penalty_weight", "3")],
)
def test_a_value_out_of_range_is_refused_and_nothing_written(bureau, erin, name, value):
    with pytest.raises(DomainError):
        services.risk_rule_update(actor=erin, bureau=bureau, **{**DEFAULTS, name: value})
    assert not RiskRule.objects.exists()
    assert not AuditEntry.objects.filter(action="enterprises.risk_rule_changed").exists()


def test_only_the_bureaus_administrator_changes_its_rule(bureau, carol, alice, mallory):
    for user in (carol, alice, mallory):
        with pytest.raises(PermissionDenied):
            services.risk_rule_update(actor=user, bureau=bureau, **{**DEFAULTS, "records_cap": 5})
    assert not RiskRule.objects.exists()


# --- the edit page -----------------------------------------------------------------------------------------

URL = "/enterprises/risk-rule/"


def test_the_edit_page_is_the_administrators(bureau, erin, carol, alice, dave, mallory, client_for):
    assert reverse("enterprises:risk-rule") == URL
    assert client_for(erin).get(URL).status_code == 200
    for user in (carol, alice, dave):
        assert client_for(user).get(URL).status_code == 403
        assert client_for(user).post(URL, {**DEFAULTS, "records_cap": 5}).status_code == 403
    # mallory is the administrator of her own bureau: she edits that bureau's rule, never this one
    assert client_for(mallory).post(URL, {**DEFAULTS, "records_cap": 5}).status_code == 302
    assert RiskRule.of(bureau).pk is None


def test_the_edit_page_saves_and_shows_the_change(bureau, erin):
    client = english_client(erin)
    form = shown_form(client, URL)
    assert {k: v for k, v in form.items() if k != "version"} == {k: str(v) for k, v in DEFAULTS.items()}
    response = client.post(URL, {**form, "penalty_weight": "3"})
    assert response.status_code == 302
    assert RiskRule.of(bureau).values() == {**DEFAULTS, "penalty_weight": 3}
    html = client.get(URL).content.decode()
    assert '<td>lowest weight after a recent penalty</td><td class="num">0</td><td class="num">3</td>' in html


def test_a_bad_value_keeps_the_input_with_the_field_named(bureau, erin):
    client = english_client(erin)
    form = shown_form(client, URL)
    response = client.post(URL, {**form, "records_cap": "99", "bad_term": "5"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'name="records_cap" value="99"' in body and 'name="bad_term" value="5"' in body
    assert "Ensure this value is less than or equal to 20." in body
    assert not RiskRule.objects.exists()


def test_a_stale_edit_is_refused_with_409_keeping_the_input(bureau, erin):
    second_admin = _member("ivy", bureau, Role.ADMIN, first_name="吴管理")
    first, second = english_client(erin), english_client(second_admin)
    form_a, form_b = shown_form(first, URL), shown_form(second, URL)

    assert first.post(URL, {**form_a, "records_cap": "4"}).status_code == 302
    response = second.post(URL, {**form_b, "bad_term": "5"})

    assert_conflict(
        response,
        typed={"bad_term": 'name="bad_term" value="5"'},
        changed=[("at most this many records count", "3", "4")],
        by="孙管理",
    )
    assert RiskRule.of(bureau).values() == {**DEFAULTS, "records_cap": 4}
    assert AuditEntry.objects.filter(action="enterprises.risk_rule_changed").count() == 1


# --- the clean-inspection term's parameters ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("clean_streak", 11, "clean inspections in a row that lower the weight: give a whole number from 0 to 10."),
        ("clean_streak", -1, "clean inspections in a row that lower the weight: give a whole number from 0 to 10."),
        ("clean_weight", 0, "highest weight after clean inspections in a row: give a whole number from 1 to 50."),
        ("clean_weight", 51, "highest weight after clean inspections in a row: give a whole number from 1 to 50."),
    ],
)
def test_the_clean_terms_out_of_range_are_refused_by_name(bureau, erin, name, value, message):
    with pytest.raises(DomainError, match=exactly(message)):
        services.risk_rule_update(actor=erin, bureau=bureau, **{**DEFAULTS, name: value})
    assert not RiskRule.objects.exists()


def test_the_database_refuses_the_clean_terms_out_of_range(bureau):
    for name, value in (("clean_streak", 11), ("clean_weight", 0)):
        with pytest.raises(IntegrityError), transaction.atomic():
            RiskRule.objects.create(bureau=bureau, **{**DEFAULTS, name: value})
    assert not RiskRule.objects.exists()


def _field_block(html: str, name: str) -> str:
    """The ``<div class="field">`` of the input ``name`` (its label, input, help and errors)."""
    blocks = re.findall(r'<div class="field">(.*?)</div>', html, re.S)
    return next(block for block in blocks if f'name="{name}"' in block)


def test_the_edit_form_refuses_the_clean_terms_out_of_range_next_to_the_field(bureau, erin):
    client = english_client(erin)
    form = shown_form(client, URL)
    response = client.post(URL, {**form, "clean_streak": "11", "clean_weight": "0"})
    assert response.status_code == 400
    html = response.content.decode()
    streak, weight = _field_block(html, "clean_streak"), _field_block(html, "clean_weight")
    assert 'value="11"' in streak and "Ensure this value is less than or equal to 10." in streak
    assert 'value="0"' in weight and "Ensure this value is greater than or equal to 1." in weight
    assert "<label" in streak and "clean inspections in a row that lower the weight" in streak
    assert not RiskRule.objects.exists()


def test_the_edit_form_saves_the_clean_terms(bureau, erin):
    client = english_client(erin)
    form = shown_form(client, URL)
    assert (form["clean_streak"], form["clean_weight"]) == ("3", "1")
    assert client.post(URL, {**form, "clean_streak": "0", "clean_weight": "2"}).status_code == 302
    assert RiskRule.of(bureau).values() == {**DEFAULTS, "clean_streak": 0, "clean_weight": 2}
    entry = AuditEntry.objects.get(action="enterprises.risk_rule_changed")
    assert entry.data == {
        "before": {"clean_streak": 3, "clean_weight": 1},
        "after": {"clean_streak": 0, "clean_weight": 2},
    }


def test_a_stale_edit_of_the_clean_terms_is_refused(bureau, erin):
    second_admin = _member("ivy", bureau, Role.ADMIN, first_name="吴管理")
    first, second = english_client(erin), english_client(second_admin)
    form_a, form_b = shown_form(first, URL), shown_form(second, URL)

    assert first.post(URL, {**form_a, "clean_streak": "2"}).status_code == 302
    response = second.post(URL, {**form_b, "clean_weight": "2"})

    assert_conflict(
        response,
        typed={"clean_weight": 'name="clean_weight" value="2"'},
        changed=[("clean inspections in a row that lower the weight", "3", "2")],
        by="孙管理",
    )
    assert RiskRule.of(bureau).values() == {**DEFAULTS, "clean_streak": 2}


def test_another_bureaus_administrator_changes_only_her_own_clean_terms(
    bureau, other_bureau, erin, mallory, client_for
):
    client = client_for(mallory)
    form = shown_form(client, URL)
    assert client.post(URL, {**form, "clean_streak": "5"}).status_code == 302
    assert RiskRule.of(other_bureau).values()["clean_streak"] == 5
    assert RiskRule.of(bureau).pk is None
    with pytest.raises(PermissionDenied):
        services.risk_rule_update(actor=mallory, bureau=bureau, **{**DEFAULTS, "clean_streak": 5})
