"""Whole public pages from the cache (disclosure.middleware) and the language link that makes it possible."""

import json
import os

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.encoding import iri_to_uri

from disclosure import middleware, opendata
from disclosure import public_queries as pq
from tests.inspections.factories import DrawFactory, InspectionTaskFactory

from .test_views import lead  # noqa: F401 - the fixture
from .world import make_publications, publish

pytestmark = pytest.mark.django_db

URL = reverse("public:results") + "?q=化工"


@pytest.fixture
def published(bureau, lead):  # noqa: F811
    return make_publications(bureau, lead, ["许昌甲化工有限公司"])


def test_a_page_seen_once_is_answered_without_the_database(published, django_assert_num_queries):
    first = Client().get(URL)
    assert first.status_code == 200 and "许昌甲化工有限公司" in first.content.decode()
    with django_assert_num_queries(0):
        again = Client().get(URL)
    assert again.status_code == 200
    assert again.content == first.content
    for header in ("Content-Type", "Content-Language", "X-Frame-Options", "Vary"):
        assert again[header] == first[header], header
    assert again["Content-Language"] == "zh-hans"
    assert not again.cookies


def test_a_logged_in_visitor_gets_the_same_page(published, lead, django_assert_num_queries):  # noqa: F811
    anonymous = Client().get(URL).content
    staff = Client()
    staff.force_login(lead)
    with django_assert_num_queries(0):
        assert staff.get(URL).content == anonymous
    assert "张组长" not in anonymous.decode()  # nothing of the visitor is on a public page


def test_each_language_has_its_own_page(published):
    chinese = Client().get(URL)
    english = Client(headers={"accept-language": "en"}).get(URL)
    by_cookie = Client()
    by_cookie.cookies["django_language"] = "en"
    assert chinese["Content-Language"] == "zh-hans" and "抽查结果" in chinese.content.decode()
    assert english["Content-Language"] == "en" and "<title>Results" in english.content.decode()
    assert by_cookie.get(URL).content == english.content
    assert Client().get(URL).content == chinese.content


def test_other_urls_and_methods_are_not_served_from_it(published, django_assert_num_queries):
    client = Client()
    client.get(URL)
    assert client.get(URL + "&tier=key").status_code == 200  # another URL: its own entry
    assert client.post(URL).status_code == 405  # only GET is answered from the cache
    selection = {"bureau": "jianan"}  # a selection (the whole file is prebuilt): streamed, never kept
    client.get(reverse("public:results-csv"), selection)
    with django_assert_num_queries(2):  # the bound's count, then the rows
        response = client.get(reverse("public:results-csv"), selection)
        assert "许昌甲化工有限公司" in b"".join(response.streaming_content).decode()
    client.get(reverse("public:plans"))  # the views that did not opt in run every time
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("public:plans"))
    assert queries.captured_queries


def test_not_found_is_never_kept(published, django_assert_num_queries):
    client, url = Client(), reverse("public:result-detail", args=[999999])
    assert client.get(url).status_code == 404
    with django_assert_num_queries(1):
        assert client.get(url).status_code == 404


def test_no_page_is_kept_when_the_page_cache_is_off(published, monkeypatch):
    monkeypatch.setattr(pq, "SEARCH_CACHE_SECONDS", 0)
    Client().get(URL)
    with CaptureQueriesContext(connection) as queries:
        assert "许昌甲化工有限公司" in Client().get(URL).content.decode()
    assert any("disclosure_publication" in q["sql"] for q in queries.captured_queries)  # the search ran again


def test_a_publication_shows_at_once(bureau, lead, published, django_capture_on_commit_callbacks):  # noqa: F811
    url = reverse("public:results")
    assert "许昌乙化工有限公司" not in Client().get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        make_publications(bureau, lead, ["许昌乙化工有限公司"])
    assert "许昌乙化工有限公司" in Client().get(url).content.decode()


def test_the_public_site_answers_while_redis_is_down(
    bureau,
    lead,  # noqa: F811
    published,
    settings,
    django_capture_on_commit_callbacks,
    caplog,
):
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    }
    assert Client().get(reverse("public:home")).status_code == 200
    page = Client().get(URL)
    assert page.status_code == 200 and "许昌甲化工有限公司" in page.content.decode()
    # A publication is saved and shown (its bump of the public version is dropped, not an error).
    with django_capture_on_commit_callbacks(execute=True):
        make_publications(bureau, lead, ["许昌乙化工有限公司"])
    assert "许昌乙化工有限公司" in Client().get(reverse("public:results")).content.decode()
    assert any("Redis cache failed" in r.getMessage() for r in caplog.records)


def test_a_host_not_allowed_is_refused_even_when_the_page_is_kept(published):
    Client().get(URL)
    assert Client().get(URL, HTTP_HOST="evil.example").status_code == 400


