"""The risk weight rule in words on the public site (issue 16), with the numbers the code uses."""

import re

import pytest
from django.test import Client

from disclosure import public_views

pytestmark = pytest.mark.django_db


def _rule(html: str) -> list[str]:
    items = re.findall(r"<li>(.*?)</li>", html.split('id="risk-rule"', 1)[1].split("</ul>", 1)[0], re.S)
    return [re.sub(r"\s+", " ", item).strip() for item in items]


def test_the_rule_in_words(client):
    html = Client().get("/public/draws/risk-weights/").content.decode()
    assert _rule(html) == [
        "每家企业均有 1 张签；",
        "抽取之日前 3 年内记录在案的违法行为、信访投诉和行政处罚，每条加 1 张签，最多加 3 张；",
        "信用评价为“警示”的，加 1 张签；",
        "信用评价为“不良”的，加 2 张签；",
        "其他信用评价不加签。",
    ]
    assert "因此权重最低为 1，最高为 6。" in html


def test_the_numbers_come_from_the_code(monkeypatch):
    monkeypatch.setattr(public_views, "RISK_WINDOW_YEARS", 2)
    monkeypatch.setattr(public_views, "RISK_RECORDS_CAP", 4)
    html = Client().get("/public/draws/risk-weights/").content.decode()
    assert _rule(html)[1] == "抽取之日前 2 年内记录在案的违法行为、信访投诉和行政处罚，每条加 1 张签，最多加 4 张；"
    assert "因此权重最低为 1，最高为 7。" in html


def test_the_draw_page_links_the_rule(world):
    html = Client().get(f"/public/draws/{world.draw_a.pk}/").content.decode()
    assert 'href="/public/draws/risk-weights/" id="risk-rule-link"' in html
