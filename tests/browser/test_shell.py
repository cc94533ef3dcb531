"""The UI shell in a real browser: Chinese by default, login, navigation per role, phone layout."""

import pytest

from core.enums import Role
from tests.browser.conftest import login
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def auditor(bureau):
    user = UserFactory(username="shen", first_name="沈审计")
    MembershipFactory(user=user, bureau=bureau, role=Role.AUDITOR)
    return user


def test_login_and_navigation_in_chinese(page, auditor):
    page.goto(page.base_url + "/")
    assert page.url.endswith("/login/?next=/")
    assert page.locator("h1").inner_text() == "登录"
    login(page, "shen")
    assert page.locator("h1").inner_text().startswith("欢迎")
    nav = page.locator("nav.main-nav").inner_text()
    assert "审计日志" in nav and "工作日历" in nav
    page.click("nav.main-nav >> text=审计日志")
    assert page.locator("h1").inner_text() == "审计日志"


def test_switch_to_english_and_back(page, auditor):
    login(page, "shen")
    page.click("button[name=language]")
    page.wait_for_load_state("networkidle")
    assert "Audit trail" in page.locator("nav.main-nav").inner_text()
    page.click("button[name=language]")
    page.wait_for_load_state("networkidle")
    assert "审计日志" in page.locator("nav.main-nav").inner_text()


def test_wrong_password_is_refused_and_locks_after_five(page, auditor):
    for _ in range(5):
        login(page, "shen", password="wrong-password")
    login(page, "shen")
    assert "账户已锁定" in page.content()


def test_phone_layout_has_no_horizontal_scroll(phone_page, auditor):
    login(phone_page, "shen")
    for url in ("/", "/audit/", "/calendar/"):
        phone_page.goto(phone_page.base_url + url)
        overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px"