@pytest.mark.parametrize(("sets_cookie", "runs"), [(True, 2), (False, 1)])
def test_a_response_that_sets_a_cookie_is_not_kept(sets_cookie, runs):
    """E.g. a page whose template asked for a form token sets the CSRF cookie: it must run for every visitor."""
    calls = []

    def view(request):
        calls.append(request.path)
        response = HttpResponse("page")
        if sets_cookie:
            response.set_cookie("csrftoken", "token")
        setattr(response, middleware.PAGE_ATTRIBUTE, 300)
        return response

    keeper = middleware.PublicPageCacheMiddleware(view)
    for _ in range(2):
        assert keeper(RequestFactory().get(reverse("public:home"))).content == b"page"
    assert len(calls) == runs


def test_the_language_link_sets_the_cookie_and_returns(published):
    client = Client()
    response = client.get(reverse("public:language"), {"to": "en", "next": URL})
    assert response.status_code == 302 and response["Location"] == iri_to_uri(URL)
    assert response.cookies["django_language"].value == "en"
    page = client.get(URL)
    assert page["Content-Language"] == "en"
    assert f'href="{reverse("public:language")}?to=zh-hans&amp;next=' in page.content.decode()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", ""])
def test_the_language_link_never_leaves_the_site(next_url):
    response = Client().get(reverse("public:language"), {"to": "en", "next": next_url})
    assert response.status_code == 302 and response["Location"] == reverse("public:home")


def test_an_unknown_language_sets_nothing():
    response = Client().get(reverse("public:language"), {"to": "xx", "next": reverse("public:plans")})
    assert response.status_code == 302 and response["Location"] == reverse("public:plans")
    assert "django_language" not in response.cookies


def test_public_pages_hold_no_form_token(published):
    for name in ("home", "results"):
        response = Client().get(reverse(f"public:{name}"))
        assert "csrfmiddlewaretoken" not in response.content.decode()
        assert "csrftoken" not in response.cookies


# --- the other public pages kept whole (issue 19: public pages that do not queue) -------------------------


def _page_twice(url, django_assert_num_queries) -> str:
    """The page seen once, then again from the cache with no query; its text."""
    first = Client().get(url)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        again = Client().get(url)
    assert again.content == first.content
    return first.content.decode()


def test_the_same_enterprise_page_shows_a_new_result_after_a_publication(
    bureau,
    lead,  # noqa: F811
    published,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    (first,) = published
    url = reverse("public:enterprise", args=[first.uscc])
    page = _page_twice(url, django_assert_num_queries)
    assert reverse("public:result-detail", args=[first.pk]) in page
    # The enterprise is inspected again in another quarter's draw and that result is published.
    draw = DrawFactory(task__plan__bureau=bureau, created_by=lead, quarter=3)
    task = InspectionTaskFactory(draw=draw, enterprise=first.task.enterprise, stratum="2026Q3/key")
    with django_capture_on_commit_callbacks(execute=True):
        second = publish(task, lead, outcome="corrected")
    page = Client().get(url).content.decode()
    assert reverse("public:result-detail", args=[first.pk]) in page
    assert reverse("public:result-detail", args=[second.pk]) in page


def test_a_result_page_and_the_draw_pages_are_kept_until_a_publication(
    bureau,
    lead,  # noqa: F811
    published,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    (first,) = published
    draw = first.task.draw
    detail = _page_twice(reverse("public:result-detail", args=[first.pk]), django_assert_num_queries)
    assert "许昌甲化工有限公司" in detail
    draw_url = reverse("public:draw-detail", args=[draw.pk])
    assert "许昌乙化工有限公司" not in _page_twice(draw_url, django_assert_num_queries)
    _page_twice(reverse("public:draws"), django_assert_num_queries)
    with django_capture_on_commit_callbacks(execute=True):
        make_publications(bureau, lead, ["许昌乙化工有限公司"], draw=draw)
    assert "许昌乙化工有限公司" in Client().get(draw_url).content.decode()


def test_the_open_data_page_is_kept_until_the_files_are_rebuilt(published, django_assert_num_queries):
    opendata.build()
    url = reverse("public:open-data")
    page = _page_twice(url, django_assert_num_queries)
    assert "results.csv.gz" in page and "results-2026-q4.csv" in page
    # A rebuild that writes another manifest (here: by hand, the same data under a new build time).
    manifest = opendata.read_manifest()
    stamp = opendata.manifest_stamp()
    manifest["files"] = {name: entry for name, entry in manifest["files"].items() if "-q4" not in name}
    (opendata.root() / opendata.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    os.utime(opendata.root() / opendata.MANIFEST, ns=(stamp + 1_000_000, stamp + 1_000_000))
    again = Client().get(url).content.decode()
    assert "results.csv.gz" in again and "results-2026-q4.csv" not in again


def test_pages_edited_by_staff_without_a_publication_are_not_kept(published):
    for url in (reverse("public:checklist"), reverse("public:plans")):
        Client().get(url)
        with CaptureQueriesContext(connection) as queries:
            assert Client().get(url).status_code == 200
        assert queries.captured_queries, url


def test_a_result_page_costs_one_query_when_not_kept(published, django_assert_num_queries):
    (first,) = published
    with django_assert_num_queries(1):  # the row with its draw's id (the link to the draw record)
        page = Client().get(reverse("public:result-detail", args=[first.pk]))
    assert reverse("public:draw-detail", args=[first.draw_id]) in page.content.decode()
