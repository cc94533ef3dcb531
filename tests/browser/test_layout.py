"""Every list page, staff and public, for each role, on a laptop (1366×900) and a phone (390×844) (issue 17
item 5): no sideways scroll, no USCC or task number broken across lines, the icon served (no 404 on any
page), a compact staff header on phones with the inspector's own pages first, one filter component whose
search button keeps its size, and a print layout without header and filters.

Screenshots go to a temporary directory (SSJ_SCREENSHOTS to choose it), never into the repository.
"""

import os
import re
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from tests.security.test_words import english_msgids, problems_of
from tests.security.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LAPTOP, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}
STAFF_ROLES = ("registry", "inspector", "assigned", "lead", "approver", "auditor", "admin")
PUBLIC_PAGES = (
    "/public/",
    "/public/results/",
    "/public/plans/",
    "/public/draws/",
    "/public/checklist/",
    "/public/data/",
)
# A USCC (18 characters) or a task number (JIANAN2026-1-1-Q1-1-0001), alone in its element.
CODE = r"^(?:[0-9A-HJ-NP-RTUWXY]{18}|[A-Z]+\d{4}(?:-[0-9A-Z]+){3,})$"

# The text nodes that are a code, and how many lines each takes (distinct tops of its line boxes).
BROKEN_CODES = """(pattern) => {
  const re = new RegExp(pattern);
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  const found = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    if (!re.test(text)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0);
    if (!rects.length) continue;  // not displayed (a column hidden on phones)
    const tops = new Set(rects.map((r) => Math.round(r.top)));
    found.push([text, tops.size]);
  }
  return found;
}"""


