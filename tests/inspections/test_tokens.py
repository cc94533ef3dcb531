from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import signing

from inspections import tokens

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_token_round_trip_and_is_stable(task):
    token = tokens.make_token(task)
    assert tokens.make_token(task) == token  # the printed notice and the phone show the same code
    assert tokens.read_token(token) == task.pk


def test_token_valid_until_sixty_days_after_the_planned_end(task):
    assert tokens.token_valid_until(task) == task.planned_end + timedelta(days=60)


def test_checkin_url_uses_site_url(task, settings):
    settings.SITE_URL = "https://ssj.example.gov.cn"
    url = tokens.checkin_url(task)
    assert url == f"https://ssj.example.gov.cn/c/{tokens.make_token(task)}/"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature altered
        lambda t: t.split(":")[0],  # signature cut off
        lambda t: "x",
        lambda t: "",
    ],
)
def test_forged_or_altered_token_is_invalid(task, mangle):
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_token(mangle(tokens.make_token(task)))


def test_token_for_another_task_cannot_be_made_without_the_key(task):
    forged = signing.Signer(key="not-our-secret", salt=tokens.SALT).sign_object({"t": task.pk, "x": "2099-12-31"})
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_token(forged)


def test_token_of_another_salt_is_invalid(task):
    other = signing.Signer(salt="core.something").sign_object({"t": task.pk, "x": "2099-12-31"})
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_token(other)


def test_token_expires_after_its_last_day(task):
    task.planned_end = date(2026, 12, 31)
    token = tokens.make_token(task)
    with time_machine.travel(datetime(2027, 3, 1, 23, 59, tzinfo=SHANGHAI), tick=False):
        assert tokens.read_token(token) == task.pk  # 2026-12-31 + 60 days = 2027-03-01, the last valid day
    with (
        time_machine.travel(datetime(2027, 3, 2, 0, 0, tzinfo=SHANGHAI), tick=False),
        pytest.raises(tokens.TokenExpired) as exc,
    ):
        tokens.read_token(token)
    assert (exc.value.task_id, exc.value.expired_on) == (task.pk, date(2027, 3, 1))


def test_qr_svg_is_inline_svg():
    svg = tokens.qr_svg("https://ssj.example.gov.cn/c/abc/")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
