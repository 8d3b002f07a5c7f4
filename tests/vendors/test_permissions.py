"""Who may do what to vendor A: every vendor endpoint for every kind of caller.

Read a row as a sentence: "<request> while A is <status> answers <code> to <caller>".
The rules behind the numbers:

* anonymous callers of any write get 401 before anything is looked up;
* a vendor the caller cannot see (not active, and not theirs, and they are no admin) is
  404, so its existence does not leak;
* on a vendor they can see, a caller whose role is not enough gets 403;
* owners manage members, owners and managers edit the profile, only platform admins
  review; admins may also edit and manage members.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.conftest import authed
from tests.factories.accounts import UserFactory
from tests.factories.vendors import VendorFactory, member_of
from vendors.models import Vendor, VendorStatus

pytestmark = pytest.mark.django_db

ACTIVE, PENDING, SUSPENDED = VendorStatus.ACTIVE, VendorStatus.PENDING, VendorStatus.SUSPENDED
CALLERS = ("anonymous", "customer", "owner_a", "manager_a", "staff_a", "owner_b", "admin")

# fmt: off
MATRIX = [
    # request                              A is        anon  cust  ownA  mgrA  stfA  ownB  admin
    ("GET /vendors",                       ACTIVE,     200,  200,  200,  200,  200,  200,  200),
    ("POST /vendors",                      ACTIVE,     401,  201,  201,  201,  201,  201,  201),
    ("GET /vendors/A",                     ACTIVE,     200,  200,  200,  200,  200,  200,  200),
    ("GET /vendors/A",                     PENDING,    404,  404,  200,  200,  200,  404,  200),
    ("GET /vendors/A",                     SUSPENDED,  404,  404,  200,  200,  200,  404,  200),
    ("PATCH /vendors/A",                   ACTIVE,     401,  403,  200,  200,  403,  403,  200),
    ("PATCH /vendors/A",                   PENDING,    401,  404,  200,  200,  403,  404,  200),
    ("GET /vendors/A/members",             ACTIVE,     401,  403,  200,  403,  403,  403,  200),
    ("GET /vendors/A/members",             PENDING,    401,  404,  200,  403,  403,  404,  200),
    ("POST /vendors/A/members",            ACTIVE,     401,  403,  201,  403,  403,  403,  201),
    ("POST /vendors/A/members",            PENDING,    401,  404,  201,  403,  403,  404,  201),
    ("DELETE /vendors/A/members/leaver",   ACTIVE,     401,  403,  204,  403,  403,  403,  204),
    ("DELETE /vendors/A/members/leaver",   PENDING,    401,  404,  204,  403,  403,  404,  204),
    ("POST /vendors/A/approve",            PENDING,    401,  404,  403,  403,  403,  404,  200),
    ("POST /vendors/A/reject",             PENDING,    401,  404,  403,  403,  403,  404,  200),
    ("POST /vendors/A/suspend",            ACTIVE,     401,  403,  403,  403,  403,  403,  200),
    ("POST /vendors/A/reinstate",          SUSPENDED,  401,  404,  403,  403,  403,  404,  200),
]

# Does A appear in GET /vendors?          anon   cust   ownA  mgrA  stfA  ownB   admin
LISTED = [
    (ACTIVE,                              True,  True,  True, True, True, True,  True),
    (PENDING,                             False, False, True, True, True, False, True),
    (SUSPENDED,                           False, False, True, True, True, False, True),
    (VendorStatus.REJECTED,               False, False, True, True, True, False, True),
]
# fmt: on

ERROR_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


@dataclass
class World:
    a: Vendor
    leaver: User  # a staff member of A that the DELETE rows remove
    callers: dict[str, User | None]

    def client(self, caller: str) -> APIClient:
        user = self.callers[caller]
        return APIClient() if user is None else authed(user)


def build_world(status: str) -> World:
    a = VendorFactory(name="Vendor A", status=status)
    b = VendorFactory(name="Vendor B")
    UserFactory(email="newcomer@example.com")  # whom the POST members rows add
    return World(
        a=a,
        leaver=member_of(a, "staff"),
        callers={
            "anonymous": None,
            "customer": UserFactory(),
            "owner_a": member_of(a, "owner"),
            "manager_a": member_of(a, "manager"),
            "staff_a": member_of(a, "staff"),
            "owner_b": member_of(b, "owner"),
            "admin": UserFactory(is_staff=True),
        },
    )


def send(world: World, caller: str, request: str):
    method, template = request.split(" ", 1)
    path = "/api/v1" + template.replace("/A", f"/{world.a.pk}").replace("leaver", str(world.leaver.pk))
    body = {
        "POST /vendors": {"name": "New Vendor", "category": "salon", "timezone": "Europe/Paris"},
        "PATCH /vendors/A": {"description": "Updated"},
        "POST /vendors/A/members": {"email": "newcomer@example.com", "role": "staff"},
    }.get(request, {})
    return getattr(world.client(caller), method.lower())(path, body)


CELLS = [
    pytest.param(request, status, caller, expected, id=f"{request} [A {status}] as {caller}")
    for request, status, *codes in MATRIX
    for caller, expected in zip(CALLERS, codes, strict=True)
]


@pytest.mark.parametrize(("request_line", "status", "caller", "expected"), CELLS)
def test_permission_matrix(request_line, status, caller, expected):
    world = build_world(status)
    response = send(world, caller, request_line)

    assert response.status_code == expected, response.content
    if expected in ERROR_CODES:
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == ERROR_CODES[expected]


LISTED_CELLS = [
    pytest.param(status, caller, listed, id=f"A {status} as {caller}")
    for status, *flags in LISTED
    for caller, listed in zip(CALLERS, flags, strict=True)
]


@pytest.mark.parametrize(("status", "caller", "listed"), LISTED_CELLS)
def test_who_finds_vendor_a_in_the_list(status, caller, listed):
    world = build_world(status)
    response = world.client(caller).get("/api/v1/vendors")
    assert response.status_code == 200
    assert ("Vendor A" in [v["name"] for v in response.json()["results"]]) is listed
