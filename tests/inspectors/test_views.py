from datetime import date, datetime

import pytest
import time_machine
from django.test import Client

from core.models import AuditEntry
from inspectors.models import Conflict, Expert, Inspector, LeavePeriod
from tests.factories import EnterpriseFactory, InspectorFactory


@pytest.fixture
def zf(bureau):
    """An inspector of jianan with a leave period, a conflict and an expert beside him."""
    inspector = InspectorFactory(bureau=bureau, code="ZF100", name="周检查", unit="一中队")
    leave = LeavePeriod.objects.create(inspector=inspector, start=date(2026, 12, 1), end=date(2026, 12, 31))
    conflict = Conflict.objects.create(inspector=inspector, enterprise=EnterpriseFactory(bureau=bureau), reason="亲属")
    expert = Expert.objects.create(bureau=bureau, name="孙丽", kind="institute", organisation="科学研究院")
    return {"inspector": inspector, "leave": leave, "conflict": conflict, "expert": expert}


def urls(zf):
    pk = zf["inspector"].pk
    return {
        "list": ("get", "/inspectors/"),
        "detail": ("get", f"/inspectors/{pk}/"),
        "create": ("post", "/inspectors/new/"),
        "edit": ("post", f"/inspectors/{pk}/edit/"),
        "transfer": ("post", f"/inspectors/{pk}/transfer/"),
        "account": ("post", f"/inspectors/{pk}/account/"),
        "leave-add": ("post", f"/inspectors/{pk}/leave/"),
        "leave-remove": ("post", f"/inspectors/{pk}/leave/{zf['leave'].pk}/remove/"),
        "conflict-add": ("post", f"/inspectors/{pk}/conflicts/"),
        "conflict-remove": ("post", f"/inspectors/{pk}/conflicts/{zf['conflict'].pk}/withdraw/"),
        "import": ("post", "/inspectors/import/"),
        "import-template": ("get", "/inspectors/import/template.xlsx"),
        "export": ("get", "/inspectors/export.xlsx"),
        "expert-list": ("get", "/inspectors/experts/"),
        "expert-create": ("post", "/inspectors/experts/new/"),
        "expert-edit": ("post", f"/inspectors/experts/{zf['expert'].pk}/edit/"),
        "expert-deactivate": ("post", f"/inspectors/experts/{zf['expert'].pk}/active/"),
    }


WRITES = [
    "create",
    "edit",
    "transfer",
    "account",
    "leave-add",
    "leave-remove",
    "conflict-add",
    "conflict-remove",
    "import",
    "expert-create",
    "expert-edit",
    "expert-deactivate",
]
OBJECT_PAGES = [
    "detail",
    "edit",
    "transfer",
    "account",
    "leave-add",
    "leave-remove",
    "conflict-add",
    "conflict-remove",
    "expert-edit",
    "expert-deactivate",
]
VALID_POSTS = {
    "create": {"code": "ZF300", "name": "新人", "kind": "enforcement"},
    "edit": {"code": "ZF100", "name": "周检查改", "kind": "enforcement"},
    "transfer": {"action": "transfer", "transfer-on": "2026-01-05", "transfer-reason": "调离"},
    "leave-add": {"leave-start": "2027-01-01", "leave-end": "2027-01-02"},
    "conflict-add": {"conflict-enterprise": "化工", "conflict-reason": "亲属"},
    "conflict-remove": {"withdraw-reason": "亲属离职"},
    "expert-create": {"name": "郭明", "kind": "specialist", "organisation": "协会"},
    "expert-edit": {"name": "孙丽", "kind": "institute", "organisation": "科学研究院", "title": "研究员"},
}


