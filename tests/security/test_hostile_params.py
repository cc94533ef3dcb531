"""Hostile query parameters on every route (security review, item 6): a NUL byte or an out-of-range value in
any parameter a view reads answers 400 or is ignored, never 500; and every page carries the CSP header."""

import pytest
from django.urls import reverse

from .matrix import KINDS, client_for, kind_of, url_names

# Every name the views read from request.GET (grep request.GET and the filter forms' fields).
PARAMETERS = (
    "q",
    "year",
    "quarter",
    "page",
    "after",
    "bureau",
    "done",
    "next",
    "to",
    "rating",
    "reason",
    "status",
    "division",
    "industry",
    "tier",
    "kind",
    "action",
    "actor",
    "object_id",
    "date_from",
    "date_to",
    "plan",
    "task",
    "outcome",
    "category",
    "active",
    "role",
    "expert",
    "field",
    "sort",
    "month",
    "day",
    "lang",
)
HOSTILE = {
    "nul": "%00",
    "zero": "0",
    "huge": "10000",
    "negative": "-1",
    "bignum": "9" * 40,
    "text": "x%27%22%3C",
}
VIEWERS = ("anonymous", "admin", "lead")


def urls(world):
    for name in url_names():
        if kind_of(name) not in KINDS:
            continue
        states, kwargs = KINDS[kind_of(name)]
        yield name, reverse(name, kwargs=kwargs(world, states[-1]))


@pytest.mark.slow
def test_hostile_query_parameters_never_cause_a_500(world):
    failures = []
    for name, url in urls(world):
        for label, value in HOSTILE.items():
            query = "&".join(f"{parameter}={value}" for parameter in PARAMETERS)
            for role in VIEWERS:
                response = client_for(world, world.users[role]).get(f"{url}?{query}")
                if response.status_code >= 500:
                    failures.append(f"{name} {label} as {role}: {response.status_code}")
                elif label == "nul" and response.status_code not in (400, 302, 404, 403):
                    failures.append(f"{name} {label} as {role}: {response.status_code}, not refused")
    assert failures == []


def test_nul_in_the_public_search_is_a_400_without_login(client):
    response = client.get("/public/results/?q=%00")
    assert response.status_code == 400
    response = client.get("/public/results/?%00=1")
    assert response.status_code == 400


def test_nul_in_a_posted_form_is_a_400(world):
    response = client_for(world, world.users["admin"]).post("/calendar/", {"action": "set", "note": "a\x00b"})
    assert response.status_code == 400


@pytest.mark.parametrize("year", ["0", "10000", "-5", "99999999999999999999"])
def test_calendar_out_of_range_years_show_this_year(world, year):
    response = client_for(world, world.users["admin"]).get(f"/calendar/?year={year}")
    assert response.status_code == 200
    assert response.context["year"] == 2026  # the world's frozen today
