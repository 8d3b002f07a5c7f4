"""Registration, login, refresh rotation with family revocation, logout, /me."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.test import override_settings

from accounts.models import TokenFamily, User
from tests.factories import UserFactory
from tests.factories.accounts import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"


def login(client, email: str, password: str = DEFAULT_PASSWORD):
    return client.post(TOKEN, {"email": email, "password": password}, format="json")


def test_register_creates_user_and_hides_password(api_client):
    response = api_client.post(
        REGISTER, {"email": "Ada@Example.com", "password": "a-long-secret-42", "full_name": "Ada L"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "ada@example.com"
    assert body["full_name"] == "Ada L"
    assert "password" not in body
    user = User.objects.get(email="ada@example.com")
    assert check_password("a-long-secret-42", user.password)


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"])
def test_passwords_are_hashed_with_argon2id(api_client):
    api_client.post(REGISTER, {"email": "argon@example.com", "password": "a-long-secret-42"}, format="json")
    user = User.objects.get(email="argon@example.com")
    assert identify_hasher(user.password).algorithm == "argon2"
    assert "$argon2id$" in user.password


@pytest.mark.parametrize(
    "password",
    ["short1", "password123", "1234567890123", "register-me@example.com"],
    ids=["too-short", "common", "numeric", "similar-to-email"],
)
def test_register_enforces_password_rules(api_client, password):
    response = api_client.post(REGISTER, {"email": "register-me@example.com", "password": password}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert body["code"] == "validation_error"
    assert body["errors"]["password"]
    assert not User.objects.filter(email="register-me@example.com").exists()


def test_register_duplicate_email_is_400_email_taken(api_client):
    UserFactory(email="taken@example.com")
    response = api_client.post(REGISTER, {"email": "TAKEN@example.com", "password": "a-long-secret-42"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "email_taken"
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


def test_register_rejects_bad_email_with_field_errors(api_client):
    response = api_client.post(REGISTER, {"email": "not-an-email", "password": "a-long-secret-42"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_login_returns_token_pair_and_me_works(api_client):
    user = UserFactory(email="me@example.com", full_name="Me Myself")
    response = login(api_client, "ME@example.com")
    assert response.status_code == 200
    pair = response.json()
    assert set(pair) == {"access", "refresh"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    me = api_client.get(ME)
    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)
    assert me.json()["email"] == "me@example.com"
    assert me.json()["memberships"] == []
    assert me.json()["is_staff"] is False


def test_login_with_wrong_password_is_401_problem(api_client):
    UserFactory(email="me@example.com")
    response = login(api_client, "me@example.com", "wrong-password-000")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_credentials"


def test_login_of_inactive_user_is_401(api_client):
    UserFactory(email="gone@example.com", is_active=False)
    assert login(api_client, "gone@example.com").status_code == 401


def test_me_requires_authentication(api_client):
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_refresh_rotates_and_old_token_is_refused(api_client):
    UserFactory(email="me@example.com")
    first = login(api_client, "me@example.com").json()
    second = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh"] != first["refresh"]
    third = api_client.post(REFRESH, {"refresh": rotated["refresh"]}, format="json")
    assert third.status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(api_client):
    UserFactory(email="me@example.com")
    original = login(api_client, "me@example.com").json()["refresh"]
    child = api_client.post(REFRESH, {"refresh": original}, format="json").json()["refresh"]
    grandchild = api_client.post(REFRESH, {"refresh": child}, format="json").json()["refresh"]

    reuse = api_client.post(REFRESH, {"refresh": original}, format="json")
    assert reuse.status_code == 401
    assert reuse.json()["code"] == "token_not_valid"

    # The newest descendant stops working too: the family is revoked.
    newest = api_client.post(REFRESH, {"refresh": grandchild}, format="json")
    assert newest.status_code == 401
    assert TokenFamily.objects.get().revoked_reason == "reuse_detected"


def test_reuse_in_one_family_leaves_other_logins_alone(api_client):
    UserFactory(email="me@example.com")
    laptop = login(api_client, "me@example.com").json()["refresh"]
    phone = login(api_client, "me@example.com").json()["refresh"]
    api_client.post(REFRESH, {"refresh": laptop}, format="json")
    api_client.post(REFRESH, {"refresh": laptop}, format="json")  # reuse: revokes the laptop family
    assert api_client.post(REFRESH, {"refresh": phone}, format="json").status_code == 200


def test_access_token_is_not_accepted_as_refresh(api_client):
    UserFactory(email="me@example.com")
    pair = login(api_client, "me@example.com").json()
    response = api_client.post(REFRESH, {"refresh": pair["access"]}, format="json")
    assert response.status_code == 401


def test_garbage_refresh_token_is_401(api_client):
    response = api_client.post(REFRESH, {"refresh": "not.a.jwt"}, format="json")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_logout_revokes_the_refresh_token(api_client):
    UserFactory(email="me@example.com")
    pair = login(api_client, "me@example.com").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert api_client.post(LOGOUT, {"refresh": pair["refresh"]}, format="json").status_code == 204
    assert api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401


def test_logout_with_someone_elses_token_is_refused(api_client):
    UserFactory(email="a@example.com")
    UserFactory(email="b@example.com")
    a_pair = login(api_client, "a@example.com").json()
    b_pair = login(api_client, "b@example.com").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {a_pair['access']}")
    assert api_client.post(LOGOUT, {"refresh": b_pair["refresh"]}, format="json").status_code == 401
    assert api_client.post(REFRESH, {"refresh": b_pair["refresh"]}, format="json").status_code == 200


def test_logout_requires_authentication(api_client):
    assert api_client.post(LOGOUT, {"refresh": "x"}, format="json").status_code == 401