def state():
    return (
        list(Inspector.objects.order_by("pk").values()),
        list(LeavePeriod.objects.order_by("pk").values()),
        list(Conflict.objects.order_by("pk").values()),
        list(Expert.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("name", ["list", "detail", "import-template", "export", "expert-list", *WRITES])
def test_anonymous_is_sent_to_login(zf, name):
    method, url = urls(zf)[name]
    response = getattr(Client(), method)(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("name", WRITES)
def test_auditor_cannot_change_anything(client_for, dave, zf, name):
    before = state()
    _method, url = urls(zf)[name]
    response = client_for(dave).post(url, VALID_POSTS.get(name, {}))
    assert response.status_code == 403
    assert state() == before


@pytest.mark.parametrize("name", WRITES)
def test_team_lead_and_inspector_cannot_change_the_registry(client_for, alice, bob, zf, name):
    before = state()
    _method, url = urls(zf)[name]
    for user in (alice, bob):
        assert client_for(user).post(url, VALID_POSTS.get(name, {})).status_code == 403
    assert state() == before


@pytest.mark.parametrize("name", OBJECT_PAGES)
def test_other_bureau_gets_404_on_our_objects(client_for, mallory, zf, name):
    before = state()
    method, url = urls(zf)[name]
    response = getattr(client_for(mallory), method)(url, VALID_POSTS.get(name, {}))
    assert response.status_code == 404
    assert state() == before


def test_other_bureau_lists_show_none_of_ours(client_for, mallory, zf):
    client = client_for(mallory)
    assert "周检查" not in client.get("/inspectors/").content.decode()
    assert "孙丽" not in client.get("/inspectors/experts/").content.decode()


@pytest.mark.parametrize(
    "name", ["transfer", "account", "leave-add", "leave-remove", "conflict-add", "conflict-remove", "expert-deactivate"]
)
def test_get_on_a_transition_changes_nothing(client_for, carol, zf, name):
    before = state()
    _method, url = urls(zf)[name]
    assert client_for(carol).get(url).status_code == 405
    assert state() == before


@pytest.mark.parametrize("name", ["list", "detail", "import-template", "export", "expert-list"])
def test_every_staff_role_may_read(client_for, alice, bob, dave, zf, name):
    _method, url = urls(zf)[name]
    for user in (alice, bob, dave):
        response = client_for(user).get(url)
        assert response.status_code == 200
        if name in ("import-template", "export"):  # an xlsx: a zip
            assert response.content[:2] == b"PK"
        else:
            shown = {"list": "周检查", "detail": "ZF100", "expert-list": "孙丽"}[name]
            assert shown in response.content.decode()


# --- creating and editing ------------------------------------------------------------------------


def test_carol_creates_an_inspector(client_for, carol, bureau, industry, division):
    response = client_for(carol).post(
        "/inspectors/new/",
        {
            "code": "ZF300",
            "name": "吴新人",
            "kind": "supervision",
            "unit": "环评股",
            "phone": "13900000000",
            "certificate_number": "豫环执300",
            "certificate_valid_from": "2025-01-01",
            "certificate_valid_until": "2029-12-31",
            "specialties": [industry("2614").pk, industry("2710").pk],
            "specialty_note": "化工",
            "region": division("411003100").pk,
        },
    )
    inspector = Inspector.objects.get(code="ZF300")
    assert response.status_code == 302 and response["Location"] == f"/inspectors/{inspector.pk}/"
    assert (inspector.bureau, inspector.name, inspector.kind, inspector.unit, inspector.region.code) == (
        bureau,
        "吴新人",
        "supervision",
        "环评股",
        "411003100",
    )
    assert (inspector.certificate_valid_from, inspector.certificate_valid_until) == (
        date(2025, 1, 1),
        date(2029, 12, 31),
    )
    assert sorted(inspector.specialties.values_list("code", flat=True)) == ["2614", "2710"]
    assert AuditEntry.objects.get().action == "inspectors.inspector_created"


def test_create_with_errors_keeps_what_was_typed(client_for, carol, zf):
    response = client_for(carol).post(
        "/inspectors/new/",
        {"code": "ZF100", "name": "重复编号", "kind": "enforcement", "certificate_number": "豫环执X"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="重复编号"' in body and 'value="豫环执X"' in body
    assert "人员编号 ZF100 已被 周检查 使用。" in body
    assert "请填写执法证有效期（起止日期）。" in body
    assert 'aria-invalid="true"' in body
    assert Inspector.objects.count() == 1


def test_edit_shows_current_values_and_saves_changes(client_for, carol, zf):
    inspector = zf["inspector"]
    client = client_for(carol)
    form = client.get(f"/inspectors/{inspector.pk}/edit/").content.decode()
    assert 'value="ZF100"' in form and 'value="周检查"' in form and 'value="2024-01-01"' in form
    response = client.post(
        f"/inspectors/{inspector.pk}/edit/",
        {
            "code": "ZF100",
            "name": "周检查",
            "kind": "enforcement",
            "unit": "二中队",
            "certificate_number": inspector.certificate_number,
            "certificate_valid_from": "2024-01-01",
            "certificate_valid_until": "2028-12-31",
        },
    )
    assert response.status_code == 302
    inspector.refresh_from_db()
    assert inspector.unit == "二中队"
    entry = AuditEntry.objects.get(action="inspectors.inspector_updated")
    assert entry.data == {"before": {"unit": "一中队"}, "after": {"unit": "二中队"}}
    detail = client.get(f"/inspectors/{inspector.pk}/").content.decode()
    assert "所属单位: 一中队 → 二中队" in detail


# --- transitions from the detail page ------------------------------------------------------------


def test_link_the_login_account(client_for, carol, bob, zf):
    inspector, client = zf["inspector"], client_for(carol)
    options = client.get(f"/inspectors/{inspector.pk}/").content.decode()
    assert "王检查 (bob)" in options and "赵名录 (carol)" not in options  # only accounts with the inspector role
    # bob is linked to ZF001 already: refused, shown next to the field
    body = client.post(f"/inspectors/{inspector.pk}/account/", {"account-user": bob.pk}).content.decode()
    assert "该账号已关联到 王检查 (ZF001)。" in body
    Inspector.objects.filter(user=bob).update(user=None)
    response = client.post(f"/inspectors/{inspector.pk}/account/", {"account-user": bob.pk})
    assert response.status_code == 302
    inspector.refresh_from_db()
    assert inspector.user == bob


def test_transfer_and_bring_back(client_for, carol, zf):
    inspector, client = zf["inspector"], client_for(carol)
    response = client.post(
        f"/inspectors/{inspector.pk}/transfer/",
        {"action": "transfer", "transfer-on": "2026-01-05", "transfer-reason": "调往市局"},
    )
    assert response.status_code == 302
    inspector.refresh_from_db()
    assert (inspector.active, inspector.inactive_since, inspector.inactive_reason) == (
        False,
        date(2026, 1, 5),
        "调往市局",
    )
    body = client.get(f"/inspectors/{inspector.pk}/").content.decode()
    assert "已于 2026-01-05 调离/停用: 调往市局" in body
    client.post(f"/inspectors/{inspector.pk}/transfer/", {"action": "reactivate", "reactivate-reason": "回局"})
    inspector.refresh_from_db()
    assert inspector.active is True


def test_transfer_without_reason_shows_the_error(client_for, carol, zf):
    inspector = zf["inspector"]
    response = client_for(carol).post(
        f"/inspectors/{inspector.pk}/transfer/", {"action": "transfer", "transfer-on": "2026-01-05"}
    )
    assert response.status_code == 200
    assert "这个字段是必填项。" in response.content.decode()
    inspector.refresh_from_db()
    assert inspector.active is True


def test_leave_add_and_overlap_error(client_for, carol, zf):
    inspector, client = zf["inspector"], client_for(carol)
    response = client.post(
        f"/inspectors/{inspector.pk}/leave/",
        {"leave-start": "2027-01-01", "leave-end": "2027-01-10", "leave-reason": "探亲假"},
    )
    assert response.status_code == 302 and response["Location"] == f"/inspectors/{inspector.pk}/#leave"
    response = client.post(
        f"/inspectors/{inspector.pk}/leave/", {"leave-start": "2026-12-31", "leave-end": "2027-01-01"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "与已登记的休假（2026-12-01 至 2026-12-31）重叠。" in body
    assert 'value="2026-12-31"' in body
    assert list(LeavePeriod.objects.filter(inspector=inspector).order_by("start").values_list("start", "end")) == [
        (date(2026, 12, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 10)),
    ]


def test_leave_remove(client_for, carol, zf):
    inspector = zf["inspector"]
    client_for(carol).post(f"/inspectors/{inspector.pk}/leave/{zf['leave'].pk}/remove/")
    assert not LeavePeriod.objects.filter(inspector=inspector).exists()
    assert AuditEntry.objects.get().action == "inspectors.leave_removed"


def test_leave_of_another_inspector_cannot_be_removed_through_this_one(client_for, carol, bureau, zf):
    other = InspectorFactory(bureau=bureau)
    assert client_for(carol).post(f"/inspectors/{other.pk}/leave/{zf['leave'].pk}/remove/").status_code == 404
    assert LeavePeriod.objects.count() == 1


def test_conflict_declared_by_uscc_or_unique_name(client_for, carol, bureau, zf):
    inspector, client = zf["inspector"], client_for(carol)
    hongda = EnterpriseFactory(bureau=bureau, name="许昌宏达焦化有限公司")
    other = EnterpriseFactory(bureau=bureau, name="许昌永兴纸业有限公司")
    client.post(
        f"/inspectors/{inspector.pk}/conflicts/", {"conflict-enterprise": hongda.uscc, "conflict-reason": "配偶任职"}
    )
    client.post(f"/inspectors/{inspector.pk}/conflicts/", {"conflict-enterprise": "永兴", "conflict-reason": "曾任职"})
    pairs = set(Conflict.objects.filter(inspector=inspector).values_list("enterprise_id", "reason"))
    assert {(hongda.pk, "配偶任职"), (other.pk, "曾任职")} <= pairs


def test_conflict_with_ambiguous_unknown_or_foreign_enterprise_is_refused(client_for, carol, bureau, other_bureau, zf):
    inspector, client = zf["inspector"], client_for(carol)
    EnterpriseFactory(bureau=bureau, name="许昌甲化工有限公司")
    foreign = EnterpriseFactory(bureau=other_bureau, name="鄢陵乙公司")
    before = Conflict.objects.count()
    body = client.post(
        f"/inspectors/{inspector.pk}/conflicts/", {"conflict-enterprise": "化工", "conflict-reason": "亲属"}
    ).content.decode()
    assert "有多家企业符合" in body and 'value="化工"' in body
    body = client.post(
        f"/inspectors/{inspector.pk}/conflicts/", {"conflict-enterprise": foreign.uscc, "conflict-reason": "亲属"}
    ).content.decode()
    assert "本单位名录库中没有该代码或名称的企业。" in body
    assert Conflict.objects.count() == before


def test_conflict_withdraw_needs_a_reason(client_for, carol, zf):
    inspector, client = zf["inspector"], client_for(carol)
    url = f"/inspectors/{inspector.pk}/conflicts/{zf['conflict'].pk}/withdraw/"
    client.post(url, {"withdraw-reason": ""})
    assert Conflict.objects.count() == 1
    client.post(url, {"withdraw-reason": "亲属离职"})
    assert Conflict.objects.count() == 0
    assert AuditEntry.objects.get().data["reason"] == "亲属离职"


def test_detail_shows_leave_conflicts_and_history(client_for, dave, zf):
    inspector = zf["inspector"]
    body = client_for(dave).get(f"/inspectors/{inspector.pk}/").content.decode()
    assert "2026-12-01" in body and "2026-12-31" in body
    assert zf["conflict"].enterprise.uscc in body
    assert "登记休假" not in body  # no forms for a read-only role
    assert "暂无变更记录。" in body


# --- lists ---------------------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 3, 2, 10, 0))
def test_inspector_list_filters(client_for, carol, bureau, industry, division):
    a = InspectorFactory(bureau=bureau, code="ZF001", name="甲", unit="一中队", region=division("411003001"))
    a.specialties.set([industry("2614")])
    InspectorFactory(bureau=bureau, code="ZF002", name="乙", unit="二中队", certificate_valid_until=date(2026, 4, 30))
    InspectorFactory(
        bureau=bureau, code="ZF003", name="丙", certificate_valid_until=date(2026, 1, 31), kind="supervision"
    )
    InspectorFactory(bureau=bureau, code="ZF004", name="丁", active=False)
    client = client_for(carol)

    def codes(**params):
        return [i.code for i in client.get("/inspectors/", params).context["page"]]

    assert codes() == ["ZF001", "ZF002", "ZF003", "ZF004"]
    assert codes(q="zf00") == ["ZF001", "ZF002", "ZF003", "ZF004"]
    assert codes(q="乙") == ["ZF002"]
    assert codes(unit="一中队") == ["ZF001"]
    assert codes(kind="supervision") == ["ZF003"]
    assert codes(active="0") == ["ZF004"]
    assert codes(certificate="expiring") == ["ZF002"]
    assert codes(certificate="expired") == ["ZF003"]
    assert codes(certificate="valid") == ["ZF001", "ZF004"]
    assert codes(region=division("411003001").pk) == ["ZF001"]
    assert codes(specialty=industry("26").pk) == ["ZF001"]  # a broader industry finds its classes
    assert codes(specialty=industry("27").pk) == []


def test_inspector_list_pages_by_50(client_for, carol, bureau):
    for i in range(51):
        InspectorFactory(bureau=bureau, code=f"P{i:03d}")
    client = client_for(carol)
    assert len(client.get("/inspectors/").context["page"]) == 50
    assert [i.code for i in client.get("/inspectors/", {"page": 2}).context["page"]] == ["P050"]


@pytest.mark.parametrize("rows", [1, 3])
def test_inspector_list_query_count(client_for, carol, bureau, industry, rows, django_assert_num_queries):
    for i in range(rows):
        inspector = InspectorFactory(bureau=bureau, code=f"Q{i}", unit=f"中队{i}")
        inspector.specialties.set([industry("2614"), industry("2710")])
        LeavePeriod.objects.create(inspector=inspector, start=date(2020, 1, 1), end=date(2099, 1, 1))
    client = client_for(carol)
    with django_assert_num_queries(13):
        response = client.get("/inspectors/")
    assert len(response.context["page"]) == rows


@pytest.mark.parametrize("rows", [1, 3])
def test_expert_list_query_count(client_for, carol, bureau, industry, rows, django_assert_num_queries):
    for i in range(rows):
        expert = Expert.objects.create(bureau=bureau, name=f"专家{i}", kind="specialist", organisation="协会")
        expert.industries.set([industry("26"), industry("2710")])
    client = client_for(carol)
    with django_assert_num_queries(11):
        response = client.get("/inspectors/experts/")
    assert len(response.context["page"]) == rows


def test_expert_list_filters(client_for, dave, bureau, industry, division):
    chem = Expert.objects.create(
        bureau=bureau, name="甲", kind="institute", organisation="研究院", region=division("411003001")
    )
    chem.industries.set([industry("26")])
    Expert.objects.create(bureau=bureau, name="乙", kind="monitoring", organisation="监测站", active=False)
    client = client_for(dave)

    def names(**params):
        return [e.name for e in client.get("/inspectors/experts/", params).context["page"]]

    assert set(names()) == {"甲", "乙"}
    assert names(kind="monitoring") == ["乙"]
    assert names(region=division("411003001").pk) == ["甲"]
    assert names(industry=industry("2614").pk) == ["甲"]
    assert names(active="1") == ["甲"]
    assert names(q="监测") == ["乙"]


def test_carol_manages_the_expert_pool(client_for, carol, bureau, industry):
    client = client_for(carol)
    response = client.post(
        "/inspectors/experts/new/",
        {"name": "郭明", "kind": "specialist", "organisation": "环保产业协会", "industries": [industry("3011").pk]},
    )
    expert = Expert.objects.get(name="郭明")
    assert response.status_code == 302
    assert (expert.bureau, list(expert.industries.values_list("code", flat=True))) == (bureau, ["3011"])
    client.post(
        f"/inspectors/experts/{expert.pk}/edit/",
        {"name": "郭明", "kind": "specialist", "organisation": "环保产业协会", "title": "注册环保工程师"},
    )
    client.post(f"/inspectors/experts/{expert.pk}/active/", {"action": "deactivate"})
    expert.refresh_from_db()
    assert (expert.title, expert.active, list(expert.industries.all())) == ("注册环保工程师", False, [])
    body = client.get(f"/inspectors/experts/{expert.pk}/edit/").content.decode()
    assert "移出专家库" in body and "重新纳入专家库" in body
