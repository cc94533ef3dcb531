from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from core.audit import verify_chain
from core.enums import Role
from core.models import AuditEntry
from inspectors import services
from inspectors.enums import ExpertKind, InspectorKind
from inspectors.models import Conflict, Expert, Inspector, LeavePeriod
from inspectors.services import InvalidFields
from tests.factories import EnterpriseFactory, InspectorFactory, MembershipFactory, UserFactory


def entries(action=None):
    qs = AuditEntry.objects.order_by("id")
    if action:
        qs = qs.filter(action=action)
    return list(qs)


def create(carol, bureau, **overrides):
    values = {
        "code": "ZF101",
        "name": "刘执法",
        "kind": InspectorKind.ENFORCEMENT,
        "unit": "执法大队一中队",
        "phone": "13800000001",
        "certificate_number": "豫环执00000101",
        "certificate_valid_from": date(2024, 1, 1),
        "certificate_valid_until": date(2028, 12, 31),
    }
    values.update(overrides)
    return services.inspector_create(actor=carol, bureau=bureau, **values)


# --- inspector_create ----------------------------------------------------------------------------


def test_inspector_create_writes_row_specialties_and_audit(carol, bureau, industry, division):
    inspector = create(
        carol, bureau, specialties=[industry("2614"), industry("27")], region=division("411003001"), code=" ZF101 "
    )
    inspector.refresh_from_db()
    assert (inspector.bureau, inspector.code, inspector.name, inspector.unit) == (
        bureau,
        "ZF101",
        "刘执法",
        "执法大队一中队",
    )
    assert (inspector.certificate_valid_from, inspector.certificate_valid_until) == (
        date(2024, 1, 1),
        date(2028, 12, 31),
    )
    assert inspector.region.code == "411003001"
    assert inspector.active is True
    assert sorted(inspector.specialties.values_list("code", flat=True)) == ["2614", "27"]
    (entry,) = entries()
    assert entry.action == "inspectors.inspector_created"
    assert (entry.object_type, entry.object_id, entry.actor_name) == (
        "inspectors.inspector",
        str(inspector.pk),
        "赵名录",
    )
    assert entry.data == {
        "after": {
            "code": "ZF101",
            "name": "刘执法",
            "kind": "enforcement",
            "unit": "执法大队一中队",
            "phone": "13800000001",
            "certificate_number": "豫环执00000101",
            "certificate_valid_from": "2024-01-01",
            "certificate_valid_until": "2028-12-31",
            "specialty_note": "",
            "region": "411003001",
            "specialties": ["2614", "27"],
        }
    }


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"code": "", "name": ""}, {"code", "name"}),
        ({"code": "ZF 1"}, {"code"}),
        ({"code": "Z" * 21}, {"code"}),
        ({"kind": "boss"}, {"kind"}),
        (
            {"certificate_valid_from": None, "certificate_valid_until": None},
            {"certificate_valid_from", "certificate_valid_until"},
        ),
        ({"certificate_number": ""}, {"certificate_number"}),
        ({"certificate_valid_until": date(2023, 12, 31)}, {"certificate_valid_until"}),
    ],
)
def test_inspector_create_refuses_invalid_values(carol, bureau, overrides, errors):
    with pytest.raises(InvalidFields) as caught:
        create(carol, bureau, **overrides)
    assert set(caught.value.errors) == errors
    assert Inspector.objects.count() == 0
    assert entries() == []


def test_inspector_create_refuses_taken_code_and_certificate_in_the_same_bureau(carol, bureau, other_bureau):
    InspectorFactory(bureau=bureau, code="ZF101", name="甲", certificate_number="豫环执1")
    with pytest.raises(InvalidFields) as caught:
        create(carol, bureau, certificate_number="豫环执1")
    assert caught.value.errors == {
        "code": "人员编号 ZF101 已被 甲 使用。",
        "certificate_number": "执法证 豫环执1 已登记在 甲 (ZF101) 名下。",
    }
    # The same code and certificate in another bureau's registry are no clash.
    assert create(carol, other_bureau, certificate_number="豫环执1").bureau == other_bureau


