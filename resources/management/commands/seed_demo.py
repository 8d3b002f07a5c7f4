"""``manage.py seed_demo``: a small demo platform, safe to run any number of times.

Creates (only what is missing; a second run creates nothing): a platform admin, one
owner per vendor, a demo customer, and four active vendors in Europe/Berlin — a hotel
(nightly rooms), a clinic (three doctors on 20-minute slots), a salon (30- and
60-minute services) and a co-working space (hot desks and meeting rooms) — with weekly
hours and a Christmas closure. Resources go through ``resources.services``, so the demo
data obeys the same rules as the API. Then ``seed_bookings`` adds a few bookings through
the booking engine when it is installed.

Every demo login uses the password from ``ALLOT_DEMO_PASSWORD`` (default
``allot-demo-password``). Existing users keep their password.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from bookings.domain.policy import nights_period
from bookings.models import Booking
from common.errors import DomainError
from resources import services
from resources.models import ExceptionKind, Resource, ResourceType
from resources.selectors import policy_for
from vendors.models import Membership, MembershipRole, Vendor, VendorStatus

DEFAULT_DEMO_PASSWORD = "allot-demo-password"  # noqa: S105 - a documented development default
DEMO_TZ = "Europe/Berlin"
ADMIN_EMAIL = "admin@allot.local"
CUSTOMER_EMAIL = "customer@allot.local"

WEEKDAYS = range(5)
Hours = list[tuple[range, str, str]]  # (weekdays, "HH:MM", "HH:MM")


class Writer(Protocol):
    def write(self, msg: str) -> Any: ...


@dataclass
class DemoResource:
    type_key: str
    name: str
    hours: Hours
    fields: dict[str, Any] = field(default_factory=dict)
    closed_for_christmas: bool = True


@dataclass
class DemoVendor:
    slug: str
    name: str
    category: str
    owner_email: str
    resources: list[DemoResource]


OFFICE: Hours = [(WEEKDAYS, "08:00", "20:00")]
CLINIC: Hours = [(WEEKDAYS, "08:00", "12:00"), (WEEKDAYS, "13:00", "17:00")]
SALON: Hours = [(range(1, 6), "09:00", "18:00")]  # Tuesday to Saturday
ALWAYS: Hours = [(range(7), "00:00", "24:00")]


def _doctor(name: str, specialty: str) -> DemoResource:
    return DemoResource(
        "doctor_appointment",
        name,
        CLINIC,
        {"price_amount": Decimal("60.00"), "attributes": {"specialty": specialty, "languages": ["de", "en"]}},
    )


VENDORS = [
    DemoVendor(
        "hotel-lindenhof",
        "Hotel Lindenhof",
        "hotel",
        "hotel@allot.local",
        [
            DemoResource(
                "hotel_room",
                "Standard double",
                ALWAYS,
                {
                    "capacity": 8,
                    "price_amount": Decimal("120.00"),
                    "attributes": {"beds": 2, "bed_type": "double", "view": "city"},
                },
                closed_for_christmas=False,
            ),
            DemoResource(
                "hotel_room",
                "Suite",
                ALWAYS,
                {
                    "capacity": 2,
                    "price_amount": Decimal("260.00"),
                    "attributes": {"beds": 2, "bed_type": "king", "view": "garden"},
                },
                closed_for_christmas=False,
            ),
        ],
    ),
    DemoVendor(
        "praxis-am-park",
        "Praxis am Park",
        "clinic",
        "clinic@allot.local",
        [
            _doctor("Dr. Anna Weber", "General practice"),
            _doctor("Dr. Jonas Klein", "Dermatology"),
            _doctor("Dr. Lea Wolf", "Paediatrics"),
        ],
    ),
    DemoVendor(
        "salon-schnitt",
        "Salon Schnitt",
        "salon",
        "salon@allot.local",
        [
            DemoResource(
                "salon_chair",
                "Haircut (30 min)",
                SALON,
                {"capacity": 3, "price_amount": Decimal("35.00"), "attributes": {"services": ["cut", "wash"]}},
            ),
            DemoResource(
                "salon_chair",
                "Colour & cut (60 min)",
                SALON,
                {
                    "capacity": 2,
                    "slot_minutes": 60,
                    "price_amount": Decimal("85.00"),
                    "attributes": {"services": ["colour", "cut"]},
                },
            ),
        ],
    ),
    DemoVendor(
        "werkbank-coworking",
        "Werkbank Coworking",
        "coworking",
        "cowork@allot.local",
        [
            DemoResource(
                "desk",
                "Hot desk",
                OFFICE,
                {"capacity": 12, "price_amount": Decimal("4.00"), "attributes": {"floor": 2, "monitor": True}},
            ),
            DemoResource(
                "meeting_room",
                "Meeting room Alpha",
                OFFICE,
                {"price_amount": Decimal("30.00"), "attributes": {"seats": 8, "equipment": ["screen", "whiteboard"]}},
            ),
            DemoResource(
                "meeting_room",
                "Meeting room Beta",
                OFFICE,
                {"price_amount": Decimal("18.00"), "attributes": {"seats": 4, "equipment": ["whiteboard"]}},
            ),
        ],
    ),
]


class Command(BaseCommand):
    help = "Create (idempotently) a demo admin, vendors, resources, hours and a customer; print the logins."

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("ALLOT_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        logins: list[tuple[str, str]] = []
        with transaction.atomic():
            _user(ADMIN_EMAIL, "Platform Admin", password, logins, role="admin", is_staff=True, is_superuser=True)
            for demo in VENDORS:
                owner = _user(demo.owner_email, f"{demo.name} owner", password, logins, role=f"owner of {demo.name}")
                vendor = _vendor(demo, owner)
                for spec in demo.resources:
                    _resource(owner, vendor, spec)
            _user(CUSTOMER_EMAIL, "Demo Customer", password, logins, role="customer")
        seed_bookings(self.stdout)
        self.stdout.write("Demo logins (existing users keep their password):")
        for email, role in logins:
            self.stdout.write(f"  {email:<28} {password}   {role}")


def _user(email: str, full_name: str, password: str, logins: list[tuple[str, str]], *, role: str, **flags: Any) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password, full_name=full_name, **flags)
    logins.append((email, role))
    return user


def _vendor(demo: DemoVendor, owner: User) -> Vendor:
    vendor, _ = Vendor.objects.get_or_create(
        slug=demo.slug,
        defaults={
            "name": demo.name,
            "category": demo.category,
            "timezone": DEMO_TZ,
            "status": VendorStatus.ACTIVE,
            "status_changed_at": timezone.now(),
            "contact_email": demo.owner_email,
        },
    )
    Membership.objects.get_or_create(user=owner, vendor=vendor, defaults={"role": MembershipRole.OWNER})
    return vendor


def _resource(owner: User, vendor: Vendor, spec: DemoResource) -> Resource:
    existing = Resource.objects.filter(vendor=vendor, name=spec.name).first()
    if existing is not None:
        return existing  # hours and exceptions were set when it was created
    resource_type = ResourceType.objects.get(key=spec.type_key)
    resource = services.resource_create(
        actor=owner, vendor=vendor, resource_type=resource_type, name=spec.name, **spec.fields
    )
    rules = [{"weekday": day, "start": start, "end": end} for days, start, end in spec.hours for day in days]
    services.resource_set_weekly_hours(resource=resource, rules=rules)
    if spec.closed_for_christmas:
        christmas = _next_christmas()
        zone = ZoneInfo(DEMO_TZ)
        services.schedule_exception_add(
            resource=resource,
            start=datetime.combine(christmas, time(0), zone),
            end=datetime.combine(christmas + timedelta(days=2), time(0), zone),
            kind=ExceptionKind.CLOSED,
            reason="Christmas",
        )
    return resource


def _next_christmas() -> date:
    today = timezone.now().astimezone(ZoneInfo(DEMO_TZ)).date()
    christmas = date(today.year, 12, 25)
    return christmas if christmas >= today else date(today.year + 1, 12, 25)


# --- bookings ---------------------------------------------------------------------------------


def _next_weekday(weekday: int, *, weeks_ahead: int = 1) -> date:
    """The given weekday (0 = Monday) in a week ``weeks_ahead`` weeks from now, local."""
    today = timezone.now().astimezone(ZoneInfo(DEMO_TZ)).date()
    start_of_week = today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)
    return start_of_week + timedelta(days=weekday)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(DEMO_TZ))


def _demo_bookings() -> list[tuple[str, str, Callable[[Resource], tuple[datetime, datetime]]]]:
    """(vendor slug, resource name, period for that resource) of each demo booking."""
    wednesday, friday = _next_weekday(2), _next_weekday(4)

    def stay(resource: Resource) -> tuple[datetime, datetime]:
        period = nights_period(check_in=friday, check_out=friday + timedelta(days=2), policy=policy_for(resource))
        return period.start, period.end

    return [
        ("hotel-lindenhof", "Standard double", stay),
        ("praxis-am-park", "Dr. Anna Weber", lambda _: (_at(wednesday, 9), _at(wednesday, 9, 20))),
        ("salon-schnitt", "Haircut (30 min)", lambda _: (_at(friday, 10), _at(friday, 10, 30))),
        ("werkbank-coworking", "Hot desk", lambda _: (_at(wednesday, 9), _at(wednesday, 13))),
        ("werkbank-coworking", "Meeting room Alpha", lambda _: (_at(wednesday, 14), _at(wednesday, 15))),
    ]


def seed_bookings(stdout: Writer) -> None:
    """A few confirmed bookings for the demo customer, made through the booking engine.

    Does nothing until ``bookings.services.booking_create`` exists, and nothing when the
    demo customer already has bookings (idempotent). A booking the engine refuses (the
    slot is taken, the engine's signature changed) is reported and skipped."""
    try:
        from bookings.services import booking_create  # optional: the engine may not be installed
    except ImportError:
        stdout.write("Bookings: the booking engine is not installed yet; none created.")
        return
    customer = User.objects.filter(email=CUSTOMER_EMAIL).first()
    if customer is None or Booking.objects.filter(customer=customer).exists():
        return
    created = 0
    for slug, name, period_of in _demo_bookings():
        resource = Resource.objects.filter(vendor__slug=slug, name=name).first()
        if resource is None:
            continue
        start, end = period_of(resource)
        try:
            booking_create(customer=customer, resource_id=resource.pk, start=start, end=end, quantity=1, confirm=True)
            created += 1
        except (DomainError, TypeError, ValueError) as exc:
            stdout.write(f"Bookings: skipped {name} ({type(exc).__name__}: {exc})")
    stdout.write(f"Bookings: created {created} for {CUSTOMER_EMAIL}.")
