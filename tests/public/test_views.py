"""The public pages: exact contents, search and filters, keyset pagination, query counts."""

import csv
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from core.enums import Role
from enterprises.enums import Tier
from inspections.enums import Outcome
from inspections.models import Publication
from sampling import plans
from sampling.enums import PlanStatus
from tests.conftest import _member
from tests.factories import CheckItemFactory

from .world import make_publications, whole_year

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(bureau):
    return _member("lead", bureau, Role.TEAM_LEAD, first_name="张组长")


@pytest.fixture
def anon():
    return Client()


def _names(response) -> list[str]:
    return [row["enterprise_name"] for row in response.context["page"]["rows"]]


def test_home_explains_and_links_to_everything(anon, bureau, lead):
    make_publications(bureau, lead, ["许昌甲化工有限公司"])
    response = anon.get(reverse("public:home"))
    html = response.content.decode()
    assert response.status_code == 200
    for name in ("results", "plans", "checklist", "draws", "open-data"):
        assert f'href="{reverse(f"public:{name}")}"' in html
    assert "双随机、一公开" in html
    assert "已公示 1 条结果" in html
    assert "许昌甲化工有限公司" in html


def test_search_by_name_uscc_and_prefix(anon, bureau, lead):
    _a, b, _c = make_publications(bureau, lead, ["许昌甲化工有限公司", "许昌乙制药有限公司", "建安丙化工厂"])
    url = reverse("public:results")
    assert _names(anon.get(url, {"q": "化工"})) == ["建安丙化工厂", "许昌甲化工有限公司"]
    assert _names(anon.get(url, {"q": b.uscc})) == ["许昌乙制药有限公司"]
    assert _names(anon.get(url, {"q": b.uscc.lower()})) == ["许昌乙制药有限公司"]
    assert _names(anon.get(url, {"q": "  许昌   乙制药 "})) == []  # words are not split: a name part
    assert _names(anon.get(url, {"q": "乙制药"})) == ["许昌乙制药有限公司"]
    assert _names(anon.get(url, {"q": "无此企业"})) == []
    assert "没有符合条件的公示结果" in anon.get(url, {"q": "无此企业"}).content.decode()


def test_two_character_search_matches_any_case_and_uses_the_bigram_index_on_postgresql(anon, bureau, lead):
    make_publications(bureau, lead, ["许昌Ab化工有限公司", "许昌乙制药有限公司", "建安丙化工厂"])
    url = reverse("public:results")
    with CaptureQueriesContext(connection) as queries:
        assert _names(anon.get(url, {"q": "aB"})) == ["许昌Ab化工有限公司"]
    search_sql = [q["sql"] for q in queries.captured_queries if "disclosure_publication" in q["sql"]]
    assert _names(anon.get(url, {"q": "药有"})) == ["许昌乙制药有限公司"]
    assert _names(anon.get(url, {"q": "化工"})) == ["建安丙化工厂", "许昌Ab化工有限公司"]
    assert _names(anon.get(url, {"q": "甲乙"})) == []
    assert _names(anon.get(url, {"q": "药"})) == ["许昌乙制药有限公司"]  # one character: a plain LIKE
    assert search_sql  # read before the next request resets the connection's query log
    if connection.vendor == "postgresql":
        assert any("name_bigrams @>" in sql for sql in search_sql)


def test_filters_year_quarter_tier_outcome_bureau(anon, bureau, other_bureau, lead):
    olead = _member("olead", other_bureau, Role.TEAM_LEAD)
    make_publications(bureau, lead, ["甲公司"], tier="key", outcome="no_problem", quarter=4)
    make_publications(bureau, lead, ["乙公司"], tier="general", outcome="case_filed", quarter=3)
    make_publications(other_bureau, olead, ["丙公司"], tier="special", outcome="corrected", quarter=4)
    url = reverse("public:results")
    assert _names(anon.get(url, {"quarter": 3})) == ["乙公司"]
    assert _names(anon.get(url, {"tier": "special"})) == ["丙公司"]
    assert _names(anon.get(url, {"outcome": "case_filed"})) == ["乙公司"]
    assert _names(anon.get(url, {"bureau": "yanling"})) == ["丙公司"]
    assert _names(anon.get(url, {"bureau": "jianan", "quarter": 4})) == ["甲公司"]
    assert _names(anon.get(url, {"year": 2026})) == ["丙公司", "乙公司", "甲公司"]
    assert _names(anon.get(url, {"year": 2025})) == []
    # Values that are not choices mean "any".
    assert _names(anon.get(url, {"year": "abc", "tier": "secret", "bureau": "nowhere", "quarter": 9})) == [
        "丙公司",
        "乙公司",
        "甲公司",
    ]


