import pytest
from django.contrib.auth.hashers import check_password, make_password
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


PRODUCTION_HASHERS = [
    "core.hashers.BureauArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]


def test_production_hashers_put_argon2id_first():
    from config import settings as project_settings

    assert project_settings.PASSWORD_HASHERS == PRODUCTION_HASHERS


def test_new_password_is_hashed_with_argon2id(settings, db):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    user = UserFactory(username="wang")
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert Client().post("/login/", {"username": "wang", "password": "correct-horse-battery"}).status_code == 302


def test_pbkdf2_hash_is_upgraded_to_argon2id_at_login(settings, user):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    pbkdf2 = make_password("correct-horse-battery", hasher="pbkdf2_sha256")
    type(user).objects.filter(pk=user.pk).update(password=pbkdf2)

    response = Client().post("/login/", {"username": "zhang", "password": "correct-horse-battery"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("correct-horse-battery", user.password)


def test_pbkdf2_hash_with_wrong_password_is_not_upgraded(settings, user):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    pbkdf2 = make_password("correct-horse-battery", hasher="pbkdf2_sha256")
    type(user).objects.filter(pk=user.pk).update(password=pbkdf2)

    response = Client().post("/login/", {"username": "zhang", "password": "wrong-password-1"})

    assert response.status_code == 200  # the login page again, saying why
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["invalid_login"]
    assert 'class="message message-error"' in response.content.decode()
    user.refresh_from_db()
    assert user.password == pbkdf2
