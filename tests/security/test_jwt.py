"""JWT handling against forged, tampered, expired and misused tokens.

Access tokens are HS256 JWTs (simplejwt). Whatever a client sends, the only accepted token is
one this server signed with its key and algorithm, of type ``access``, unexpired, for an active
user; every other is a 401 ``token_not_valid`` problem. Refresh tokens rotate; presenting one
that was already rotated revokes the whole family (accounts/tokens.py).
"""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest
from django.conf import settings

from accounts.models import TokenFamily
from accounts.tokens import tokens_for_login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"
REFRESH = "/api/v1/auth/token/refresh"


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(user, **overrides) -> dict:
    now = int(time.time())
    body = {"token_type": "access", "exp": now + 300, "iat": now, "jti": uuid.uuid4().hex, "user_id": str(user.pk)}
    body.update(overrides)
    return body


def get_me(api_client, token: str, scheme: str = "Bearer"):
    api_client.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}")
    return api_client.get(ME)


def assert_rejected(response) -> None:
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] in {"token_not_valid", "authentication_failed", "not_authenticated"}


def test_a_genuine_access_token_works(api_client):
    user = UserFactory()
    assert get_me(api_client, tokens_for_login(user)["access"]).status_code == 200


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_rejected(api_client, alg):
    user = UserFactory(is_staff=True)
    token = f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims(user))}."
    assert_rejected(get_me(api_client, token))


def test_a_token_signed_with_another_key_is_rejected(api_client):
    user = UserFactory()
    token = jwt.encode(claims(user), "not-the-server-key-" + "x" * 40, algorithm="HS256")
    assert_rejected(get_me(api_client, token))


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_another_algorithm_even_with_the_right_key_is_rejected(api_client, alg):
    user = UserFactory()
    token = jwt.encode(claims(user), settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=alg)
    assert_rejected(get_me(api_client, token))


def test_a_tampered_payload_keeps_no_signature(api_client):
    victim, attacker = UserFactory(is_staff=True), UserFactory()
    header, _payload, signature = tokens_for_login(attacker)["access"].split(".")
    forged = f"{header}.{b64(claims(victim))}.{signature}"
    assert_rejected(get_me(api_client, forged))


def test_an_expired_token_is_rejected(api_client):
    user = UserFactory()
    past = int(time.time()) - 10
    token = jwt.encode(claims(user, exp=past, iat=past - 300), settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")
    assert_rejected(get_me(api_client, token))


def test_a_refresh_token_is_not_an_access_token(api_client):
    user = UserFactory()
    assert_rejected(get_me(api_client, tokens_for_login(user)["refresh"]))


def test_a_token_without_a_type_is_rejected(api_client):
    user = UserFactory()
    body = claims(user)
    del body["token_type"]
    assert_rejected(get_me(api_client, jwt.encode(body, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")))


def test_an_access_token_is_not_a_refresh_token(api_client):
    user = UserFactory()
    response = api_client.post(REFRESH, {"refresh": tokens_for_login(user)["access"]}, format="json")
    assert response.status_code == 401


def test_a_token_of_a_deactivated_user_stops_working(api_client):
    user = UserFactory()
    token = tokens_for_login(user)["access"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_rejected(get_me(api_client, token))


def test_a_token_for_a_user_that_does_not_exist_is_rejected(api_client):
    ghost = UserFactory()
    token = jwt.encode(
        {**claims(ghost), "user_id": str(uuid.uuid4())}, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256"
    )
    assert_rejected(get_me(api_client, token))


@pytest.mark.parametrize("scheme", ["JWT", "Token", "Basic", "bearer-ish"])
def test_other_authorization_schemes_do_not_authenticate(api_client, scheme):
    token = tokens_for_login(UserFactory())["access"]
    response = get_me(api_client, token, scheme=scheme)
    assert response.status_code == 401


def test_a_token_in_the_query_string_is_ignored(api_client):
    token = tokens_for_login(UserFactory())["access"]
    assert api_client.get(ME, {"access_token": token, "token": token}).status_code == 401


@pytest.mark.parametrize("junk", ["", ".", "..", "a.b.c", "x" * 5000, "Bearer x", "é.é.é"])
def test_garbage_tokens_are_401_not_500(api_client, junk):
    api_client.raise_request_exception = False
    assert_rejected(get_me(api_client, junk))


def test_refresh_reuse_revokes_the_family_including_the_newest_token(api_client):
    user = UserFactory()
    first = tokens_for_login(user)["refresh"]
    rotated = api_client.post(REFRESH, {"refresh": first}, format="json")
    assert rotated.status_code == 200
    newest = rotated.json()
    # The stolen first token is replayed: refused, and the whole family is revoked...
    replay = api_client.post(REFRESH, {"refresh": first}, format="json")
    assert replay.status_code == 401
    family = TokenFamily.objects.get(user=user)
    assert family.revoked_reason == "reuse_detected"
    # ...so the legitimate holder's newest refresh token stops working too.
    assert api_client.post(REFRESH, {"refresh": newest["refresh"]}, format="json").status_code == 401


def test_a_forged_refresh_token_naming_a_real_family_is_rejected(api_client):
    user = UserFactory()
    genuine = tokens_for_login(user)["refresh"]
    family = jwt.decode(genuine, options={"verify_signature": False})["fam"]
    forged = jwt.encode(
        {**claims(user, token_type="refresh"), "fam": family}, "attacker-key-" + "y" * 40, algorithm="HS256"
    )
    assert api_client.post(REFRESH, {"refresh": forged}, format="json").status_code == 401
    assert TokenFamily.objects.get(pk=family).revoked_at is None  # a forgery cannot revoke someone's sessions
