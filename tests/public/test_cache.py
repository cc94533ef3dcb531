"""The public site's version cache (core.public_cache): round trips per request and freshness."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from core import public_cache
from disclosure import public_queries as pq
from sampling import plans
from sampling.enums import PlanStatus
from tests.factories import CheckItemFactory

from .test_views import lead  # noqa: F401 - the fixture
from .world import make_publications, whole_year

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_calls(monkeypatch):
    """Every call to the cache as ``(method, key)``, in order: one per round trip with Redis (the local
    memory cache answers ``get_many`` by calling ``get`` for each key: those inner calls are not listed)."""
    calls, depth = [], [0]
    for method in ("get", "get_many", "set", "add", "incr", "delete"):
        original = getattr(cache, method)

        def spy(key, *args, _method=method, _original=original, **kwargs):
            if not depth[0]:
                calls.append((_method, key))
            depth[0] += 1
            try:
                return _original(key, *args, **kwargs)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(cache, method, spy)
    return calls


def test_a_cached_search_costs_one_round_trip(bureau, lead, cache_calls):  # noqa: F811
    make_publications(bureau, lead, ["许昌甲化工有限公司"])
    client, url = Client(), reverse("public:results") + "?q=化工"
    assert "许昌甲化工有限公司" in client.get(url).content.decode()
    first = list(cache_calls)
    # the empty cache gets its first version number with the page's lookup; the version is not read again
    assert first[0][0] == "get_many" and public_cache.VERSION_KEY in first[0][1]
    assert first[1] == ("add", public_cache.VERSION_KEY)
    assert [call for call in first[2:] if public_cache.VERSION_KEY in call[1]] == []
    assert first[-1][0] == "set" and first[-1][1].startswith("disclosure:page:zh-hans:")  # the whole page
    cache_calls.clear()
    assert "许昌甲化工有限公司" in client.get(url).content.decode()
    assert cache_calls == [("get_many", [public_cache.VERSION_KEY, first[-1][1]])]  # the version and the page


def test_every_request_reads_the_version_again(bureau, lead, django_capture_on_commit_callbacks):  # noqa: F811
    make_publications(bureau, lead, ["许昌甲化工有限公司"])
    client, url = Client(), reverse("public:results")
    assert "许昌甲化工有限公司" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # published: the version is bumped on commit
        make_publications(bureau, lead, ["许昌乙制药有限公司"])
    assert "许昌乙制药有限公司" in client.get(url).content.decode()


def test_a_plan_put_in_force_shows_its_year_at_once(bureau, lead, django_capture_on_commit_callbacks):  # noqa: F811
    assert pq.plan_years() == []
    plan = plans.plan_create(actor=lead, bureau=bureau, year=2027, name="二〇二七年计划")
    plans.plan_task_create(
        actor=lead,
        plan=plan,
        check_items=[CheckItemFactory(bureau=bureau)],
        name="任务",
        include_key=True,
        **whole_year(2027),
    )
    with django_capture_on_commit_callbacks(execute=True):
        plans.plan_set_status(actor=lead, plan=plan, status=PlanStatus.ACTIVE)
    assert pq.plan_years() == [2027]
    assert [b["code"] for b in pq.public_bureaus()] == [bureau.code]


def test_values_kept_in_memory_never_outlive_an_emptied_cache(bureau, lead):  # noqa: F811
    make_publications(bureau, lead, ["许昌甲化工有限公司"])
    assert pq.result_years() == [2026]
    assert pq.published_total() == 1
    cache.clear()  # e.g. Redis restarted without its data: the version starts again, from a new number
    make_publications(bureau, lead, ["许昌乙制药有限公司"])
    cache.clear()
    public_cache._request.version = None  # as at the start of the next request
    assert pq.published_total() == 2


def test_timeout_zero_computes_without_the_cache(cache_calls):
    assert public_cache.cached("x", lambda: 42, 0) == 42
    assert cache_calls == []


def test_a_bump_made_while_redis_is_down_is_told_once_it_is_back(settings):
    working = settings.CACHES
    public_cache._forget_version()
    before = public_cache.public_version()
    settings.CACHES = {
        **working,
        "default": {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    }
    public_cache.bump_public_version()  # e.g. a publication committed during the outage
    assert public_cache._bump_pending.is_set()
    Client().get(reverse("public:home"))  # still down: tried again, still pending
    assert public_cache._bump_pending.is_set()

    settings.CACHES = working
    assert cache.get(public_cache.VERSION_KEY) == before  # Redis came back with the old version
    Client().get(reverse("public:home"))  # the next request tells it
    assert not public_cache._bump_pending.is_set()
    assert cache.get(public_cache.VERSION_KEY) > before


def test_a_search_that_misses_costs_two_round_trips(bureau, lead, cache_calls):  # noqa: F811
    make_publications(bureau, lead, ["许昌甲化工有限公司", "许昌乙制药有限公司"])
    client = Client()
    client.get(reverse("public:results") + "?q=化工")  # the version and the form's choices are read once
    cache_calls.clear()
    page = client.get(reverse("public:results") + "?q=制药").content.decode()
    assert "许昌乙制药有限公司" in page and "许昌甲化工有限公司" not in page
    key = cache_calls[0][1][1]
    assert key.startswith("disclosure:page:zh-hans:")
    # the lookup of the version with the page, then the page stored: the rows are not kept apart as well
    assert cache_calls == [("get_many", [public_cache.VERSION_KEY, key]), ("set", key)]


def test_a_public_page_that_is_never_kept_is_not_looked_up(bureau, lead, cache_calls):  # noqa: F811
    make_publications(bureau, lead, ["许昌甲化工有限公司"])
    client = Client()
    assert client.get(reverse("public:plans")).status_code == 200
    assert client.get(reverse("public:open-data-file", args=["results-1999.csv"])).status_code == 404
    assert client.get(reverse("public:home") + "no-such-page/").status_code == 404
    assert cache_calls  # the plans page reads the public version (its year choices are kept for it)
    assert [call for call in cache_calls if "disclosure:page:" in str(call[1])] == []
    client.get(reverse("public:draws"))  # a view that opts in: looked up and stored
    assert [method for method, key in cache_calls if "disclosure:page:" in str(key)] == ["get_many", "set"]
