"""The Django admin as the operations console: branding, app order and today's overview.

``configure`` dresses the default admin site (from ``common/admin.py``); the index page
(``templates/admin/allot/index.html``) shows ``operations_overview()`` above the app list:
what needs a platform admin now, and today's bookings by status, each number linking to
the changelist filtered to exactly those rows. "Today" is the day in ``TIME_ZONE`` (UTC),
the same day the admin's date filters use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.contrib.admin import AdminSite
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

OUTBOX_STALE = timedelta(minutes=5)

# The index lists apps in the order an operator needs them, not alphabetically.
APP_ORDER = ["bookings", "disputes", "vendors", "resources", "notifications", "accounts", "auth", "token_blacklist"]
MODEL_ORDER = {
    "bookings": ["Booking", "BookingEvent", "Allocation", "IdempotencyRecord"],
    "disputes": ["Dispute", "DisputeComment", "DisputeEvent"],
    "vendors": ["Vendor", "Membership", "VendorStatusEvent"],
    "resources": ["Resource", "ResourceType", "WeeklyHours", "ScheduleException"],
    "accounts": ["User", "TokenFamily"],
}


def configure(site: AdminSite) -> None:
    site.site_header = "Allot operations console"
    site.site_title = "Allot admin"
    site.index_title = "Today on the platform"
    site.index_template = "admin/allot/index.html"


def ordered_app_list(app_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``app_list`` in ``APP_ORDER`` (others after, alphabetically), models in ``MODEL_ORDER``."""

    def app_key(app: dict[str, Any]) -> tuple[int, str]:
        label = app["app_label"]
        return (APP_ORDER.index(label) if label in APP_ORDER else len(APP_ORDER), str(app["name"]))

    ordered = []
    for app in sorted(app_list, key=app_key):
        order = MODEL_ORDER.get(app["app_label"], [])
        models = sorted(
            app["models"],
            key=lambda m: (order.index(m["object_name"]) if m["object_name"] in order else len(order), m["name"]),
        )
        ordered.append({**app, "models": models})
    return ordered


@dataclass(frozen=True)
class Tile:
    """One number on the overview; ``alert`` marks numbers that mean someone should act."""

    label: str
    count: int
    url: str | None
    hint: str = ""
    alert: bool = False


@dataclass(frozen=True)
class Section:
    title: str
    tiles: list[Tile]


def _changelist(app_label: str, model_name: str, **params: Any) -> str | None:
    try:
        url = reverse(f"admin:{app_label}_{model_name}_changelist")
    except NoReverseMatch:  # not registered with the admin
        return None
    return f"{url}?{urlencode(params)}" if params else url


def _attention(now: datetime) -> Section:
    from bookings.admin import HOLD_WARNING
    from bookings.models import Booking, BookingStatus
    from disputes.models import Dispute, DisputeStatus
    from vendors.models import Vendor, VendorStatus

    pending_vendors = Vendor.objects.filter(status=VendorStatus.PENDING).count()
    disputes = dict(
        Dispute.objects.filter(status__in=[DisputeStatus.OPEN, DisputeStatus.UNDER_REVIEW])
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # One pass over the (status, hold_expires_at) index for both hold numbers.
    holds = Booking.objects.filter(status=BookingStatus.HELD, hold_expires_at__lte=now + HOLD_WARNING).aggregate(
        expiring=Count("pk", filter=Q(hold_expires_at__gt=now)),
        overdue=Count("pk", filter=Q(hold_expires_at__lte=now)),
    )
    tiles = [
        Tile(
            "Vendors waiting for review",
            pending_vendors,
            _changelist("vendors", "vendor", status__exact=VendorStatus.PENDING),
            "approve or reject",
            alert=pending_vendors > 0,
        ),
        Tile(
            "Open disputes",
            disputes.get(DisputeStatus.OPEN, 0),
            _changelist("disputes", "dispute", status__exact=DisputeStatus.OPEN),
            "nobody has started reviewing these",
            alert=disputes.get(DisputeStatus.OPEN, 0) > 0,
        ),
        Tile(
            "Disputes under review",
            disputes.get(DisputeStatus.UNDER_REVIEW, 0),
            _changelist("disputes", "dispute", status__exact=DisputeStatus.UNDER_REVIEW),
            "waiting for a decision",
        ),
        Tile(
            "Holds expiring in 15 min",
            holds["expiring"],
            _changelist("bookings", "booking", hold="expiring"),
            "unconfirmed holds about to lapse",
        ),
        Tile(
            "Holds past expiry",
            holds["overdue"],
            _changelist("bookings", "booking", hold="overdue"),
            "should be 0: the expiry job or sweeper is behind",
            alert=holds["overdue"] > 0,
        ),
    ]
    return Section("Needs attention", tiles + _delivery_tiles(now))


def _delivery_tiles(now: datetime) -> list[Tile]:
    """Read-only numbers from the notifications app, when it is installed."""
    if not apps.is_installed("notifications"):
        return []
    webhook_delivery = apps.get_model("notifications", "WebhookDelivery")
    outbox_event = apps.get_model("notifications", "OutboxEvent")
    failed = webhook_delivery.objects.filter(status="failed").count()
    # The relay's partial index (unprocessed rows) keeps this cheap.
    stale_before = now - OUTBOX_STALE
    stuck = outbox_event.objects.filter(processed_at__isnull=True, created_at__lt=stale_before).count()
    return [
        Tile(
            "Failed webhook deliveries",
            failed,
            _changelist("notifications", "webhookdelivery", status__exact="failed"),
            "gave up after every retry; redeliver from the list",
            alert=failed > 0,
        ),
        Tile(
            "Outbox events waiting > 5 min",
            stuck,
            _changelist(
                "notifications",
                "outboxevent",
                processed_at__isnull="True",
                created_at__lt=stale_before.isoformat(),
            ),
            "should be 0: workers or the broker are behind",
            alert=stuck > 0,
        ),
    ]


def _bookings_today(now: datetime) -> Section:
    from bookings.models import Booking, BookingStatus

    day = timezone.localdate(now)
    start = timezone.make_aware(datetime.combine(day, time.min))
    counts = dict(
        Booking.objects.filter(start__gte=start, start__lt=start + timedelta(days=1))
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # The admin's date hierarchy links for "this day", so the list shows the same rows.
    day_params = {"start__year": day.year, "start__month": day.month, "start__day": day.day}
    tiles = [Tile("All", sum(counts.values()), _changelist("bookings", "booking", **day_params))]
    tiles += [
        Tile(label, counts.get(value, 0), _changelist("bookings", "booking", status__exact=value, **day_params))
        for value, label in BookingStatus.choices
    ]
    zone = timezone.get_current_timezone_name()
    return Section(f"Bookings starting today ({day:%a %d %b %Y}, {zone})", tiles)


def operations_overview(*, now: datetime | None = None) -> list[Section]:
    """The overview's sections; a handful of indexed queries whatever the size of the tables."""
    now = now or timezone.now()
    return [_attention(now), _bookings_today(now)]
