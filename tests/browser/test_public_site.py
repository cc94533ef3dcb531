"""The public site in headless chromium: the search, the one-click replay, and axe-core on every public page."""

from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse

from inspections.models import InspectionTask, Publication
from sampling.models import PlanTask
from tests.public.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Public pages are cached under a version number that outlives the test database: start and end empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(bureau, other_bureau):
    return build_world(bureau, other_bureau)


def test_public_search_in_the_browser(page, world):
    published = Publication.objects.filter(draw=world.draw_a).order_by("id").first()
    hidden = InspectionTask.objects.select_related("enterprise").get(pk=world.tasks_b["result_approved"].pk)
    page.goto(page.base_url + reverse("public:home"))
    assert page.locator("h1").inner_text() == "双随机抽查结果公示"
    page.fill("#q", "重点公开测试")
    page.click("form.public-search button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/public/results/?q=" in page.url
    names = page.locator("table.results-table tbody tr td:first-child a").all_inner_texts()
    assert sorted(names) == sorted(
        Publication.objects.filter(draw=world.draw_a).values_list("enterprise_name", flat=True)
    )

    # Filters: outcome 发现问题已责令改正 finds the one such published result of draw B.
    page.select_option("#f-outcome", "corrected")
    page.fill("#q", "")
    page.click("form.public-search button[type=submit]")
    page.wait_for_load_state("networkidle")
    corrected = Publication.objects.get(outcome="corrected")
    assert page.locator("table.results-table tbody tr td:first-child a").all_inner_texts() == [
        corrected.enterprise_name
    ]

    # A USCC finds its result; the detail page and the enterprise's history follow.
    page.goto(page.base_url + reverse("public:results"))
    page.fill("#q", published.uscc)
    page.click("form.public-search button[type=submit]")
    page.click(f"text={published.enterprise_name}")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == published.enterprise_name
    assert "未发现问题" in page.locator("dl.fields").inner_text()
    page.click("text=该企业全部已公示结果")
    assert page.locator("h1").inner_text() == published.enterprise_name

    # An approved but unpublished result is not found.
    page.goto(page.base_url + reverse("public:results") + f"?q={hidden.enterprise.uscc}")
    assert page.locator("p.empty").inner_text() == "没有符合条件的公示结果。"
    assert hidden.enterprise.name not in page.content()

    # The language link returns to the same search in English, and back.
    page.click("header >> text=English")
    page.wait_for_load_state("networkidle")
    assert page.locator("p.empty").inner_text() == "No published result matches your search."
    assert page.url.endswith(reverse("public:results") + f"?q={hidden.enterprise.uscc}")
    page.click("header >> text=中文")
    page.wait_for_load_state("networkidle")
    assert page.locator("p.empty").inner_text() == "没有符合条件的公示结果。"


def test_one_click_replay_in_the_browser(page, world):
    page.goto(page.base_url + reverse("public:draws"))
    page.click(f"text={world.draw_a.number}")
    page.wait_for_load_state("networkidle")
    assert world.draw_a.seed in page.locator("dl.fields").inner_text()
    page.click("text=一键重放核验")
    page.wait_for_load_state("networkidle")
    assert page.locator("p.verdict").inner_text().startswith("✔ 核验通过")
    assert (
        page.locator("ol.checks li.check-pass").count() == 8
    )  # nonce, pool, inspector pool, seed, replay, selection, teams, tasks


def test_search_on_a_phone(phone_page, world):
    page = phone_page
    page.goto(page.base_url + reverse("public:results") + "?q=重点公开测试")
    assert page.locator("table.results-table tbody tr").count() == 2
    # Nothing but the table scrolls sideways: the page itself fits the screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _public_urls(world) -> list[str]:
    pub = Publication.objects.filter(draw=world.draw_a).order_by("id").first()
    task = PlanTask.objects.filter(plan=world.plan).order_by("seq").first()
    return [
        reverse("public:home"),
        reverse("public:results"),
        reverse("public:results") + "?q=重点公开测试&year=2026",
        reverse("public:results") + "?q=无此企业",
        reverse("public:result-detail", args=[pub.pk]),
        reverse("public:enterprise", args=[pub.uscc]),
        reverse("public:plans"),
        reverse("public:plan-detail", args=[world.plan.pk]),
        reverse("public:task-detail", args=[task.pk]),
        reverse("public:checklist"),
        reverse("public:draws"),
        reverse("public:draw-detail", args=[world.draw_a.pk]),
        reverse("public:draw-detail", args=[world.draw_b.pk]),
        reverse("public:draw-verify", args=[world.draw_a.pk]),
        reverse("public:draw-algorithm"),
        reverse("public:open-data"),
        reverse("public:results-xlsx")
        + "?bureau=jianan",  # too many rows (the limit is lowered below): the explanation page
    ]


def test_every_public_page_has_no_axe_violations(browser, live_server, world, monkeypatch):
    monkeypatch.setattr("disclosure.public_views.FILTERED_MAX_ROWS", 1)
    script = AXE.read_text(encoding="utf-8")
    # axe-core is injected as an inline script, which the site's CSP (script-src 'self') rightly refuses
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.base_url = live_server.url
    found = {}
    for url in _public_urls(world):
        response = page.goto(page.base_url + url)
        assert response.status in (200, 400), url
        page.add_script_tag(content=script)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
            ".then(r => r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))})))",
            WCAG_TAGS,
        )
        if result:
            found[url] = result
    context.close()
    assert found == {}