@pytest.fixture
def world(settings, tmp_path, bureau, other_bureau, alice, frank, bob, carol, dave, erin, mallory):
    """The permission matrix's bureau with an object in every state (tests/security/world.py), on 2026-02-10."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(datetime(2026, 2, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
        yield build_world(
            bureau, other_bureau, alice=alice, frank=frank, bob=bob, carol=carol, dave=dave, erin=erin, mallory=mallory
        )


def staff_pages(world) -> list[str]:
    return [
        "/",
        "/enterprises/",
        "/enterprises/checklist/",
        "/inspectors/",
        "/inspectors/experts/",
        "/draws/plans/?year=2026",
        "/draws/list/?year=2026",
        f"/draws/{world.draws['locked'].pk}/",
        "/inspections/",
        "/inspections/mine/?done=1",
        "/inspections/evaluations/",
        "/publication/?year=2026",
        "/publication/reports/?year=2026",
        "/audit/",
        "/calendar/",
    ]


def user_of(world, role):
    return world.assigned["locked"] if role == "assigned" else world.users[role]


def new_context(browser, live_server, viewport, user=None):
    context = browser.new_context(locale="zh-CN", viewport=viewport, is_mobile=viewport is PHONE)
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


@pytest.fixture
def shots():
    directory = os.environ.get("SSJ_SCREENSHOTS") or tempfile.mkdtemp(prefix="ssj-layout-")
    Path(directory).mkdir(parents=True, exist_ok=True)
    return Path(directory)


ENGLISH_MSGIDS = english_msgids()


def check_page(page, url, failures, checked) -> None:
    """The checks every page passes, whatever the role and the size."""
    # no dotted code, no "app.model id", no untranslated msgid in what the zh-hans page shows
    text = " ".join(page.inner_text("body").split())
    failures += [f"{url}: {problem}" for problem in problems_of(text, ENGLISH_MSGIDS)]
    scroll = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    if scroll[0] > scroll[1]:
        failures.append(f"{url}: scrolls sideways ({scroll[0]} > {scroll[1]} px)")
    for text, lines in page.evaluate(BROKEN_CODES, CODE):
        checked.append(text)
        if lines != 1:
            failures.append(f"{url}: {text} broken over {lines} lines")


def visit_all(browser, live_server, viewport, user, urls, shots, name, *, phone_header=False):
    """Visit ``urls``; return (failures, codes checked, pages seen)."""
    context, page = new_context(browser, live_server, viewport, user)
    errors = []
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}") if r.status >= 400 and r.request.resource_type != "document" else None
        ),
    )
    failures, checked, seen = [], [], []
    try:
        for url in urls:
            response = page.goto(live_server.url + url)
            if response.status != 200:
                continue  # a page this role may not see (403/404), checked by the permission matrix
            page.wait_for_load_state("load")
            seen.append(url)
            check_page(page, url, failures, checked)
            if phone_header:
                height = page.evaluate("document.querySelector('header.site-header').getBoundingClientRect().height")
                if height > 64:
                    failures.append(f"{url}: the phone header is {height} px high")
                if page.evaluate("document.querySelector('details.site-menu').open"):
                    failures.append(f"{url}: the menu is open on a phone")
            slug = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"
            page.screenshot(path=str(shots / f"{name}-{viewport['width']}-{slug}.png"), full_page=True)
        failures += [f"{name}: {error}" for error in errors]
    finally:
        context.close()
    return failures, checked, seen


def test_every_list_page_for_every_role_at_both_sizes(browser, live_server, world, shots):
    failures, checked = [], []
    pages_seen = {}
    for role in STAFF_ROLES:
        for viewport in (LAPTOP, PHONE):
            f, c, seen = visit_all(
                browser,
                live_server,
                viewport,
                user_of(world, role),
                staff_pages(world),
                shots,
                role,
                phone_header=viewport is PHONE,
            )
            failures += f
            checked += c
            pages_seen[(role, viewport["width"])] = seen
    for viewport in (LAPTOP, PHONE):
        f, c, seen = visit_all(browser, live_server, viewport, None, PUBLIC_PAGES, shots, "public")
        failures += f
        checked += c
        pages_seen[("anonymous", viewport["width"])] = seen
    assert failures == []
    # The walk saw what it should: every public page, the registries for everybody, the tasks for the leads.
    assert pages_seen[("anonymous", 390)] == list(PUBLIC_PAGES)
    assert "/enterprises/" in pages_seen[("registry", 390)] and "/inspections/" in pages_seen[("lead", 390)]
    assert len({text for text in checked if len(text) == 18}) >= 10  # USCCs measured
    assert any(text.startswith("JIANAN2026-") for text in checked)  # task numbers measured
    assert sum(len(seen) for seen in pages_seen.values()) >= 120


def test_the_icon_is_served_and_linked(browser, live_server, world):
    context, page = new_context(browser, live_server, LAPTOP)
    try:
        response = page.request.get(live_server.url + "/favicon.ico")
        assert (response.status, response.headers["content-type"]) == (200, "image/x-icon")
        assert response.body()[:4] == b"\x00\x00\x01\x00"  # an .ico
        for url in ("/public/results/", "/login/"):
            page.goto(live_server.url + url)
            hrefs = page.eval_on_selector_all("link[rel=icon]", "links => links.map(l => l.href)")
            assert [h.rsplit("/", 1)[-1] for h in hrefs] == ["favicon.svg", "favicon.ico"], url
            assert all(page.request.get(href).status == 200 for href in hrefs)
    finally:
        context.close()


def test_the_phone_header_and_menu(browser, live_server, world):
    context, page = new_context(browser, live_server, PHONE, world.assigned["locked"])
    try:
        page.goto(live_server.url + "/inspections/mine/")
        assert page.locator("header.site-header").bounding_box()["height"] <= 64
        assert not page.locator("nav.main-nav").is_visible()  # collapsed behind 菜单
        page.click("details.site-menu > summary")
        links = page.locator("nav.main-nav a")
        assert links.first.is_visible()
        assert links.all_inner_texts()[0] == "我的任务"  # the inspector's own pages first
        assert page.locator(".header-tools button[name=language]").is_visible()
        # a contact number is a tel: link that does not break
        page.goto(live_server.url + f"/inspections/{world.tasks['locked'].pk}/")
        phone = world.tasks["locked"].enterprise.contact_phone
        if phone:
            assert page.locator("a[href^='tel:']").first.inner_text() == phone
    finally:
        context.close()
    context, page = new_context(browser, live_server, LAPTOP, world.users["lead"])
    try:
        page.goto(live_server.url + "/inspections/")
        assert (
            page.locator("nav.main-nav").is_visible() and not page.locator("details.site-menu > summary").is_visible()
        )
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_one_filter_component_and_its_search_button(browser, live_server, world, viewport):
    context, page = new_context(browser, live_server, viewport, world.users["registry"])
    try:
        page.goto(live_server.url + "/enterprises/")
        button = page.locator(".filter-search-button")
        closed = button.bounding_box()
        panel = page.locator("details.filter-panel")
        if viewport is PHONE:
            assert not page.locator(".filter-panel .filters").is_visible()  # collapsed on a phone
            page.click("details.filter-panel > summary")
        assert page.locator(".filter-panel .filters").is_visible()
        opened = button.bounding_box()
        assert closed["height"] == opened["height"] <= 56  # a normal button in both states (it was 450 px)
        assert panel.count() == 1 and page.locator("form.filter-bar").count() == 1
        page.select_option("#id_tier", "key")
        page.click(".filter-submit")
        page.wait_for_load_state("load")
        assert "tier=key" in page.url
        assert page.locator("details.filter-panel").get_attribute("open") is not None  # open while filtering
        for url in ("/inspectors/", "/inspectors/experts/", "/public/results/", "/public/draws/", "/public/data/"):
            page.goto(live_server.url + url)
            assert page.locator("form.filter-bar details.filter-panel").count() == 1, url
        page.goto(live_server.url + "/public/results/")
        if viewport is PHONE:  # the five dropdowns no longer push the results off the first screen
            assert not page.locator("#f-outcome").is_visible()
    finally:
        context.close()


def test_the_print_layout(browser, live_server, world):
    context, page = new_context(browser, live_server, LAPTOP, world.users["lead"])
    try:
        for url in ("/inspections/", "/enterprises/", "/publication/?year=2026", "/public/results/"):
            page.goto(live_server.url + url)
            page.emulate_media(media="print")
            assert not page.locator("header.site-header").is_visible(), url
            assert not page.locator("form.filter-bar").is_visible(), url
            assert page.locator("main table").first.is_visible(), url
            overflow = page.evaluate("getComputedStyle(document.querySelector('.table-wrap')).overflowX")
            assert overflow == "visible", url
            page.emulate_media(media="screen")
    finally:
        context.close()