def test_inspector_without_certificate_is_allowed(carol, bureau):
    inspector = create(
        carol,
        bureau,
        kind=InspectorKind.SUPERVISION,
        certificate_number="",
        certificate_valid_from=None,
        certificate_valid_until=None,
    )
    assert inspector.certificate_number == "" and inspector.kind == "supervision"


# --- inspector_update ----------------------------------------------------------------------------


def test_inspector_update_saves_and_audits_only_changed_fields(carol, bureau, industry):
    inspector = create(carol, bureau, specialties=[industry("2614")])
    services.inspector_update(
        actor=carol,
        inspector=inspector,
        name="刘执法",  # unchanged
        phone="13900000000",
        specialties=[industry("2614"), industry("2710")],
    )
    inspector.refresh_from_db()
    assert inspector.phone == "13900000000"
    assert sorted(inspector.specialties.values_list("code", flat=True)) == ["2614", "2710"]
    entry = entries("inspectors.inspector_updated")[0]
    assert entry.data == {
        "before": {"phone": "13800000001", "specialties": ["2614"]},
        "after": {"phone": "13900000000", "specialties": ["2614", "2710"]},
    }


def test_inspector_update_without_change_is_a_noop(carol, bureau, industry):
    inspector = create(carol, bureau, specialties=[industry("2614")])
    services.inspector_update(actor=carol, inspector=inspector, name=" 刘执法 ", specialties=[industry("2614")])
    assert entries("inspectors.inspector_updated") == []


def test_inspector_update_refuses_a_code_taken_by_another(carol, bureau):
    InspectorFactory(bureau=bureau, code="ZF200", name="乙")
    inspector = create(carol, bureau)
    with pytest.raises(InvalidFields) as caught:
        services.inspector_update(actor=carol, inspector=inspector, code="ZF200", phone="1")
    assert set(caught.value.errors) == {"code"}
    inspector.refresh_from_db()
    assert (inspector.code, inspector.phone) == ("ZF101", "13800000001")
    assert entries("inspectors.inspector_updated") == []


def test_inspector_update_checks_the_resulting_certificate(carol, bureau):
    inspector = create(carol, bureau)
    with pytest.raises(InvalidFields) as caught:
        services.inspector_update(actor=carol, inspector=inspector, certificate_valid_until=date(2020, 1, 1))
    assert set(caught.value.errors) == {"certificate_valid_until"}


def test_inspector_update_rejects_unknown_fields(carol, bureau):
    inspector = create(carol, bureau)
    with pytest.raises(TypeError):
        services.inspector_update(actor=carol, inspector=inspector, active=False)


# --- transfer ------------------------------------------------------------------------------------


def test_inspector_transfer_makes_inactive_and_keeps_the_row(carol, bureau):
    inspector = create(carol, bureau)
    services.inspector_transfer(actor=carol, inspector=inspector, on=date(2026, 1, 5), reason="调往市局")
    inspector.refresh_from_db()
    assert (inspector.active, inspector.inactive_since, inspector.inactive_reason) == (
        False,
        date(2026, 1, 5),
        "调往市局",
    )
    (entry,) = entries("inspectors.inspector_transferred")
    assert entry.data == {
        "before": {"active": True},
        "after": {"active": False, "inactive_since": "2026-01-05", "inactive_reason": "调往市局"},
    }
    # Repeating it changes nothing.
    services.inspector_transfer(actor=carol, inspector=inspector, on=date(2026, 2, 1), reason="再次")
    inspector.refresh_from_db()
    assert inspector.inactive_since == date(2026, 1, 5)
    assert len(entries("inspectors.inspector_transferred")) == 1
    assert Inspector.objects.filter(pk=inspector.pk).exists()


