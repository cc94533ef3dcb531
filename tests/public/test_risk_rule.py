"""Each bureau's risk weight rule in words on the public site (issue 16 item 3), with the numbers the draws
use, since when it is in force and its changes."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from core.enums import Role
from enterprises.services import risk_rule_update
from tests.conftest import _member

pytestmark = pytest.mark.django_db

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


def _section(html: str, code: str) -> str:
    return html.split(f'id="bureau-{code}"', 1)[1].split("</section>", 1)[0]


def _rule(section: str) -> list[str]:
    items = re.findall(r"<li>(.*?)</li>", section.split('class="risk-rule-terms"', 1)[1].split("</ul>", 1)[0], re.S)
    return [re.sub(r"\s+", " ", item).strip() for item in items]


def test_every_bureau_has_its_rule_in_words(bureau, other_bureau):
    admin = _member("ivy", other_bureau, Role.ADMIN, first_name="吴管理")
    with time_machine.travel(datetime(2026, 5, 4, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        risk_rule_update(
            actor=admin,
            bureau=other_bureau,
            **{**DEFAULTS, "window_years": 1, "records_cap": 2, "warning_term": 0, "penalty_weight": 3},
        )
    html = Client().get("/public/draws/risk-weights/").content.decode()

    ours = _section(html, bureau.code)
    assert _rule(ours) == [
        "每家企业均有 1 张签；",
        "抽取之日前 3 年内记录在案的违法行为、信访投诉和行政处罚，每条加 1 张签，最多加 3 张；",
        "信用评价为“警示”的，加 1 张签；",
        "信用评价为“不良”的，加 2 张签；",
        "其他信用评价不加签。",
    ]
    assert "因此权重最低为 1，最高为 6。" in ours
    assert "默认规则，从未更改。" in ours
    assert "<details>" not in ours

    theirs = _section(html, other_bureau.code)
    assert _rule(theirs) == [
        "每家企业均有 1 张签；",
        "抽取之日前 1 年内记录在案的违法行为、信访投诉和行政处罚，每条加 1 张签，最多加 2 张；",
        "信用评价为“警示”的，加 0 张签；",
        "信用评价为“不良”的，加 2 张签；",
        "其他信用评价不加签。",
        "抽取之日前 12 个月内有行政处罚记录的企业，至少有 3 张签。",
    ]
    assert "因此权重最低为 1，最高为 5。" in theirs  # max(1 + 2 + 2, 3)
    assert "自 2026-05-04 10:30 起施行（此后准备的抽取适用）。" in theirs
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td><td>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td></tr>", theirs)
    assert rows == [
        ("2026-05-04 10:30", "计入记录的年数", "3", "1"),
        ("", "最多计入的记录条数", "3", "2"),
        ("", "信用评价为“警示”加签数", "1", "0"),
        ("", "近期受处罚后的最低权重", "0", "3"),
    ]


def test_the_draw_page_links_the_rule(world):
    html = Client().get(f"/public/draws/{world.draw_a.pk}/").content.decode()
    assert 'href="/public/draws/risk-weights/" id="risk-rule-link"' in html
