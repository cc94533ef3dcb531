from datetime import date

import pytest
from django.utils import translation

from inspectors.models import Conflict, Expert, Inspector, LeavePeriod
from inspectors.queries import (
    availability,
    available_inspectors,
    conflict_pairs,
    enterprise_matches,
    experts_for_industry,
    unavailability_reasons,
)
from tests.factories import EnterpriseFactory, InspectorFactory

START, END = date(2026, 3, 1), date(2026, 3, 31)


@pytest.fixture
def pool(bureau, other_bureau):
    """Inspectors around the period 2026-03-01 … 2026-03-31, by the rule each one tests."""

    def make(code, **fields):
        return InspectorFactory(bureau=fields.pop("bureau", bureau), code=code, name=f"人员{code}", **fields)

    people = {
        "ok": make("A01"),
        "cert_ends_mid": make("A02", certificate_valid_until=date(2026, 3, 15)),
        "cert_starts_mid": make("A03", certificate_valid_from=date(2026, 3, 10)),
        "cert_ends_last_day": make("A04", certificate_valid_until=date(2026, 3, 31)),
        "cert_starts_first_day": make("A05", certificate_valid_from=date(2026, 3, 1)),
        "leave_ends_first_day": make("A06"),
        "leave_starts_last_day": make("A07"),
        "leave_ends_day_before": make("A08"),
        "leave_starts_day_after": make("A09"),
        "inactive": make("A10", active=False, inactive_since=date(2026, 1, 5), inactive_reason="调往市局"),
        "no_certificate": make("A11", certificate_number="", certificate_valid_from=None, certificate_valid_until=None),
        "expired": make("A12", certificate_valid_until=date(2025, 12, 31)),
        "other_bureau": make("A01", bureau=other_bureau, certificate_number="鄢环执1"),
    }
    for key, start, end in [
        ("leave_ends_first_day", date(2026, 2, 20), date(2026, 3, 1)),
        ("leave_starts_last_day", date(2026, 3, 31), date(2026, 4, 5)),
        ("leave_ends_day_before", date(2026, 2, 1), date(2026, 2, 28)),
        ("leave_starts_day_after", date(2026, 4, 1), date(2026, 4, 10)),
    ]:
        LeavePeriod.objects.create(inspector=people[key], start=start, end=end, reason="年休假")
    return people


def test_available_inspectors_applies_active_certificate_and_leave_rules(pool, bureau, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = available_inspectors(bureau, START, END)
        assert [(i.code, i.name) for i in found] == [(c, f"人员{c}") for c in ["A01", "A04", "A05", "A08", "A09"]]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (START, END),
        (date(2026, 3, 12), date(2026, 3, 12)),
        (date(2026, 3, 31), date(2026, 4, 1)),
        (date(2026, 1, 1), date(2026, 1, 1)),
    ],
)
def test_availability_agrees_with_the_sql_rules(pool, bureau, start, end, django_assert_num_queries):
    """The draw reads who is available and why the others are not in one pass: the same split as the SQL."""
    with django_assert_num_queries(2):
        found = availability(bureau, start, end)
    expected = [(i.pk, i.code, i.name) for i in available_inspectors(bureau, start, end)]
    assert found.available == expected
    assert [pk for pk, *_rest in found.unavailable] == [
        i.pk for i in Inspector.objects.filter(bureau=bureau).order_by("code") if (i.pk, i.code, i.name) not in expected
    ]
    assert {pk: reason for pk, _code, _name, reason in found.unavailable} == unavailability_reasons(bureau, start, end)


def test_available_inspectors_for_a_single_day(pool, bureau):
    found = {i.code for i in available_inspectors(bureau, date(2026, 3, 12), date(2026, 3, 12))}
    assert found == {"A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A09"}


