"""Every staff URL needs a login; public URLs are an explicit, short list. Found by walking the URLconf."""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from core.enums import Role
from core.models import Job
from tests.factories import MembershipFactory, UserFactory

# URL prefixes that may be reached without an account.
PUBLIC_PREFIXES = (
    "/public/",
    "/c/",
    "/o/",  # the enterprise's objection page, reached with the signed token of its notice (issue 16)
    "/healthz",
    "/favicon.ico",
    "/login/",
    "/i18n/",
    "/logout/",
    "/admin/login/",
    "/admin/logout/",
)
# Third-party areas (staff only) whose regex routes cannot be filled with sample values.
THIRD_PARTY = ("/admin/", "/django-rq/")

SAMPLE_VALUES = {"int": "1", "uuid": str(uuid.UUID(int=1)), "slug": "x", "str": "x", "path": "x"}


def walk(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def concrete(route: str) -> str:
    """Turn a route like 'enterprises/<int:pk>/' into a URL with sample values."""

    def sub(match):
        converter = match.group(1) or "str"
        return SAMPLE_VALUES.get(converter, "1")

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", sub, route)


def is_regex(route: str) -> bool:
    return "^" in route or "(?P" in route or "\\" in route


ALL_ROUTES = list(walk())
ROUTES = sorted(
    {(concrete(route), callback) for route, callback in ALL_ROUTES if not is_regex(route)}, key=lambda item: item[0]
)


def test_only_third_party_routes_are_regexes():
    for route, _callback in ALL_ROUTES:
        if is_regex(route):
            assert ("/" + route).startswith(THIRD_PARTY), route


def test_the_walk_finds_the_staff_urls():
    urls = [url for url, _ in ROUTES]
    assert "/audit/" in urls and "/calendar/" in urls and "/" in urls


def test_public_views_are_only_under_public_prefixes():
    for url, callback in ROUTES:
        if getattr(callback, "login_required", True) is False:
            assert url.startswith(PUBLIC_PREFIXES), f"{url} opts out of login but is not a public URL"


@pytest.mark.parametrize("url", [url for url, cb in ROUTES if getattr(cb, "login_required", True) is not False])
def test_anonymous_is_sent_to_login(client, db, url):
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert response.status_code == 302, f"{method.upper()} {url} answered {response.status_code}"
        assert response["Location"].startswith(("/login/", "/admin/login/")), f"{url} → {response['Location']}"


def test_job_of_another_bureau_is_404(client_for, alice, other_bureau, bureau):
    own = Job.objects.create(kind="test", bureau=bureau, message="第 3 行已读入")
    foreign = Job.objects.create(kind="test", bureau=other_bureau)
    client = client_for(alice)
    response = client.get(f"/jobs/{own.pk}/")
    assert response.status_code == 200
    assert "第 3 行已读入" in response.content.decode()
    assert client.get(f"/jobs/{foreign.pk}/").status_code == 404


def test_bureau_switch_only_to_granted_bureaus(client_for, alice, other_bureau, bureau):
    client = client_for(alice)
    client.post("/bureau/switch/", {"bureau": other_bureau.pk, "next": "/"})
    assert client.get("/").context["request"].bureau == bureau
    MembershipFactory(user=alice, bureau=other_bureau, role=Role.AUDITOR)
    client.post("/bureau/switch/", {"bureau": other_bureau.pk, "next": "https://evil.example/"})
    response = client.get("/")
    assert response.context["request"].bureau == other_bureau
    assert response.context["request"].roles == frozenset({"auditor"})


def test_bureau_switch_refuses_external_redirect(client_for, alice):
    response = client_for(alice).post("/bureau/switch/", {"bureau": "x", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_user_without_membership_sees_no_bureau(client, db):
    client.force_login(UserFactory(username="nobody"))
    response = client.get("/")
    assert response.status_code == 200
    assert "您尚未被授予任何单位的角色" in response.content.decode()
    assert client.get("/audit/").status_code == 403


def test_only_the_most_specific_nav_item_is_current(client_for, alice):
    response = client_for(alice).get("/publication/reports/")
    current = [item["url"] for item in response.context["nav_items"] if item["active"]]
    assert current == ["/publication/reports/"]
    body = response.content.decode()
    assert body.count('aria-current="page"') == 1
