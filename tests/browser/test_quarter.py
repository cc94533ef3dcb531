"""A whole quarter in a real browser, as the bureau runs it (issue 7 §1).

carol imports the two registries from Excel and links the inspector's login; alice applies the quota
preset, writes the annual plan and its task, puts it in force, freezes the pool and draws before two
witnesses; frank approves (alice cannot); the drawn inspector, on his phone, downloads the notice, the
enterprise confirms the arrival through the QR link without an account, the inspector records the result
with findings and alice approves it; alice publishes the quarter's results from the publication
dashboard; the public, without an account, finds the result by the enterprise's name, opens the draw's
public record and replays it.

Only the bureau, the personas' login accounts and the reference data (divisions, industries, the holiday
calendar: a transactional test's flush removes what the migrations loaded) are created in setup;
everything else happens through the pages. The database is read only to assert exact outcomes.
"""

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone, translation

from core.enums import Role
from core.models import AuditEntry
from enterprises import spreadsheet as enterprise_sheet
from enterprises.models import CheckItem, Enterprise
from inspections.deadlines import publication_deadline
from inspections.enums import InspectionTaskStatus
from inspections.models import CheckIn, InspectionResult, InspectionTask, Publication
from inspectors import spreadsheet as inspector_sheet
from inspectors.models import Inspector
from sampling.enums import DrawStatus, PlanStatus
from sampling.models import Draw, DrawEntry, Plan, PlanTask, QuotaPolicy
from tests.browser.conftest import login
from tests.browser.test_inspection_flow import emailed_code
from tests.conftest import _member
from tests.factories import valid_uscc
from tests.pdf import assert_shipped_font_embedded
from tests.spreadsheets import xlsx_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("SSJ_SCREENSHOT_DIR", "/tmp")
KEY_NAME = "许昌金源水泥有限公司"
GENERAL_NAMES = ["许昌宏达化工有限公司", "许昌恒通纺织有限公司", "许昌华瑞建材有限公司"]
SUSPENDED_NAME = "许昌停产纸业有限公司"
CHECK_ITEMS = [
    ("HB-01", "排污许可执行情况检查", "《排污许可管理条例》第三十三条", "检查排污许可证载明事项的执行情况"),
    (
        "HB-02",
        "危险废物规范化管理检查",
        "《中华人民共和国固体废物污染环境防治法》第七十七条",
        "检查危险废物贮存场所和识别标志",
    ),
]
WITNESSES = "刘见证（区纪委）\n陈见证（企业代表）"
WITNESS_INPUT = "体彩排列三 第26131期 5 0 8"