def test_unavailability_reasons_names_every_excluded_inspector(pool, bureau, django_assert_num_queries):
    with translation.override("en"), django_assert_num_queries(2):
        reasons = unavailability_reasons(bureau, START, END)
    ids = {key: inspector.pk for key, inspector in pool.items()}
    assert reasons == {
        ids["cert_ends_mid"]: "Certificate expires on 2026-03-15, before the end of the period",
        ids["cert_starts_mid"]: "Certificate valid only from 2026-03-10",
        ids["leave_ends_first_day"]: "On leave from 2026-02-20 to 2026-03-01",
        ids["leave_starts_last_day"]: "On leave from 2026-03-31 to 2026-04-05",
        ids["inactive"]: "Inactive since 2026-01-05 (调往市局)",
        ids["no_certificate"]: "No enforcement certificate on record",
        ids["expired"]: "Certificate expired on 2025-12-31",
    }
    available = {i.pk for i in available_inspectors(bureau, START, END)}
    all_ids = set(Inspector.objects.filter(bureau=bureau).values_list("pk", flat=True))
    assert available | set(reasons) == all_ids and not available & set(reasons)


def test_unavailability_reasons_are_translated_and_combined(bureau):
    inspector = InspectorFactory(bureau=bureau, active=False, certificate_valid_until=date(2026, 3, 20))
    LeavePeriod.objects.create(inspector=inspector, start=date(2026, 3, 2), end=date(2026, 3, 3))
    with translation.override("zh-hans"):
        reasons = unavailability_reasons(bureau, START, END)
    assert reasons == {inspector.pk: "已停用; 执法证于 2026-03-20 到期，早于期间结束; 休假（2026-03-02 至 2026-03-03）"}


def test_conflict_pairs_lists_the_bureaus_declared_pairs(bureau, other_bureau, django_assert_num_queries):
    first, second = InspectorFactory(bureau=bureau), InspectorFactory(bureau=bureau)
    e1, e2 = EnterpriseFactory(bureau=bureau), EnterpriseFactory(bureau=bureau)
    Conflict.objects.create(inspector=first, enterprise=e1, reason="亲属")
    Conflict.objects.create(inspector=second, enterprise=e1, reason="曾任职")
    Conflict.objects.create(inspector=first, enterprise=e2, reason="持股")
    outsider = InspectorFactory(bureau=other_bureau, certificate_number="鄢1")
    Conflict.objects.create(inspector=outsider, enterprise=EnterpriseFactory(bureau=other_bureau), reason="亲属")
    with django_assert_num_queries(1):
        pairs = conflict_pairs(bureau)
    assert pairs == {(e1.pk, first.pk), (e1.pk, second.pk), (e2.pk, first.pk)}


def test_experts_for_industry_matches_the_industry_and_its_ancestors(
    bureau, other_bureau, industry, django_assert_num_queries
):
    def expert(name, codes, **fields):
        made = Expert.objects.create(
            bureau=fields.pop("bureau", bureau), name=name, kind="specialist", organisation="单位", **fields
        )
        made.industries.set([industry(code) for code in codes])
        return made

    chemistry = expert("A 大类", ["26"])
    organic = expert("B 小类", ["2614", "2710"])
    manufacturing = expert("C 门类", ["C"])
    expert("D 医药", ["2710"])
    expert("E 停用", ["2614"], active=False)
    expert("F 外局", ["2614"], bureau=other_bureau)
    target = industry("2614").pk
    with django_assert_num_queries(3):
        found = experts_for_industry(bureau, target)
        assert [e.pk for e in found] == [chemistry.pk, organic.pk, manufacturing.pk]
        assert [i.code for i in found[1].industries.all()] == ["2614", "2710"]
    # A broader industry does not pull in the experts of its narrower classes.
    assert [e.pk for e in experts_for_industry(bureau, industry("26").pk)] == [chemistry.pk, manufacturing.pk]
    assert experts_for_industry(bureau, 999_999) == []


def test_enterprise_matches_by_code_full_name_or_unique_part(bureau, other_bureau):
    hongda = EnterpriseFactory(bureau=bureau, name="许昌宏达化工有限公司")
    hongxin = EnterpriseFactory(bureau=bureau, name="许昌宏信化工有限公司")
    foreign = EnterpriseFactory(bureau=other_bureau, name="鄢陵宏达化工有限公司")
    assert enterprise_matches(bureau, hongda.uscc.lower()) == [hongda]
    assert enterprise_matches(bureau, " 许昌宏达化工有限公司 ") == [hongda]
    assert enterprise_matches(bureau, "宏达") == [hongda]
    assert set(enterprise_matches(bureau, "化工")) == {hongda, hongxin}
    assert enterprise_matches(bureau, foreign.uscc) == []
    assert enterprise_matches(bureau, "  ") == []