def test_inspector_transfer_needs_a_reason_and_a_past_date(carol, bureau):
    inspector = create(carol, bureau)
    with pytest.raises(InvalidFields) as caught:
        services.inspector_transfer(actor=carol, inspector=inspector, on=date(2026, 1, 5), reason="  ")
    assert set(caught.value.errors) == {"reason"}
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(InvalidFields) as caught:
        services.inspector_transfer(actor=carol, inspector=inspector, on=tomorrow, reason="调离")
    assert set(caught.value.errors) == {"on"}
    inspector.refresh_from_db()
    assert inspector.active is True


def test_inspector_reactivate_clears_the_transfer_and_is_audited(carol, bureau):
    inspector = create(carol, bureau)
    services.inspector_reactivate(actor=carol, inspector=inspector, reason="noop")
    assert entries("inspectors.inspector_reactivated") == []
    services.inspector_transfer(actor=carol, inspector=inspector, on=date(2026, 1, 5), reason="借调")
    services.inspector_reactivate(actor=carol, inspector=inspector, reason="借调结束")
    inspector.refresh_from_db()
    assert (inspector.active, inspector.inactive_since, inspector.inactive_reason) == (True, None, "")
    (entry,) = entries("inspectors.inspector_reactivated")
    assert entry.data == {
        "before": {"active": False, "inactive_since": "2026-01-05", "inactive_reason": "借调"},
        "after": {"active": True},
        "reason": "借调结束",
    }


# --- login account -------------------------------------------------------------------------------


def test_inspector_link_account_links_unlinks_and_audits(carol, bureau):
    user = UserFactory(username="wu", first_name="吴检查")
    MembershipFactory(user=user, bureau=bureau, role=Role.INSPECTOR)
    inspector = create(carol, bureau)
    services.inspector_link_account(actor=carol, inspector=inspector, user=user)
    services.inspector_link_account(actor=carol, inspector=inspector, user=user)
    inspector.refresh_from_db()
    assert inspector.user == user
    services.inspector_link_account(actor=carol, inspector=inspector, user=None)
    inspector.refresh_from_db()
    assert inspector.user is None
    assert [e.data for e in entries("inspectors.inspector_account_linked")] == [
        {"before": {"user": None}, "after": {"user": "wu"}},
        {"before": {"user": "wu"}, "after": {"user": None}},
    ]


def test_inspector_link_account_refuses_strangers_and_taken_accounts(carol, bureau, other_bureau, bob, mallory):
    inspector = create(carol, bureau)
    with pytest.raises(InvalidFields) as caught:
        services.inspector_link_account(actor=carol, inspector=inspector, user=mallory)
    assert caught.value.errors == {"user": "该账号在本单位没有角色。"}
    with pytest.raises(InvalidFields) as caught:
        services.inspector_link_account(actor=carol, inspector=inspector, user=bob)
    assert caught.value.errors == {"user": "该账号已关联到 王检查 (ZF001)。"}
    inspector.refresh_from_db()
    assert inspector.user is None


# --- leave ---------------------------------------------------------------------------------------


def test_leave_add_records_the_period_and_audits_it_on_the_inspector(carol, bureau):
    inspector = create(carol, bureau)
    leave = services.leave_add(
        actor=carol, inspector=inspector, start=date(2026, 12, 1), end=date(2026, 12, 31), reason="年休假"
    )
    assert list(LeavePeriod.objects.values_list("inspector_id", "start", "end", "reason")) == [
        (inspector.pk, date(2026, 12, 1), date(2026, 12, 31), "年休假")
    ]
    (entry,) = entries("inspectors.leave_added")
    assert (entry.object_type, entry.object_id) == ("inspectors.inspector", str(inspector.pk))
    assert entry.data == {"after": {"id": leave.pk, "start": "2026-12-01", "end": "2026-12-31", "reason": "年休假"}}


