"""State changes of the registry and the checklist: exact rows and audit entries after each."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.audit import verify_chain
from core.errors import DomainError
from core.models import AuditEntry
from enterprises import services
from enterprises.enums import CreditRating, EnterpriseStatus, RecordKind, Tier
from enterprises.models import CheckItem, Enterprise, EnterpriseRecord, EnterpriseStatusChange, RiskRule
from tests.factories import CheckItemFactory, EnterpriseFactory, valid_uscc

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        yield


# --- enterprise_create --------------------------------------------------------------------------


def test_enterprise_create_writes_the_row_and_an_audit_entry(bureau, carol, town, chem):
    enterprise = services.enterprise_create(
        actor=carol,
        bureau=bureau,
        uscc=valid_uscc(30).lower(),
        name=" 许昌恒信化工有限公司 ",
        address="许昌市建安区恒信路1号",
        division=town,
        industry=chem,
        pollutes_water=True,
        longitude=Decimal("113.812345"),
        latitude=Decimal("34.012345"),
        city_controlled_key=True,
        tier=Tier.KEY,
    )
    row = Enterprise.objects.get()
    assert row.pk == enterprise.pk
    assert (row.bureau, row.uscc, row.name, row.tier, row.status) == (
        bureau,
        valid_uscc(30),
        "许昌恒信化工有限公司",
        Tier.KEY,
        EnterpriseStatus.OPERATING,
    )
    assert (row.division, row.industry, row.pollutes_water, row.pollutes_air) == (town, chem, True, False)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.bureau, entry.object_id) == (
        "enterprises.enterprise_created",
        carol,
        bureau,
        str(row.pk),
    )
    assert entry.data["after"]["uscc"] == valid_uscc(30)
    assert entry.data["after"]["division"] == "411003100"
    assert entry.data["after"]["industry"] == "2614"
    assert entry.data["after"]["longitude"] == "113.812345"
    assert verify_chain().ok


def test_enterprise_create_without_tier_follows_the_criteria(bureau, carol):
    enterprise = services.enterprise_create(
        actor=carol, bureau=bureau, uscc=valid_uscc(31), name="甲", city_controlled_key=True
    )
    assert enterprise.tier == Tier.KEY
    enterprise = services.enterprise_create(
        actor=carol, bureau=bureau, uscc=valid_uscc(32), name="乙", city_controlled_key=True, positive_list=True
    )
    assert enterprise.tier == Tier.GENERAL


def test_enterprise_create_refuses_a_tier_against_the_rule(bureau, carol):
    with pytest.raises(DomainError, match="city-controlled or higher key emitter"):
        services.enterprise_create(
            actor=carol, bureau=bureau, uscc=valid_uscc(33), name="甲", city_controlled_key=True, tier=Tier.GENERAL
        )
    assert not Enterprise.objects.exists()
    assert not AuditEntry.objects.exists()


def test_enterprise_create_refuses_a_wrong_uscc_and_names_it(bureau, carol):
    with pytest.raises(DomainError, match="USCC 91411081380244962D has a wrong check character"):
        services.enterprise_create(actor=carol, bureau=bureau, uscc="91411081380244962d", name="甲")
    assert not Enterprise.objects.exists()


def test_enterprise_create_refuses_a_uscc_already_registered(bureau, carol, enterprise):
    with pytest.raises(DomainError, match="already registered in this bureau for 许昌宏达化工有限公司"):
        services.enterprise_create(actor=carol, bureau=bureau, uscc=enterprise.uscc, name="另一家")
    assert Enterprise.objects.count() == 1


def test_enterprise_create_same_uscc_in_another_bureau_is_allowed(bureau, other_bureau, carol, enterprise):
    services.enterprise_create(actor=carol, bureau=other_bureau, uscc=enterprise.uscc, name="同一企业")
    assert Enterprise.objects.filter(uscc=enterprise.uscc).count() == 2


def test_enterprise_create_refuses_a_future_status_date(bureau, carol):
    with pytest.raises(DomainError, match="future"):
        services.enterprise_create(
            actor=carol,
            bureau=bureau,
            uscc=valid_uscc(34),
            name="甲",
            status=EnterpriseStatus.SUSPENDED,
            status_since=TODAY + timedelta(days=1),
        )


def test_enterprise_create_refuses_unknown_fields(bureau, carol):
    with pytest.raises(TypeError, match="not editable here: bureau_id"):
        services.enterprise_create(actor=carol, bureau=bureau, uscc=valid_uscc(35), name="甲", bureau_id=9)


# --- enterprise_update --------------------------------------------------------------------------


def test_enterprise_update_audits_only_the_changed_fields(carol, enterprise):
    services.enterprise_update(
        actor=carol, enterprise=enterprise, name="许昌宏达化工有限公司", phone="0374-1234567", pollutes_air=False
    )
    enterprise.refresh_from_db()
    assert (enterprise.phone, enterprise.pollutes_air) == ("0374-1234567", False)
    entry = AuditEntry.objects.get()
    assert entry.action == "enterprises.enterprise_updated"
    assert entry.data == {
        "before": {"phone": "", "pollutes_air": True},
        "after": {"phone": "0374-1234567", "pollutes_air": False},
    }


def test_enterprise_update_without_change_is_a_no_op(carol, enterprise, town):
    services.enterprise_update(actor=carol, enterprise=enterprise, name=enterprise.name, division=town)
    assert not AuditEntry.objects.exists()


def test_enterprise_update_related_fields_are_audited_by_code(carol, enterprise, db):
    from enterprises.models import Industry

    services.enterprise_update(actor=carol, enterprise=enterprise, industry=Industry.objects.get(code="2641"))
    assert AuditEntry.objects.get().data == {"before": {"industry": "2614"}, "after": {"industry": "2641"}}


def test_enterprise_update_checks_the_tier_rule_when_criteria_change(carol, enterprise):
    with pytest.raises(DomainError, match="city-controlled"):
        services.enterprise_update(actor=carol, enterprise=enterprise, city_controlled_key=True)
    enterprise.refresh_from_db()
    assert enterprise.city_controlled_key is False
    services.enterprise_update(actor=carol, enterprise=enterprise, city_controlled_key=True, tier=Tier.KEY)
    enterprise.refresh_from_db()
    assert (enterprise.city_controlled_key, enterprise.tier) == (True, Tier.KEY)


def test_enterprise_update_uscc_is_validated_and_unique(bureau, carol, enterprise):
    other = EnterpriseFactory(bureau=bureau, uscc=valid_uscc(40))
    with pytest.raises(DomainError, match="wrong check character"):
        services.enterprise_update(actor=carol, enterprise=enterprise, uscc="91411081380244962D")
    with pytest.raises(DomainError, match="already registered"):
        services.enterprise_update(actor=carol, enterprise=enterprise, uscc=other.uscc)
    services.enterprise_update(actor=carol, enterprise=enterprise, uscc=valid_uscc(41).lower())
    enterprise.refresh_from_db()
    assert enterprise.uscc == valid_uscc(41)


def test_enterprise_update_cannot_change_the_status(carol, enterprise):
    with pytest.raises(TypeError):
        services.enterprise_update(actor=carol, enterprise=enterprise, status=EnterpriseStatus.CLOSED)


# --- enterprise_change_status -------------------------------------------------------------------


def test_change_status_is_dated_and_kept(carol, enterprise):
    change = services.enterprise_change_status(
        actor=carol,
        enterprise=enterprise,
        status=EnterpriseStatus.SUSPENDED,
        effective_date=date(2026, 10, 1),
        reason="停产整治",
    )
    enterprise.refresh_from_db()
    assert (enterprise.status, enterprise.status_since) == (EnterpriseStatus.SUSPENDED, date(2026, 10, 1))
    assert list(
        EnterpriseStatusChange.objects.values_list(
            "old_status", "new_status", "effective_date", "reason", "recorded_by"
        )
    ) == [("operating", "suspended", date(2026, 10, 1), "停产整治", carol.pk)]
    assert change.pk is not None
    entry = AuditEntry.objects.get()
    assert entry.action == "enterprises.enterprise_status_changed"
    assert entry.data == {
        "before": {"status": "operating", "status_since": None},
        "after": {"status": "suspended", "status_since": "2026-10-01"},
        "reason": "停产整治",
    }
    services.enterprise_change_status(
        actor=carol, enterprise=enterprise, status=EnterpriseStatus.OPERATING, effective_date=date(2026, 11, 20)
    )
    assert EnterpriseStatusChange.objects.count() == 2
    assert Enterprise.objects.drawable().filter(pk=enterprise.pk).exists()


def test_change_status_to_the_same_status_is_a_no_op(carol, enterprise):
    assert (
        services.enterprise_change_status(
            actor=carol, enterprise=enterprise, status=EnterpriseStatus.OPERATING, effective_date=TODAY
        )
        is None
    )
    assert not EnterpriseStatusChange.objects.exists()
    assert not AuditEntry.objects.exists()


def test_change_status_refuses_a_future_date(carol, enterprise):
    with pytest.raises(DomainError, match="future"):
        services.enterprise_change_status(
            actor=carol, enterprise=enterprise, status=EnterpriseStatus.CLOSED, effective_date=TODAY + timedelta(days=1)
        )
    assert not EnterpriseStatusChange.objects.exists()


def test_change_status_refuses_a_date_before_the_last_change(carol, enterprise):
    services.enterprise_change_status(
        actor=carol, enterprise=enterprise, status=EnterpriseStatus.SUSPENDED, effective_date=date(2026, 10, 1)
    )
    with pytest.raises(DomainError, match="2026-10-01"):
        services.enterprise_change_status(
            actor=carol, enterprise=enterprise, status=EnterpriseStatus.CLOSED, effective_date=date(2026, 9, 30)
        )
    enterprise.refresh_from_db()
    assert enterprise.status == EnterpriseStatus.SUSPENDED


def test_suspended_and_closed_enterprises_are_not_drawable(carol, enterprise, bureau):
    other = EnterpriseFactory(bureau=bureau)
    services.enterprise_change_status(
        actor=carol, enterprise=other, status=EnterpriseStatus.CLOSED, effective_date=TODAY
    )
    assert list(Enterprise.objects.for_bureau(bureau).drawable()) == [enterprise]


# --- records and risk ---------------------------------------------------------------------------


def test_record_add_writes_the_record_and_an_audit_entry(carol, enterprise):
    record = services.enterprise_record_add(
        actor=carol,
        enterprise=enterprise,
        kind=RecordKind.VIOLATION,
        date=date(2026, 5, 4),
        description=" 废气超标排放 ",
        reference="建环罚〔2026〕3号",
    )
    assert list(EnterpriseRecord.objects.values_list("enterprise", "kind", "date", "description", "reference")) == [
        (enterprise.pk, "violation", date(2026, 5, 4), "废气超标排放", "建环罚〔2026〕3号")
    ]
    assert AuditEntry.objects.get().data == {
        "after": {
            "record": record.pk,
            "kind": "violation",
            "date": "2026-05-04",
            "description": "废气超标排放",
            "reference": "建环罚〔2026〕3号",
        }
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "rumour"}, "Unknown kind"),
        ({"date": TODAY + timedelta(days=1)}, "future"),
        ({"description": "  "}, "description is required"),
    ],
)
def test_record_add_refuses_bad_input(carol, enterprise, kwargs, message):
    args = {"kind": RecordKind.COMPLAINT, "date": TODAY, "description": "异味扰民", **kwargs}
    with pytest.raises(DomainError, match=message):
        services.enterprise_record_add(actor=carol, enterprise=enterprise, **args)
    assert not EnterpriseRecord.objects.exists()


def _record(enterprise, kind, day):
    EnterpriseRecord.objects.create(enterprise=enterprise, kind=kind, date=day, description="x")


def test_risk_weights_follow_the_documented_rule(bureau, other_bureau):
    clean = EnterpriseFactory(bureau=bureau)
    one = EnterpriseFactory(bureau=bureau)
    _record(one, RecordKind.VIOLATION, date(2026, 1, 5))
    many = EnterpriseFactory(bureau=bureau)
    for kind in ["violation", "complaint", "penalty", "complaint", "violation"]:
        _record(many, kind, date(2025, 6, 1))
    old = EnterpriseFactory(bureau=bureau)
    _record(old, RecordKind.PENALTY, date(2023, 11, 23))  # exactly 3 years before: outside the window
    later = EnterpriseFactory(bureau=bureau)
    _record(later, RecordKind.VIOLATION, date(2026, 11, 24))  # after as_of: does not count
    warning = EnterpriseFactory(bureau=bureau, credit_rating=CreditRating.WARNING)
    bad = EnterpriseFactory(bureau=bureau, credit_rating=CreditRating.BAD)
    for kind in ["violation", "violation", "violation", "violation"]:
        _record(bad, kind, date(2026, 2, 1))
    excellent = EnterpriseFactory(bureau=bureau, credit_rating=CreditRating.EXCELLENT)
    foreign = EnterpriseFactory(bureau=other_bureau)
    _record(foreign, RecordKind.VIOLATION, date(2026, 1, 1))

    with CaptureQueriesContext(connection) as queries:
        weights = services.risk_weights(bureau, as_of=TODAY)
    assert len(queries) == 2  # the bureau's rule (here the defaults), then the weights
    assert weights == {
        clean.pk: 1,
        one.pk: 2,
        many.pk: 4,
        old.pk: 1,
        later.pk: 1,
        warning.pk: 2,
        bad.pk: 6,
        excellent.pk: 1,
    }
    assert services.risk_weights(bureau, enterprise_ids=[one.pk, bad.pk, foreign.pk], as_of=TODAY) == {
        one.pk: 2,
        bad.pk: 6,
    }
    assert services.risk_weights(bureau, as_of=date(2026, 11, 24))[later.pk] == 2
    one_year = RiskRule(bureau=bureau, window_years=1)
    assert services.risk_weights(bureau, as_of=TODAY, rule=one_year)[many.pk] == 1  # its records are from 2025-06


def test_risk_weights_with_many_ids_still_one_query(bureau):
    ids = [EnterpriseFactory(bureau=bureau).pk for _ in range(3)]
    with CaptureQueriesContext(connection) as queries:
        weights = services.risk_weights(
            bureau, enterprise_ids=[*ids[:2], *range(10**6, 10**6 + 600)], as_of=TODAY, rule=RiskRule(bureau=bureau)
        )
    assert len(queries) == 1
    assert weights == {ids[0]: 1, ids[1]: 1}


# --- nothing is deleted -------------------------------------------------------------------------


def test_registry_rows_are_never_deleted(carol, enterprise):
    services.enterprise_change_status(actor=carol, enterprise=enterprise, status="closed", effective_date=TODAY)
    services.enterprise_record_add(actor=carol, enterprise=enterprise, kind="complaint", date=TODAY, description="x")
    item = CheckItemFactory(bureau=enterprise.bureau)
    for obj in (enterprise, EnterpriseStatusChange.objects.get(), EnterpriseRecord.objects.get(), item):
        with pytest.raises(PermissionError):
            obj.delete()
        with pytest.raises(PermissionError):
            type(obj).objects.all().delete()
    assert Enterprise.objects.count() == 1


# --- tag queries (used by targeted draws) --------------------------------------------------------


def test_tagged_filters(bureau, town, chem, db):
    from enterprises.models import Division, Industry

    other_town = Division.objects.get(code="411003101")
    paint = Industry.objects.get(code="2641")
    pig = Industry.objects.get(code="0313")
    a = EnterpriseFactory(bureau=bureau, division=town, industry=chem, pollutes_air=True, pollutes_water=True)
    b = EnterpriseFactory(bureau=bureau, division=other_town, industry=paint, pollutes_air=True, positive_list=True)
    c = EnterpriseFactory(bureau=bureau, division=None, industry=pig, scale="large", tier="key")
    qs = Enterprise.objects.for_bureau(bureau)
    assert set(qs.tagged(division="411003")) == {a, b}
    assert set(qs.tagged(division="411000")) == {a, b}
    assert set(qs.tagged(division="411003100")) == {a}
    assert set(qs.tagged(industry="C")) == {a, b}
    assert set(qs.tagged(industry="26")) == {a, b}
    assert set(qs.tagged(industry="264")) == {b}
    assert set(qs.tagged(industry="A")) == {c}
    assert set(qs.tagged(pollution="air")) == {a, b}
    assert set(qs.tagged(pollution=["air", "water"])) == {a}
    assert set(qs.tagged(positive_list=True)) == {b}
    assert set(qs.tagged(positive_list=False, tier="general")) == {a}
    assert set(qs.tagged(scale="large", division="", industry=None)) == {c}
    assert set(qs.search(a.uscc[-6:].lower())) == {a}
    with pytest.raises(TypeError):
        qs.tagged(colour="red")


# --- checklist ----------------------------------------------------------------------------------

ITEM = {
    "code": "SJ-09",
    "name": "自动监控基站监督检查",
    "category": "自动监控",
    "legal_basis": "《污染源自动监控管理办法》",
    "content": "自动监测设备日常运行",
    "method": "现场检查",
    "applies_to_general": False,
    "applies_to_key": True,
    "applies_to_special": True,
    "order": 1,
}


def test_checkitem_create_update_deactivate_reactivate(bureau, carol):
    item = services.checkitem_create(actor=carol, bureau=bureau, **ITEM)
    assert CheckItem.objects.filter(bureau=bureau, code="SJ-09", active=True).count() == 1
    services.checkitem_update(actor=carol, item=item, **{**ITEM, "method": "现场检查、调阅台账"})
    services.checkitem_update(actor=carol, item=item, **{**ITEM, "method": "现场检查、调阅台账"})  # no change
    services.checkitem_deactivate(actor=carol, item=item)
    services.checkitem_deactivate(actor=carol, item=item)  # repeat: no-op
    item.refresh_from_db()
    assert (item.method, item.active) == ("现场检查、调阅台账", False)
    assert list(CheckItem.objects.active()) == []
    services.checkitem_reactivate(actor=carol, item=item)
    assert list(CheckItem.objects.active().for_tier("key")) == [item]
    assert list(CheckItem.objects.active().for_tier("general")) == []
    assert list(AuditEntry.objects.order_by("id").values_list("action", "data")) == [
        ("enterprises.checkitem_created", {"after": ITEM}),
        (
            "enterprises.checkitem_updated",
            {"before": {"method": "现场检查"}, "after": {"method": "现场检查、调阅台账"}},
        ),
        ("enterprises.checkitem_deactivated", {"before": {"active": True}, "after": {"active": False}}),
        ("enterprises.checkitem_reactivated", {"before": {"active": False}, "after": {"active": True}}),
    ]


def test_checkitem_must_apply_to_a_tier_and_have_a_unique_code(bureau, carol):
    with pytest.raises(DomainError, match="at least one tier"):
        services.checkitem_create(
            actor=carol, bureau=bureau, **{**ITEM, "applies_to_key": False, "applies_to_special": False}
        )
    services.checkitem_create(actor=carol, bureau=bureau, **ITEM)
    with pytest.raises(DomainError, match="SJ-09 is already used"):
        services.checkitem_create(actor=carol, bureau=bureau, **ITEM)
    with pytest.raises(DomainError, match="required"):
        services.checkitem_create(actor=carol, bureau=bureau, **{**ITEM, "code": "SJ-10", "legal_basis": " "})
    assert CheckItem.objects.count() == 1
