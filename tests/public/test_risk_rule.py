"""Each bureau's risk weight rule in words on the public site (issue 16 item 3), with the numbers the draws
use, since when it is in force and its changes."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from core.enums import Role
from core.public_cache import bump_public_version
from enterprises.services import risk_rule_update
from sampling.models import Draw
from tests.conftest import _member
from tests.tamper import triggers_disabled

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


def _clean_term(section: str, code: str) -> str:
    found = re.search(rf'<li id="clean-term-{code}">(.*?)</li>', section, re.S)
    return re.sub(r"\s+", " ", found.group(1)).strip()


def test_every_bureau_has_its_rule_in_words(bureau, other_bureau):
    admin = _member("ivy", other_bureau, Role.ADMIN, first_name="吴管理")
    with time_machine.travel(datetime(2026, 5, 4, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        risk_rule_update(
            actor=admin,
            bureau=other_bureau,
            **{
                **DEFAULTS,
                "window_years": 1,
                "records_cap": 2,
                "warning_term": 0,
                "penalty_weight": 3,
                "clean_streak": 2,
                "clean_weight": 2,
            },
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
    assert _clean_term(ours, bureau.code) == (
        "最近 3 次已公示的检查结果均为“未发现问题”、且抽取之日前 12 个月内无行政处罚记录的企业，无论其较早的记录和信用评价如何，"
        "至多有 1 张签；“无法联系”“不配合”或发现任何问题的结果即中断连续。"
    )
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
    assert _clean_term(theirs, other_bureau.code) == (
        "最近 2 次已公示的检查结果均为“未发现问题”、且抽取之日前 12 个月内无行政处罚记录的企业，无论其较早的记录和信用评价如何，"
        "至多有 2 张签；“无法联系”“不配合”或发现任何问题的结果即中断连续。"
    )
    assert "因此权重最低为 1，最高为 5。" in theirs  # max(1 + 2 + 2, 3)
    assert "自 2026-05-04 10:30 起施行（此后准备的抽取适用）。" in theirs
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td><td>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td></tr>", theirs)
    assert rows == [
        ("2026-05-04 10:30", "计入记录的年数", "3", "1"),
        ("", "最多计入的记录条数", "3", "2"),
        ("", "信用评价为“警示”加签数", "1", "0"),
        ("", "近期受处罚后的最低权重", "0", "3"),
        ("", "降低权重所需的连续未发现问题检查次数", "3", "2"),
        ("", "连续检查未发现问题后的最高权重", "1", "2"),
    ]


def test_the_term_off_is_not_described(bureau):
    admin = _member("ivy", bureau, Role.ADMIN, first_name="吴管理")
    risk_rule_update(actor=admin, bureau=bureau, **{**DEFAULTS, "clean_streak": 0})
    ours = _section(Client().get("/public/draws/risk-weights/").content.decode(), bureau.code)
    assert "clean-term-" not in ours
    assert len(_rule(ours)) == 5 and not any("未发现问题" in item for item in _rule(ours))


def test_the_draw_page_links_the_rule(world):
    html = Client().get(f"/public/draws/{world.draw_a.pk}/").content.decode()
    assert 'href="/public/draws/risk-weights/" id="risk-rule-link"' in html


def _applied(html: str) -> str:
    found = re.search(r'<dd id="risk-rule-applied">(.*?)</dd>', html, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else ""


def test_the_draw_page_shows_the_rule_it_applied(world):
    applied = {
        **{k: v for k, v in DEFAULTS.items() if not k.startswith("clean_")},
        "penalty_weight": 4,
        "changed_at": "2026-01-05T01:00:00+00:00",
    }
    # a draw made before the clean-inspection term existed recorded no clean_streak (the policy is frozen once
    # drawn: written here as the schema owner could)
    with triggers_disabled("sampling_draw"):
        Draw.objects.filter(pk=world.draw_a.pk).update(policy={**world.draw_a.policy, "risk_rule": applied})
    bump_public_version()
    html = Client().get(f"/public/draws/{world.draw_a.pk}/").content.decode()
    assert (
        _applied(html)
        == "1 + 近 3 年记录数（最多 3）+ 警示 1 或不良 2；近 12 个月内受处罚的至少为 4 （本局 2026-01-05 修改的规则）"
    )
    with triggers_disabled("sampling_draw"):
        Draw.objects.filter(pk=world.draw_a.pk).update(
            policy={**world.draw_a.policy, "risk_rule": {**applied, "clean_streak": 3, "clean_weight": 1}}
        )
    bump_public_version()
    html = Client().get(f"/public/draws/{world.draw_a.pk}/").content.decode()
    assert _applied(html) == (
        "1 + 近 3 年记录数（最多 3）+ 警示 1 或不良 2；近 12 个月内受处罚的至少为 4；连续 3 次检查未发现问题的至多为 1 "
        "（本局 2026-01-05 修改的规则）"
    )