def test_leave_add_refuses_end_before_start(carol, bureau):
    inspector = create(carol, bureau)
    with pytest.raises(InvalidFields) as caught:
        services.leave_add(actor=carol, inspector=inspector, start=date(2026, 12, 2), end=date(2026, 12, 1))
    assert caught.value.errors == {"end": "休假结束日期不能早于开始日期。"}
    assert LeavePeriod.objects.count() == 0


@pytest.mark.parametrize(
    ("start", "end", "refused"),
    [
        (date(2026, 11, 20), date(2026, 12, 1), True),  # ends on the first day
        (date(2026, 12, 31), date(2027, 1, 5), True),  # starts on the last day
        (date(2026, 12, 10), date(2026, 12, 12), True),  # inside
        (date(2026, 11, 1), date(2027, 1, 31), True),  # around
        (date(2026, 11, 20), date(2026, 11, 30), False),  # ends the day before
        (date(2027, 1, 1), date(2027, 1, 5), False),  # starts the day after
    ],
)
def test_leave_add_refuses_overlap_with_the_same_inspector(carol, bureau, start, end, refused):
    inspector = create(carol, bureau)
    services.leave_add(actor=carol, inspector=inspector, start=date(2026, 12, 1), end=date(2026, 12, 31))
    if refused:
        with pytest.raises(InvalidFields) as caught:
            services.leave_add(actor=carol, inspector=inspector, start=start, end=end)
        assert caught.value.errors == {None: "与已登记的休假（2026-12-01 至 2026-12-31）重叠。"}
        assert LeavePeriod.objects.count() == 1
    else:
        services.leave_add(actor=carol, inspector=inspector, start=start, end=end)
        assert LeavePeriod.objects.count() == 2


def test_leave_of_another_inspector_does_not_clash(carol, bureau):
    first, second = create(carol, bureau), create(carol, bureau, code="ZF102", certificate_number="豫环执2")
    services.leave_add(actor=carol, inspector=first, start=date(2026, 12, 1), end=date(2026, 12, 31))
    services.leave_add(actor=carol, inspector=second, start=date(2026, 12, 1), end=date(2026, 12, 31))
    assert LeavePeriod.objects.count() == 2


def test_leave_add_same_period_twice_is_a_noop(carol, bureau):
    inspector = create(carol, bureau)
    first = services.leave_add(actor=carol, inspector=inspector, start=date(2026, 12, 1), end=date(2026, 12, 31))
    again = services.leave_add(actor=carol, inspector=inspector, start=date(2026, 12, 1), end=date(2026, 12, 31))
    assert again.pk == first.pk
    assert len(entries("inspectors.leave_added")) == 1


def test_leave_remove_deletes_and_audits_once(carol, bureau):
    inspector = create(carol, bureau)
    leave = services.leave_add(actor=carol, inspector=inspector, start=date(2026, 12, 1), end=date(2026, 12, 3))
    services.leave_remove(actor=carol, leave=leave)
    services.leave_remove(actor=carol, leave=leave)
    assert LeavePeriod.objects.count() == 0
    (entry,) = entries("inspectors.leave_removed")
    assert entry.data == {"before": {"id": leave.pk, "start": "2026-12-01", "end": "2026-12-03", "reason": ""}}


# --- conflicts -----------------------------------------------------------------------------------


@time_machine.travel(date(2026, 3, 2))
def test_conflict_declare_records_the_pair_and_audits(carol, bureau):
    inspector = create(carol, bureau)
    enterprise = EnterpriseFactory(bureau=bureau, name="许昌宏达化工有限公司")
    conflict = services.conflict_declare(actor=carol, inspector=inspector, enterprise=enterprise, reason=" 配偶任职 ")
    assert (conflict.inspector, conflict.enterprise, conflict.reason, conflict.declared_on) == (
        inspector,
        enterprise,
        "配偶任职",
        date(2026, 3, 2),
    )
    (entry,) = entries("inspectors.conflict_declared")
    assert entry.object_id == str(inspector.pk)
    assert entry.data == {
        "after": {
            "enterprise": enterprise.uscc,
            "enterprise_name": "许昌宏达化工有限公司",
            "reason": "配偶任职",
            "declared_on": "2026-03-02",
        }
    }
    again = services.conflict_declare(actor=carol, inspector=inspector, enterprise=enterprise, reason="另一个理由")
    assert again.pk == conflict.pk and again.reason == "配偶任职"
    assert len(entries("inspectors.conflict_declared")) == 1


