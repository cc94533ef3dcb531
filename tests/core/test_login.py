import pytest
from django.test import Client

from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def user(bureau):
    user = UserFactory(username="zhang", first_name="张三")
    MembershipFactory(user=user, bureau=bureau, role="team_lead")
    return user


def test_login_page_is_chinese_by_default(client, db):
    body = client.get("/login/").content.decode()
    assert "登录" in body and "用户名" in body and 'lang="zh-CN"' in body


def test_english_is_available(client, db):
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    body = client.get("/login/").content.decode()
    assert "Log in" in body and "Username" in body


def test_login_with_correct_password(client, user):
    response = client.post("/login/", {"username": "zhang", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get("/").context["user"] == user


def test_repeated_failures_lock_the_account(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/login/", {"username": "zhang", "password": "wrong"})
    response = client.post("/login/", {"username": "zhang", "password": "correct-horse-battery"})
    assert response.status_code == 429
    assert "账户已锁定" in response.content.decode()
    # Another account from the same address is not locked.
    other = UserFactory(username="li")
    fresh = Client()
    assert fresh.post("/login/", {"username": other.username, "password": "correct-horse-battery"}).status_code == 302


def test_failed_login_keeps_username(client, user):
    body = client.post("/login/", {"username": "zhang", "password": "wrong"}).content.decode()
    assert 'value="zhang"' in body