def test_keyset_pagination_walks_every_row_once_newest_first(anon, bureau, lead):
    names = [f"分页测试{n:02d}有限公司" for n in range(25)]
    make_publications(bureau, lead, names)  # same published_at (frozen clock not needed: id breaks ties)
    url = reverse("public:results")
    first = anon.get(url)
    assert _names(first) == names[::-1][:20]
    cursor = first.context["page"]["next"]
    assert cursor and f"after={cursor}" in first.content.decode()
    second = anon.get(url, {"after": cursor})
    assert _names(second) == names[::-1][20:]
    assert second.context["page"]["next"] == ""
    assert anon.get(url, {"after": "not-a-cursor"}).context["page"]["first"] is True


def test_result_detail_shows_every_public_field(anon, bureau, lead):
    (pub,) = make_publications(bureau, lead, ["许昌甲化工有限公司"], outcome="rectification_ordered")
    html = anon.get(reverse("public:result-detail", args=[pub.pk])).content.decode()
    for value in (
        pub.enterprise_name,
        pub.uscc,
        "发现问题已责令整改",
        pub.items_checked,
        pub.plan_name,
        pub.plan_number,
        pub.plan_task_name,
        pub.plan_task_number,
        pub.inspection_number,
        pub.bureau_name,
        pub.published_on.isoformat(),
        pub.inspected_on.isoformat(),
        "不定向抽查",
        f'href="{reverse("public:draw-detail", args=[pub.draw_id])}"',  # the draw that selected it
    ):
        assert value in html, value


def test_enterprise_page_lists_its_published_history(anon, bureau, lead):
    first, _other = make_publications(bureau, lead, ["许昌甲化工有限公司", "许昌乙制药有限公司"])
    response = anon.get(reverse("public:enterprise", args=[first.uscc.lower()]))
    assert response.status_code == 200
    assert [p.pk for p in response.context["history"]] == [first.pk]
    assert "许昌乙制药有限公司" not in response.content.decode()


def test_plans_and_checklist_are_public(anon, bureau, lead):
    item = CheckItemFactory(
        bureau=bureau, code="SJ-07", name="危险废物规范化管理", legal_basis="《固体废物污染环境防治法》"
    )
    CheckItemFactory(bureau=bureau, code="SJ-99", name="已停用事项", active=False)
    plan = plans.plan_create(actor=lead, bureau=bureau, year=2026, name="2026年双随机抽查计划")
    task = plans.plan_task_create(
        actor=lead,
        plan=plan,
        check_items=[item],
        name="重点排污单位抽查",
        include_key=True,
        **whole_year(2026),
    )
    assert anon.get(reverse("public:plan-detail", args=[plan.pk])).status_code == 404  # a draft
    plans.plan_set_status(actor=lead, plan=plan, status=PlanStatus.ACTIVE)
    html = anon.get(reverse("public:plans")).content.decode()
    assert "2026年双随机抽查计划" in html and "重点排污单位抽查" in html
    detail = anon.get(reverse("public:task-detail", args=[task.pk])).content.decode()
    assert "危险废物规范化管理" in detail and "重点监管对象" in detail and "不定向抽查" in detail
    checklist = anon.get(reverse("public:checklist")).content.decode()
    assert "危险废物规范化管理" in checklist and "《固体废物污染环境防治法》" in checklist
    assert "已停用事项" not in checklist


def test_a_logged_in_user_sees_the_same_public_pages(client_for, bureau, lead):
    make_publications(bureau, lead, ["许昌甲化工有限公司"])
    response = client_for(lead).get(reverse("public:results"))
    assert response.status_code == 200 and "许昌甲化工有限公司" in response.content.decode()


def test_post_is_refused(anon):
    assert anon.post(reverse("public:results")).status_code == 405


# --- query counts: the same with 1 and 3 rows ------------------------------------------------------------


def _count(django_assert_num_queries, client, url, n):
    cache.clear()
    with django_assert_num_queries(n):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("rows", [1, 3])
def test_results_list_queries(anon, bureau, lead, rows, django_assert_num_queries):
    make_publications(bureau, lead, [f"查询计数{n}有限公司" for n in range(rows)])
    url = reverse("public:results") + "?q=查询计数&year=2026"
    # bureaus, years (cached afterwards), the page of results
    _count(django_assert_num_queries, anon, url, 3)
    with django_assert_num_queries(0):  # everything cached until the next publication
        anon.get(url)


@pytest.mark.parametrize("rows", [1, 3])
def test_home_queries(anon, bureau, lead, rows, django_assert_num_queries):
    make_publications(bureau, lead, [f"首页{n}有限公司" for n in range(rows)])
    _count(django_assert_num_queries, anon, reverse("public:home"), 4)


@pytest.mark.parametrize("rows", [1, 3])
def test_enterprise_history_queries(anon, bureau, lead, rows, django_assert_num_queries):
    pubs = make_publications(bureau, lead, ["历史测试有限公司"] * rows)
    Publication.objects.update(uscc=pubs[0].uscc)
    _count(django_assert_num_queries, anon, reverse("public:enterprise", args=[pubs[0].uscc]), 1)