def test_conflict_declare_needs_a_reason_and_the_same_bureau(carol, bureau, other_bureau):
    inspector = create(carol, bureau)
    with pytest.raises(InvalidFields) as caught:
        services.conflict_declare(
            actor=carol, inspector=inspector, enterprise=EnterpriseFactory(bureau=bureau), reason=""
        )
    assert set(caught.value.errors) == {"reason"}
    with pytest.raises(InvalidFields) as caught:
        services.conflict_declare(
            actor=carol, inspector=inspector, enterprise=EnterpriseFactory(bureau=other_bureau), reason="亲属"
        )
    assert set(caught.value.errors) == {"enterprise"}
    assert Conflict.objects.count() == 0


def test_conflict_withdraw_deletes_with_a_reason(carol, bureau):
    inspector = create(carol, bureau)
    enterprise = EnterpriseFactory(bureau=bureau)
    conflict = services.conflict_declare(actor=carol, inspector=inspector, enterprise=enterprise, reason="亲属")
    with pytest.raises(InvalidFields):
        services.conflict_withdraw(actor=carol, conflict=conflict, reason="")
    services.conflict_withdraw(actor=carol, conflict=conflict, reason="亲属已离职")
    services.conflict_withdraw(actor=carol, conflict=conflict, reason="亲属已离职")
    assert Conflict.objects.count() == 0
    (entry,) = entries("inspectors.conflict_withdrawn")
    assert entry.data["reason"] == "亲属已离职"
    assert entry.data["before"]["enterprise"] == enterprise.uscc


# --- experts -------------------------------------------------------------------------------------


def test_expert_create_update_deactivate(carol, bureau, industry, division):
    expert = services.expert_create(
        actor=carol,
        bureau=bureau,
        name="周建华",
        kind=ExpertKind.MONITORING_STATION,
        organisation="许昌市建安区环境监测站",
        title="高级工程师",
        region=division("411003001"),
        industries=[industry("26")],
    )
    assert list(expert.industries.values_list("code", flat=True)) == ["26"]
    services.expert_update(actor=carol, expert=expert, title="正高级工程师", industries=[industry("26")])
    (updated,) = entries("inspectors.expert_updated")
    assert updated.data == {"before": {"title": "高级工程师"}, "after": {"title": "正高级工程师"}}
    services.expert_deactivate(actor=carol, expert=expert)
    services.expert_deactivate(actor=carol, expert=expert)
    assert Expert.objects.get(pk=expert.pk).active is False
    assert len(entries("inspectors.expert_deactivated")) == 1
    services.expert_reactivate(actor=carol, expert=expert)
    assert Expert.objects.get(pk=expert.pk).active is True
    assert [e.action for e in entries()] == [
        "inspectors.expert_created",
        "inspectors.expert_updated",
        "inspectors.expert_deactivated",
        "inspectors.expert_reactivated",
    ]
    assert verify_chain().ok


def test_expert_create_refuses_duplicates_and_missing_values(carol, bureau):
    services.expert_create(actor=carol, bureau=bureau, name="孙丽", kind="institute", organisation="科学研究院")
    with pytest.raises(InvalidFields) as caught:
        services.expert_create(actor=carol, bureau=bureau, name="孙丽", kind="institute", organisation="科学研究院")
    assert set(caught.value.errors) == {"name"}
    with pytest.raises(InvalidFields) as caught:
        services.expert_create(actor=carol, bureau=bureau, name="", kind="guru", organisation="")
    assert set(caught.value.errors) == {"name", "kind", "organisation"}
    assert Expert.objects.count() == 1