def shot(page, name):
    page.screenshot(path=os.path.join(SCREENSHOTS, f"quarter-{name}.png"), full_page=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def people(bureau, carol, alice, frank):
    """The personas' login accounts. bob has the inspector role but is not in the inspector registry yet:
    carol imports him and links his account."""
    bob = _member("bob", bureau, Role.INSPECTOR, first_name="王检查")
    return {"carol": carol, "alice": alice, "frank": frank, "bob": bob}


def enterprise_rows() -> list[list[str]]:
    """The template's example row (a city-controlled key emitter) and four general units, one suspended."""
    header = enterprise_sheet.HEADER

    def row(**cells):
        values = dict(zip(header, enterprise_sheet.example_row(), strict=True))
        values.update(cells)
        return [values[title] for title in header]

    general = {"企业分类": "一般", "市控及以上重点": "否", "排污许可类别": "简化管理", "监控类型": "手工监测"}
    rows = [row(企业名称=KEY_NAME, 统一社会信用代码=valid_uscc(7100), 排污许可证编号=valid_uscc(7100) + "001P")]
    for n, name in enumerate(GENERAL_NAMES, start=1):
        uscc = valid_uscc(7100 + n)
        rows.append(row(企业名称=name, 统一社会信用代码=uscc, 排污许可证编号=uscc + "001V", **general))
    uscc = valid_uscc(7109)
    rows.append(
        row(企业名称=SUSPENDED_NAME, 统一社会信用代码=uscc, 排污许可证编号=uscc + "001V", 运行状态="停产", **general)
    )
    return rows


def inspector_file(tmp_path) -> str:
    """Three enforcement officers; 吴过期's certificate has expired, so only 王检查 and 陈执法 can be drawn."""
    expired = (timezone.localdate() - timedelta(days=400)).isoformat()
    with translation.override("zh-hans"):
        header = inspector_sheet.template_titles()
    rows = [
        ["ZF101", "王检查", "执法人员", "执法大队一中队", "13800000101", "豫环执41100101", "2024-01-01", "2030-12-31",
         "2614", "", ""],
        ["ZF102", "陈执法", "执法人员", "执法大队一中队", "13800000102", "豫环执41100102", "2024-01-01", "2030-12-31",
         "3011", "", ""],
        ["ZF103", "吴过期", "执法人员", "执法大队二中队", "13800000103", "豫环执41100103", "2020-01-01", expired,
         "", "", ""],
    ]  # fmt: skip
    return xlsx_path(tmp_path, "检查人员名录.xlsx", header, rows)


def logout(page):
    page.click("header form[action='/logout/'] button")
    page.wait_for_load_state("networkidle")


def submit(page, selector):
    page.click(selector)
    page.wait_for_load_state("networkidle")


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def messages_text(page) -> str:
    return page.locator(".messages").inner_text()


def test_a_quarter_in_the_browser(browser, page, phone_page, live_server, bureau, people, tmp_path):
    today = timezone.localdate()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    carol, alice, frank, bob = people["carol"], people["alice"], people["frank"], people["bob"]

    # ---------------------------------------------------------------- 1. carol: the two registries
    login(page, "carol")
    page.goto(live_server.url + "/enterprises/import/")
    page.set_input_files(
        "#id_file", xlsx_path(tmp_path, "检查对象名录.xlsx", enterprise_sheet.HEADER, enterprise_rows())
    )
    submit(page, "main button[type=submit] >> text=检查并导入")
    assert "已导入 5 行：新增 5 家，更新 0 家，未变 0 家。" in messages_text(page)
    shot(page, "01-enterprises-imported")
    assert AuditEntry.objects.filter(action="enterprises.import", actor=carol).count() == 1
    assert sorted(Enterprise.objects.filter(bureau=bureau).values_list("name", "tier", "status")) == sorted(
        [(KEY_NAME, "key", "operating")]
        + [(name, "general", "operating") for name in GENERAL_NAMES]
        + [(SUSPENDED_NAME, "general", "suspended")]
    )
    key_enterprise = Enterprise.objects.get(name=KEY_NAME)
    assert (key_enterprise.uscc, key_enterprise.division.code, key_enterprise.industry.code) == (
        valid_uscc(7100),
        "411003100",
        "2614",
    )

    page.goto(live_server.url + "/inspectors/import/")
    page.set_input_files("#id_file", inspector_file(tmp_path))
    submit(page, "main button[type=submit] >> text=导入")
    assert page.url.endswith("/inspectors/")
    assert "新增检查人员 3 名，更新 0 名，0 名无变化。" in messages_text(page)
    shot(page, "02-inspectors-imported")
    assert list(Inspector.objects.filter(bureau=bureau).order_by("code").values_list("code", "name", "user")) == [
        ("ZF101", "王检查", None),
        ("ZF102", "陈执法", None),
        ("ZF103", "吴过期", None),
    ]

    # bob's login is linked to ZF101 on the inspector's page.
    zf101 = Inspector.objects.get(code="ZF101")
    page.goto(f"{live_server.url}/inspectors/{zf101.pk}/")
    page.select_option("#id_account-user", label="王检查 (bob)")
    submit(page, ".account-form button[type=submit]")
    assert "已保存。" in messages_text(page)
    zf101.refresh_from_db()
    assert zf101.user == bob

    # Two checklist items for the task.
    for code, name, basis, content in CHECK_ITEMS:
        page.goto(live_server.url + "/enterprises/checklist/new/")
        page.fill("#id_code", code)
        page.fill("#id_name", name)
        page.fill("#id_legal_basis", basis)
        page.fill("#id_content", content)
        page.fill("#id_method", "现场检查、查阅资料")
        submit(page, "main button[type=submit] >> text=保存")
    assert list(CheckItem.objects.filter(bureau=bureau).order_by("code").values_list("code", flat=True)) == [
        "HB-01",
        "HB-02",
    ]
    shot(page, "03-checklist")
    logout(page)

    # ---------------------------------------------------------------- 2. alice: policy, plan, task, draw
    login(page, "alice")
    page.goto(live_server.url + "/draws/policy/")
    page.select_option("#id_preset", "jianan")
    submit(page, "form:has(input[name=action][value=preset]) button[type=submit]")
    assert f"已将预设方案应用于 {year} 年。" in messages_text(page)
    policy = QuotaPolicy.objects.get(bureau=bureau, year=year)
    assert (policy.preset, policy.key_ratio, policy.general_ratio, policy.key_once_a_year, policy.yearly_cap) == (
        "jianan",
        25,
        5,
        True,
        2,
    )
    shot(page, "04-policy")

    page.goto(live_server.url + "/draws/plans/new/")
    assert page.locator("#id_year").input_value() == str(year)
    page.fill("#id_name", f"{year}年污染源日常环境监管双随机抽查计划")
    submit(page, "main button[type=submit]")
    plan = Plan.objects.get(bureau=bureau)
    assert page.url.endswith(f"/draws/plans/{plan.pk}/")
    assert plan.status == PlanStatus.DRAFT

    page.click("a[role=button] >> text=添加任务")
    page.wait_for_load_state("networkidle")
    page.fill("#id_name", "重点和一般排污单位日常监管抽查")
    page.check("#id_include_key")
    page.check("#id_include_general")
    for item in CheckItem.objects.filter(bureau=bureau):
        page.check(f"input[name=check_items][value='{item.pk}']")
    page.fill("#id_draw_from", f"{year}-01-01")
    page.fill("#id_draw_until", f"{year}-12-31")
    page.fill("#id_inspect_from", f"{year}-01-01")
    page.fill("#id_inspect_until", f"{year}-12-31")
    submit(page, "main button[type=submit] >> text=保存")
    plan_task = PlanTask.objects.get(plan=plan)
    assert page.url.endswith(f"/draws/tasks/{plan_task.pk}/")
    assert (plan_task.include_key, plan_task.include_general, plan_task.include_special) == (True, True, False)
    assert sorted(plan_task.check_items.values_list("code", flat=True)) == ["HB-01", "HB-02"]

    page.goto(f"{live_server.url}/draws/plans/{plan.pk}/")
    submit(page, "button >> text=生效")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    shot(page, "05-plan")

    page.goto(f"{live_server.url}/draws/tasks/{plan_task.pk}/")
    assert page.locator("#id_quarter").input_value() == str(quarter)
    submit(page, "#freeze")
    draw = Draw.objects.get(task=plan_task)
    assert page.url.endswith(f"/draws/{draw.pk}/")
    assert page.locator("#pool-hash").inner_text() == draw.pool_hash
    assert page.locator("#nonce-hash").inner_text() == draw.nonce_hash
    # The quotas with their rules: the only key unit (25 %, and every key unit once a year), 5 % of the three
    # operating general units; the suspended one is excluded with its reason; 吴过期 is not in the inspector pool.
    quotas = [row.split("\t") for row in page.locator("#quotas tbody tr").all_inner_texts()]
    when = f"{draw.year}年第{'一二三四'[draw.quarter - 1]}季度"  # the strata by name, not by code
    assert [(q[0].split("\n")[0], q[2], q[3]) for q in quotas] == [
        (f"重点监管对象（本年度未检查） · {when}", "1", "1"),
        (f"重点监管对象 · {when}", "0", "0"),
        (f"一般监管对象 · {when}", "3", "1"),
    ]
    assert quotas[2][4] == "符合条件的 3 家 × 5%，向上取整 = 1"
    assert page.locator("#exclusions tbody tr").all_inner_texts() == [
        f"{SUSPENDED_NAME}\t{valid_uscc(7109)}\t一般\t非正常生产经营：停产"
    ]
    page.click("section[aria-labelledby=inspectors-h] summary")
    assert page.locator("p.pool .badge").all_inner_texts() == ["ZF101 王检查", "ZF102 陈执法"]
    unavailable = page.locator("section[aria-labelledby=inspectors-h] li").all_inner_texts()
    assert len(unavailable) == 1 and unavailable[0].startswith("ZF103 吴过期")
    shot(page, "06-pool-frozen")

    page.fill("#id_witnesses", WITNESSES)
    page.fill("#id_witness_input", WITNESS_INPUT)
    submit(page, "#execute")
    draw.refresh_from_db()
    assert (draw.status, draw.executed_by, draw.witnesses, draw.witness_input) == (
        DrawStatus.DRAWN,
        alice,
        WITNESSES,
        WITNESS_INPUT,
    )
    assert page.locator("#seed").inner_text() == draw.seed
    # One key unit (25 %, and every key unit once a year) and one of the three operating general units (5 %).
    selected = list(
        DrawEntry.objects.filter(draw=draw, selected=True)
        .order_by("stratum", "position")
        .values_list("stratum", "enterprise_id")
    )
    assert draw.selected_count == len(selected) == 2
    assert selected[0] == (f"{draw.label_prefix}/general", selected[0][1])
    assert selected[1] == (f"{draw.label_prefix}/key/uncovered", key_enterprise.pk)
    general_enterprise = Enterprise.objects.get(pk=selected[0][1])
    assert general_enterprise.name in GENERAL_NAMES
    shown = page.locator("#result tbody tr td:nth-child(3)").all_inner_texts()
    assert sorted(shown) == sorted([KEY_NAME, general_enterprise.name])
    # alice ran it: the page says another lead must approve, and offers her no button.
    assert "此次摇号由您执行，须由另一位组长审批或驳回。" in page.locator("main").inner_text()
    assert page.locator("#approve").count() == 0
    shot(page, "07-drawn")
    logout(page)

    # ---------------------------------------------------------------- 3. frank approves
    login(page, "frank")
    page.goto(f"{live_server.url}/draws/{draw.pk}/")
    submit(page, "#approve")
    submit(page, "#confirm")  # the confirmation step: what approving does, then 确认
    assert page.locator("[data-testid=locked]").is_visible()
    draw.refresh_from_db()
    assert (draw.status, draw.approved_by) == (DrawStatus.APPROVED, frank)
    tasks = list(InspectionTask.objects.filter(draw=draw).select_related("enterprise").order_by("enterprise__name"))
    assert sorted(t.enterprise_id for t in tasks) == sorted(e for _s, e in selected)
    for task in tasks:
        team = list(
            task.members.filter(active=True).order_by("inspector__code").values_list("inspector__code", flat=True)
        )
        assert team == ["ZF101", "ZF102"]
        assert task.status == InspectionTaskStatus.ASSIGNED
    shot(page, "08-approved")
    logout(page)

    # ---------------------------------------------------------------- 4. the inspections
    key_task = next(t for t in tasks if t.enterprise_id == key_enterprise.pk)
    general_task = next(t for t in tasks if t.enterprise_id == general_enterprise.pk)
    login(phone_page, "bob")
    login(page, "alice")
    roles = {"inspector": phone_page, "lead": page, "bob": bob, "alice": alice}
    inspect(browser, live_server, key_task, tmp_path, outcome="corrected", shots="10-key", **roles)
    inspect(browser, live_server, general_task, tmp_path, outcome="no_problem", shots="11-general", **roles)

    # ---------------------------------------------------------------- 5. alice publishes
    page.goto(live_server.url + "/publication/")
    pending = page.locator("#section-open tbody tr")
    assert pending.count() == 2
    shot(page, "20-dashboard")
    key_row = page.locator(f"#section-open tbody tr:has(a[href='/inspections/{key_task.pk}/'])")
    assert "发现问题已责令改正" in key_row.inner_text()
    submit(page, f"#section-open tbody tr:has(a[href='/inspections/{key_task.pk}/']) button >> text=公示")
    assert key_task.number in page.locator("[data-testid=confirm]").inner_text()
    submit(page, "#confirm")
    assert f"{key_task.number}已公示。" in messages_text(page)
    # While one result of the draw is unpublished, the public sees the draw but neither its list nor its seed.
    public = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    public.set_default_timeout(15000)
    public.goto(f"{live_server.url}/public/draws/{draw.pk}/")
    assert public.locator("p.notice").inner_text() == (
        "本次摇号的全部结果公示后，才公开抽中企业名单、种子和完整记录。在此之前，按规定予以保密。"
    )
    assert draw.seed not in public.content() and general_enterprise.uscc not in public.content()
    assert public.goto(f"{live_server.url}/public/draws/{draw.pk}/verify/").status == 404
    shot(public, "21-public-draw-closed")
    # The other one by selecting it and publishing the selection.
    page.check(f"#select-{general_task.pk}")
    submit(page, "#publish-selected")
    submit(page, "#confirm")
    assert "已公示1条检查结果。" in messages_text(page)
    assert page.locator("#section-open tbody tr").count() == 0
    assert page.locator("#recent tbody tr").count() == 2
    shot(page, "22-published")
    publications = {p.task_id: p for p in Publication.objects.filter(draw=draw)}
    assert set(publications) == {key_task.pk, general_task.pk}
    key_publication = publications[key_task.pk]
    key_result = InspectionResult.objects.get(task=key_task)
    assert (
        key_publication.published_on,
        key_publication.published_by,
        key_publication.enterprise_name,
        key_publication.uscc,
        key_publication.outcome,
        key_publication.inspected_on,
        key_publication.tier,
        key_publication.year,
        key_publication.quarter,
        key_publication.on_time,
    ) == (today, alice, KEY_NAME, valid_uscc(7100), "corrected", key_result.inspected_on, "key", year, quarter, True)
    assert publications[general_task.pk].outcome == "no_problem"
    # Due 20 working days after the inspection (Chinese calendar); the dashboard shows it, published on time.
    deadline = publication_deadline(key_result.inspected_on).date
    assert key_publication.deadline == deadline
    recent = page.locator(f"#recent tbody tr:has-text('{key_task.number}')").inner_text()
    assert today.isoformat() in recent and deadline.isoformat() in recent and "按期" in recent
    assert set(InspectionTask.objects.filter(draw=draw).values_list("status", flat=True)) == {
        InspectionTaskStatus.PUBLISHED
    }

    # ---------------------------------------------------------------- 6. the public
    public.goto(live_server.url + "/public/")
    public.fill("#q", "金源水泥")
    submit(public, "form.public-search button[type=submit]")
    assert "/public/results/?q=" in public.url
    rows = public.locator("table.results-table tbody tr")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[0].split("\n") == [KEY_NAME, valid_uscc(7100)]
    assert cells[1].startswith("发现问题已责令改正")
    assert cells[2:] == [key_result.inspected_on.isoformat(), bureau.name, today.isoformat()]
    shot(public, "30-public-search")
    submit(public, f"table.results-table a >> text={KEY_NAME}")
    assert public.url.endswith(f"/public/results/{key_publication.pk}/")
    fields = dict(
        zip(
            public.locator("dl.fields dt").all_inner_texts(),
            public.locator("dl.fields dd").all_inner_texts(),
            strict=True,
        )
    )
    assert fields == {
        "统一社会信用代码": valid_uscc(7100),
        "检查结果": "发现问题已责令改正",
        "检查": key_result.inspected_on.isoformat(),
        "抽查事项": "排污许可执行情况检查、危险废物规范化管理检查",
        "监管类别": "重点",
        "抽查类型": "不定向抽查",
        "抽查计划": f"{plan.name} {plan.number}",
        "抽查任务": f"{plan_task.name} {plan.number}-{plan_task.seq}",
        "摇号": "摇号记录 种子、哈希值与重放核验",
        "年度和季度": f"{year} 第{quarter}季度",
        "检查编号": key_task.number,
        "检查机关": bureau.name,
        "公示日期": today.isoformat(),
    }
    shot(public, "31-public-result")
    submit(public, "dl.fields a >> text=摇号记录")  # the result leads to the draw that selected it
    assert public.url.endswith(f"/public/draws/{draw.pk}/")

    public.click("nav.main-nav >> text=摇号记录")
    public.wait_for_load_state("networkidle")
    listed = public.locator(f"tbody tr:has(a:text-is('{draw.number}'))")
    assert listed.locator(".badge").inner_text() == "已公开"
    submit(public, f"a >> text={draw.number}")
    assert public.url.endswith(f"/public/draws/{draw.pk}/")
    record = public.locator("dl.fields").inner_text()
    assert draw.seed in record and WITNESS_INPUT in record and draw.nonce in record
    drawn = public.locator("table:has(caption:text-is('抽中的企业')) tbody tr")
    assert sorted(row.split("\t")[1] for row in drawn.all_inner_texts()) == sorted(
        f"{e.name}\n{e.uscc}" for e in (key_enterprise, general_enterprise)
    )
    shot(public, "32-public-draw")
    submit(public, "a[role=button] >> text=一键重放核验")
    assert public.url.endswith(f"/public/draws/{draw.pk}/verify/")
    assert (
        public.locator(".verdict").inner_text()
        == "✔ 核验通过：重放公开记录得到的名单和检查组与执法机关的记录完全一致。"
    )
    assert public.locator("ol.checks li.check-fail").count() == 0
    assert public.locator("ol.checks li.check-pass").count() == 8
    usccs = dict(Enterprise.objects.values_list("pk", "uscc"))
    expected = {}
    for stratum, enterprise_id in (
        DrawEntry.objects.filter(draw=draw, selected=True).order_by("position").values_list("stratum", "enterprise_id")
    ):
        expected.setdefault(stratum, []).append(usccs[enterprise_id])
    replayed = {  # each stratum by its name, its code in the title
        section.locator("h3").get_attribute("title"): section.locator("p").first.locator("span.mono").all_inner_texts()
        for section in public.locator("section:has(h3[title])").all()
    }
    assert replayed == expected
    shot(public, "33-public-replay")
    public.context.close()


def inspect(browser, live_server, task, tmp_path, *, outcome, shots, inspector, lead, bob, alice):
    """bob's inspection of one task, on his phone; the enterprise confirms the arrival; alice approves."""
    enterprise = task.enterprise
    items = list(task.draw.task.check_items.order_by("order", "code"))
    name = enterprise.name

    inspector.goto(live_server.url + "/inspections/mine/")
    card = inspector.locator(f"#task-{task.pk}")
    assert name in card.inner_text() and task.number in card.inner_text()
    team = task.members.filter(active=True).order_by("position").values_list("inspector__name", flat=True)
    assert sorted(team) == ["王检查", "陈执法"]
    assert f"检查组: {'、'.join(team)}" in card.inner_text()
    assert fits_the_screen(inspector)
    shot(inspector, f"{shots}-1-my-tasks")
    card.locator("h2 a").click()
    inspector.wait_for_load_state("networkidle")
    assert inspector.url.endswith(f"/inspections/{task.pk}/")
    assert inspector.locator("#qr svg").count() == 1
    notice = inspector.request.get(live_server.url + inspector.locator("#notice-link").get_attribute("href"))
    assert (notice.status, notice.headers["content-type"]) == (200, "application/pdf")
    assert_shipped_font_embedded(notice.body(), tmp_path)
    checkin_path = inspector.locator("#qr .url").inner_text().strip().removeprefix(settings.SITE_URL)
    assert checkin_path.startswith("/c/")
    shot(inspector, f"{shots}-2-task")

    # The enterprise's own phone, no account; the one-time code goes to its registered contact.
    enterprise = task.enterprise
    enterprise.contact_email = f"contact-{enterprise.pk}@enterprise.example"
    enterprise.save(update_fields=["contact_email"])
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    phone.set_default_timeout(15000)
    phone.goto(live_server.url + checkin_path)
    assert "王检查" in phone.locator("main").inner_text() and "豫环执41100102" in phone.locator("main").inner_text()
    assert fits_the_screen(phone)
    submit(phone, "#send-arrival-code")
    phone.fill("#id_code", emailed_code(enterprise.contact_email))
    phone.fill("#id_confirmed_by_name", "周接待")
    submit(phone, "#confirm-arrival")
    assert "周接待" in phone.locator("#arrival-recorded").inner_text()
    shot(phone, f"{shots}-3-checkin")
    context.close()
    checkin = CheckIn.objects.get(task=task)
    assert (checkin.method, checkin.confirmed_by_name, timezone.localtime(checkin.at).date()) == (
        "qr",
        "周接待",
        timezone.localdate(),
    )

    inspector.goto(f"{live_server.url}/inspections/{task.pk}/")
    submit(inspector, "#result-link")
    assert inspector.locator("#id_inspected_on").input_value() == timezone.localdate().isoformat()
    inspector.check(f"input[name='item-{items[0].pk}-compliant'][value='yes']")
    compliant = outcome == "no_problem"
    inspector.check(f"input[name='item-{items[1].pk}-compliant'][value='{'yes' if compliant else 'no'}']")
    if not compliant:
        inspector.fill(f"#id_item-{items[1].pk}-finding", "危险废物贮存场所未设置识别标志，已当场责令改正。")
    inspector.select_option("#id_outcome", outcome)
    inspector.fill("#id_summary", "现场检查两项。" if compliant else "现场检查两项，一项已责令改正。")
    shot(inspector, f"{shots}-4-result-form")
    submit(inspector, "#save-result")
    assert inspector.url.endswith(f"/inspections/{task.pk}/")
    result = InspectionResult.objects.get(task=task)
    assert (result.outcome, result.inspected_on, result.late, result.recorded_by) == (
        outcome,
        timezone.localdate(),
        False,
        bob,
    )
    assert [
        (f.check_item_id, f.compliant) for f in result.findings.order_by("check_item__order", "check_item__code")
    ] == [
        (items[0].pk, True),
        (items[1].pk, compliant),
    ]

    lead.goto(f"{live_server.url}/inspections/{task.pk}/")
    submit(lead, "#approve-button")
    submit(lead, "#confirm")
    assert "已审核通过，同意公示。" in lead.locator("main").inner_text()
    result.refresh_from_db()
    task.refresh_from_db()
    assert (task.status, result.approved_by) == (InspectionTaskStatus.RESULT_APPROVED, alice)
    shot(lead, f"{shots}-5-approved")