@pytest.mark.parametrize("rows", [1, 3])
def test_checklist_queries(anon, bureau, rows, django_assert_num_queries):
    for n in range(rows):
        CheckItemFactory(bureau=bureau, code=f"SJ-{n}")
    _count(django_assert_num_queries, anon, reverse("public:checklist"), 2)


@pytest.mark.parametrize("rows", [1, 3])
def test_plans_list_queries(anon, bureau, lead, rows, django_assert_num_queries):
    item = CheckItemFactory(bureau=bureau)
    for n in range(rows):
        plan = plans.plan_create(actor=lead, bureau=bureau, year=2026, name=f"计划{n}")
        plans.plan_task_create(
            actor=lead,
            plan=plan,
            check_items=[item],
            name="任务",
            include_key=True,
            **whole_year(2026),
        )
        plans.plan_set_status(actor=lead, plan=plan, status=PlanStatus.ACTIVE)
    # years and bureaus (cached afterwards), the plans, their tasks
    _count(django_assert_num_queries, anon, reverse("public:plans"), 4)


def test_search_by_the_start_of_a_uscc_or_digits_of_a_name(anon, bureau, lead):
    pubs = make_publications(bureau, lead, ["许昌甲化工有限公司", "恒信建材（109316号）有限公司", "许昌丙制药有限公司"])
    url = reverse("public:results")
    prefix = pubs[2].uscc[:12]
    expected = [p.enterprise_name for p in reversed(pubs) if p.uscc.startswith(prefix)]
    assert _names(anon.get(url, {"q": prefix.lower()})) == expected
    assert "许昌丙制药有限公司" in expected
    assert _names(anon.get(url, {"q": "91411003"})) == [p.enterprise_name for p in reversed(pubs)]
    assert _names(anon.get(url, {"q": "109316"})) == ["恒信建材（109316号）有限公司"]
    rows = list(
        csv.reader(
            io.StringIO(b"".join(anon.get(reverse("public:results-csv"), {"q": prefix}).streaming_content).decode()[1:])
        )
    )
    assert [r[1] for r in rows[1:]] == expected[::-1]


def test_the_cached_list_is_kept_per_language(bureau, lead):
    make_publications(bureau, lead, ["许昌甲化工有限公司"])
    zh, en = Client(), Client()
    en.cookies["django_language"] = "en"
    url = reverse("public:results") + "?q=化工"
    assert "<h1>已公示的抽查结果</h1>" in zh.get(url).content.decode()
    assert "<h1>Published results</h1>" in en.get(url).content.decode()
    assert "<h1>已公示的抽查结果</h1>" in zh.get(url).content.decode()


def test_a_result_row_is_written_exactly_and_escaped(anon, bureau, lead):
    (pub,) = make_publications(bureau, lead, ['<b>甲&乙</b>化工"公司'], outcome="case_filed", tier="key", quarter=4)
    html = anon.get(reverse("public:results")).content.decode()
    with translation.override("zh-hans"):
        outcome, tier = str(Outcome.CASE_FILED.label), str(Tier.KEY.label)
    expected = (
        f'<tr><td><a href="/public/results/{pub.id}/">&lt;b&gt;甲&amp;乙&lt;/b&gt;化工&quot;公司</a>'
        f'<br><small class="code muted">{pub.uscc}</small></td>'
        f'<td><span class="badge badge-warn">{outcome}</span><br><small class="muted">2026 第4季度 · {tier}</small></td>'
        f'<td class="nowrap">{pub.inspected_on.isoformat()}</td><td>{pub.bureau_name}</td>'
        f'<td class="nowrap">{pub.published_on.isoformat()}</td></tr>'
    )
    assert expected in html


def test_cached_fragments_follow_the_language_page_and_filters(anon, bureau, lead):
    make_publications(bureau, lead, ["许昌甲化工有限公司"])
    results, plans = reverse("public:results"), reverse("public:plans")
    zh = anon.get(results, {"year": 2026}).content.decode()
    assert '<option value="2026" selected>2026</option>' in zh
    assert '<option value="2026" >2026</option>' in anon.get(results).content.decode()
    assert f'<a href="{results}" aria-current="page">' in zh
    assert f'<a href="{plans}" aria-current="page">' in anon.get(plans).content.decode()
    assert f'<a href="{results}" aria-current="page">' not in anon.get(plans).content.decode()
    assert ">开放数据<" in zh
    english = Client()
    english.cookies["django_language"] = "en"
    en = english.get(results, {"year": 2026}).content.decode()
    assert ">Open data<" in en
    assert "开放数据" not in en
    assert '<option value="2026" selected>2026</option>' in en
