"""Resource types and resources: every write to the catalog goes through these functions.

Each validates everything first (one 400 ``validation_error`` listing every field, long
before a database check constraint could fire), then writes in its own transaction and
invalidates the resource's cached availability on commit
(``resources.cache.bump_availability_version``). Writes that change what can be booked
lock the resource row, the same lock the booking engine takes, so a booking never
decides against half-changed hours or policy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from bookings.models import Allocation
from common.errors import Conflict, PermissionDenied
from resources.cache import bump_availability_version
from resources.models import (
    POLICY_FIELDS,
    BookingMode,
    ExceptionKind,
    Resource,
    ResourceType,
    ScheduleException,
    WeeklyHours,
)
from resources.selectors import can_manage_resources
from resources.signals import room_may_have_grown
from resources.validation import (
    FieldErrors,
    attribute_errors,
    defaults_to_json,
    fail,
    parse_defaults,
    parse_hhmm,
    policy_errors,
    raise_if_errors,
    schema_errors,
    text_errors,
    timezone_errors,
)
from vendors.models import Vendor
from vendors.selectors import is_platform_admin

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,49}$")
RESOURCE_FIELDS = ("name", "description", "timezone", "attributes", *POLICY_FIELDS)
MAX_WEEKLY_INTERVALS = 7 * 4
MAX_EXCEPTION_LENGTH = timedelta(days=366)
MAX_OPEN_EXCEPTIONS = 1000  # exceptions not yet over, per resource
MIDNIGHT = time(0, 0)


def _ensure_admin(actor: User) -> None:
    if not is_platform_admin(actor):
        raise PermissionDenied("Only platform admins manage resource types.")


def _ensure_can_manage(actor: User, vendor_id: Any) -> None:
    if not can_manage_resources(actor, vendor_id=vendor_id):
        raise PermissionDenied("Only the vendor's owners and managers may change its resources.")


# --- resource types ------------------------------------------------------------------------


def _type_errors(*, name: object, booking_mode: object, defaults: object, schema: object) -> tuple[dict, FieldErrors]:
    errors: FieldErrors = {}
    if messages := text_errors(name, max_length=100, required=True):
        errors["name"] = messages
    if booking_mode not in BookingMode.values:
        errors["booking_mode"] = [f"Must be one of {', '.join(BookingMode.values)}."]
        return {}, errors
    values, default_errors = parse_defaults(defaults, booking_mode=str(booking_mode))
    if default_errors:
        errors["defaults"] = default_errors
    if messages := schema_errors(schema):
        errors["attribute_schema"] = messages
    return values, errors


def resource_type_create(
    *,
    actor: User,
    key: str,
    name: str,
    booking_mode: str,
    defaults: Mapping[str, Any] | None = None,
    attribute_schema: Mapping[str, Any] | None = None,
    is_active: bool = True,
) -> ResourceType:
    """A new kind of bookable thing: data only, no code change needed to book it."""
    _ensure_admin(actor)
    defaults, attribute_schema = dict(defaults or {}), dict(attribute_schema or {})
    values, errors = _type_errors(name=name, booking_mode=booking_mode, defaults=defaults, schema=attribute_schema)
    if not isinstance(key, str) or not KEY_RE.match(key):
        errors["key"] = ["2-50 lower-case letters, digits, '_' or '-', starting with a letter or digit."]
    elif ResourceType.objects.filter(key=key).exists():
        errors["key"] = ["A resource type with this key already exists."]
    raise_if_errors(errors)
    try:
        with transaction.atomic():
            return ResourceType.objects.create(
                key=key,
                name=name,
                booking_mode=booking_mode,
                defaults=defaults_to_json(values),
                attribute_schema=attribute_schema,
                is_active=is_active,
            )
    except IntegrityError:  # a concurrent create won the unique key
        fail({"key": ["A resource type with this key already exists."]})


def resource_type_update(*, actor: User, resource_type: ResourceType, **fields: Any) -> ResourceType:
    """Change a type's name, defaults, schema or activity. Defaults apply to resources
    created afterwards; existing resources keep their own policy. The booking mode may
    only change while no resource uses the type."""
    _ensure_admin(actor)
    allowed = {"name", "booking_mode", "defaults", "attribute_schema", "is_active"}
    if unknown := set(fields) - allowed - {"key"}:
        fail({field: ["Unknown field."] for field in sorted(unknown)})
    if "key" in fields and fields["key"] != resource_type.key:
        fail({"key": ["The key of a resource type cannot change."]})
    with transaction.atomic():
        locked = ResourceType.objects.select_for_update().get(pk=resource_type.pk)
        merged = {
            "name": fields.get("name", locked.name),
            "booking_mode": fields.get("booking_mode", locked.booking_mode),
            "defaults": fields.get("defaults", locked.defaults),
            "schema": fields.get("attribute_schema", locked.attribute_schema),
        }
        values, errors = _type_errors(**merged)
        raise_if_errors(errors)
        if merged["booking_mode"] != locked.booking_mode and locked.resources.exists():
            raise Conflict("Resources of this type exist; its booking mode cannot change.", code="resource_type_in_use")
        locked.name = merged["name"]
        locked.booking_mode = merged["booking_mode"]
        locked.defaults = defaults_to_json(values)
        locked.attribute_schema = merged["schema"]
        locked.is_active = bool(fields.get("is_active", locked.is_active))
        locked.save()
    return locked


# --- resources --------------------------------------------------------------------------------


def _model_defaults() -> dict[str, Any]:
    fields = {field.name: field for field in Resource._meta.concrete_fields}
    return {name: fields[name].get_default() for name in POLICY_FIELDS}


def _resource_errors(resource: Resource, *, check_attributes: bool) -> FieldErrors:
    errors: FieldErrors = {}
    if messages := text_errors(resource.name, max_length=120, required=True):
        errors["name"] = messages
    if messages := text_errors(resource.description, max_length=5000, required=False):
        errors["description"] = messages
    if messages := timezone_errors(resource.timezone):
        errors["timezone"] = messages
    values = {field: getattr(resource, field) for field in POLICY_FIELDS}
    errors.update(policy_errors(values, booking_mode=resource.booking_mode))
    if check_attributes and (
        messages := attribute_errors(resource.resource_type.attribute_schema, resource.attributes)
    ):
        errors["attributes"] = messages
    return errors


def _reject_unknown(fields: Mapping[str, Any], allowed: Sequence[str]) -> None:
    if unknown := set(fields) - set(allowed):
        fail({field: ["Unknown field."] for field in sorted(unknown)})


def resource_create(*, actor: User, vendor: Vendor, resource_type: ResourceType, **fields: Any) -> Resource:
    """A new resource of ``vendor`` (any status: a pending vendor prepares its catalog).

    Policy fields not given come from the type's defaults, then the model's defaults; the
    booking mode is the type's; the time zone defaults to the vendor's."""
    _ensure_can_manage(actor, vendor.pk)
    _reject_unknown(fields, RESOURCE_FIELDS)
    if not resource_type.is_active:
        fail({"type": ["This resource type is retired; choose another."]})
    type_defaults, _ = parse_defaults(resource_type.defaults, booking_mode=resource_type.booking_mode)
    policy = {**_model_defaults(), **type_defaults, **{f: fields[f] for f in POLICY_FIELDS if f in fields}}
    resource = Resource(
        vendor=vendor,
        resource_type=resource_type,
        booking_mode=resource_type.booking_mode,
        name=fields.get("name", ""),
        description=fields.get("description", ""),
        timezone=fields.get("timezone") or vendor.timezone,
        attributes=fields.get("attributes", {}),
        **policy,
    )
    raise_if_errors(_resource_errors(resource, check_attributes=True))
    with transaction.atomic():
        resource.save()
        bump_availability_version(resource.pk)
    return resource


def resource_update(*, actor: User, resource: Resource, **fields: Any) -> Resource:
    """Change a resource's description, policy, price, time zone or activity. Vendor, type
    and booking mode are fixed. Lowering capacity below a unit that still has a future
    booking is a 409 (``capacity_in_use``): that booking would silently lose its unit."""
    _ensure_can_manage(actor, resource.vendor_id)
    _reject_unknown(fields, (*RESOURCE_FIELDS, "is_active"))
    with transaction.atomic():
        # The booking engine's lock: no booking decides while the policy is half changed.
        locked = (
            Resource.objects.select_for_update(of=("self",))
            .select_related("vendor", "resource_type")
            .get(pk=resource.pk)
        )
        for field, value in fields.items():
            setattr(locked, field, value)
        if "is_active" in fields and not isinstance(fields["is_active"], bool):
            fail({"is_active": ["Must be true or false."]})
        raise_if_errors(_resource_errors(locked, check_attributes="attributes" in fields))
        if "capacity" in fields:
            _ensure_capacity_free(locked)
        locked.save()
        bump_availability_version(locked.pk)
        if fields.get("capacity", 0) > resource.capacity or (fields.get("is_active") and not resource.is_active):
            room_may_have_grown.send(sender=Resource, resource_id=locked.pk)
    return locked


def _ensure_capacity_free(resource: Resource) -> None:
    stranded = Allocation.objects.filter(
        resource_id=resource.pk, is_active=True, unit__gte=resource.capacity, blocked__endswith__gt=timezone.now()
    )
    if stranded.exists():
        raise Conflict(
            f"Units at or above {resource.capacity} still have upcoming bookings; cancel or move them first.",
            code="capacity_in_use",
        )


def resource_deactivate(*, actor: User, resource: Resource) -> Resource:
    """Take a resource out of the catalog (DELETE). Nothing is deleted: bookings and their
    history stay, and it can be reactivated with ``is_active: true``."""
    _ensure_can_manage(actor, resource.vendor_id)
    with transaction.atomic():
        Resource.objects.filter(pk=resource.pk).update(is_active=False, updated_at=timezone.now())
        bump_availability_version(resource.pk)
    resource.refresh_from_db()
    return resource


# --- opening hours ----------------------------------------------------------------------------


def _lock(resource: Resource) -> None:
    Resource.objects.select_for_update(of=("self",)).filter(pk=resource.pk).values_list("pk", flat=True).get()


def _parse_weekly(rules: Sequence[Mapping[str, Any]]) -> list[tuple[int, time, time]]:
    """Validated ``(weekday, start, end)`` triples; ``end`` 00:00 means midnight (24:00)."""
    if not isinstance(rules, Sequence) or isinstance(rules, str):
        fail({"weekly": ["Must be a list of {weekday, start, end} intervals."]})
    if len(rules) > MAX_WEEKLY_INTERVALS:
        fail({"weekly": [f"At most {MAX_WEEKLY_INTERVALS} intervals (4 per day)."]})
    parsed: list[tuple[int, time, time]] = []
    item_errors: dict[str, FieldErrors] = {}
    for index, rule in enumerate(rules):
        triple, errors = _parse_rule(rule)
        if errors:
            item_errors[str(index)] = errors
        elif triple is not None:
            parsed.append(triple)
    if not item_errors:
        item_errors = _overlaps(parsed)
    if item_errors:
        fail({"weekly": item_errors})
    return parsed


def _parse_rule(rule: object) -> tuple[tuple[int, time, time] | None, FieldErrors]:
    if not isinstance(rule, Mapping):
        return None, {"non_field_errors": ["Must be an object {weekday, start, end}."]}
    errors: FieldErrors = {}
    weekday = rule.get("weekday")
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        errors["weekday"] = ["Must be 0 (Monday) to 6 (Sunday)."]
    times: dict[str, time] = {}
    for field in ("start", "end"):
        try:
            times[field] = parse_hhmm(rule.get(field), allow_midnight_end=field == "end")
        except ValueError as exc:
            errors[field] = [str(exc) if field == "start" else 'Use "HH:MM"; "24:00" (or "00:00") is midnight.']
    if not errors and times["end"] != MIDNIGHT and times["end"] <= times["start"]:
        errors["end"] = ["Must be after start (use 24:00 for midnight; split spans across midnight in two)."]
    if errors:
        return None, errors
    assert isinstance(weekday, int)
    return (weekday, times["start"], times["end"]), {}


def _minutes(moment: time, *, is_end: bool) -> int:
    return 24 * 60 if is_end and moment == MIDNIGHT else moment.hour * 60 + moment.minute


def _overlaps(parsed: list[tuple[int, time, time]]) -> dict[str, FieldErrors]:
    """Intervals that overlap an earlier-starting one on the same day (touching is fine)."""
    errors: dict[str, FieldErrors] = {}
    furthest: dict[int, tuple[time, time]] = {}  # per weekday, the interval reaching latest so far
    for index, (day, start, end) in sorted(enumerate(parsed), key=lambda item: (item[1][0], item[1][1])):
        before = furthest.get(day)
        if before is not None and _minutes(start, is_end=False) < _minutes(before[1], is_end=True):
            errors[str(index)] = {"start": [f"Overlaps {before[0]:%H:%M}-{_hhmm_end(before[1])} on the same day."]}
        if before is None or _minutes(end, is_end=True) > _minutes(before[1], is_end=True):
            furthest[day] = (start, end)
    return errors


def _hhmm_end(moment: time) -> str:
    return "24:00" if moment == MIDNIGHT else f"{moment:%H:%M}"


def resource_set_weekly_hours(*, resource: Resource, rules: Sequence[Mapping[str, Any]]) -> list[WeeklyHours]:
    """Replace the whole week (PUT) atomically. ``rules`` are ``{"weekday": 0-6, "start":
    "HH:MM", "end": "HH:MM"}``; an end of "24:00" or "00:00" is midnight. At most 4
    non-overlapping intervals per day on average (28 in all)."""
    parsed = _parse_weekly(rules)
    with transaction.atomic():
        _lock(resource)
        WeeklyHours.objects.filter(resource_id=resource.pk).delete()
        rows = WeeklyHours.objects.bulk_create(
            [
                WeeklyHours(resource_id=resource.pk, weekday=day, start_time=start, end_time=end)
                for day, start, end in sorted(parsed)
            ]
        )
        bump_availability_version(resource.pk)
        room_may_have_grown.send(sender=Resource, resource_id=resource.pk)
    return rows


# --- schedule exceptions ----------------------------------------------------------------------


def _exception_errors(*, start: object, end: object, kind: object, reason: object) -> FieldErrors:
    errors: FieldErrors = {}
    for field, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime):
            errors[field] = ["Must be a date-time."]
        elif value.tzinfo is None or value.utcoffset() is None:
            errors[field] = ["Give the time zone offset, e.g. 2027-03-01T09:00:00+01:00 or …Z."]
    if not errors:
        assert isinstance(start, datetime)
        assert isinstance(end, datetime)
        if end <= start:
            errors["end"] = ["Must be after start."]
        elif end - start > MAX_EXCEPTION_LENGTH:
            errors["end"] = [f"An exception may last at most {MAX_EXCEPTION_LENGTH.days} days."]
    if kind not in ExceptionKind.values:
        errors["kind"] = [f"Must be one of {', '.join(ExceptionKind.values)}."]
    if messages := text_errors(reason, max_length=200, required=False):
        errors["reason"] = messages
    return errors


def schedule_exception_add(
    *, resource: Resource, start: datetime, end: datetime, kind: str, reason: str = ""
) -> ScheduleException:
    """Close (holiday, maintenance) or additionally open the resource for a concrete period.
    Existing bookings in a closed period stay; the vendor cancels them if need be."""
    raise_if_errors(_exception_errors(start=start, end=end, kind=kind, reason=reason))
    with transaction.atomic():
        _lock(resource)
        upcoming = ScheduleException.objects.filter(resource_id=resource.pk, end__gt=timezone.now()).count()
        if upcoming >= MAX_OPEN_EXCEPTIONS:
            fail({"non_field_errors": [f"At most {MAX_OPEN_EXCEPTIONS} upcoming exceptions per resource."]})
        exception = ScheduleException.objects.create(
            resource_id=resource.pk, start=start, end=end, kind=kind, reason=reason
        )
        bump_availability_version(resource.pk)
        if kind == ExceptionKind.OPEN:
            room_may_have_grown.send(sender=Resource, resource_id=resource.pk)
    return exception


def schedule_exception_remove(*, exception: ScheduleException) -> None:
    with transaction.atomic():
        resource_id = exception.resource_id
        ScheduleException.objects.filter(pk=exception.pk).delete()
        bump_availability_version(resource_id)
        if exception.kind == ExceptionKind.CLOSED:
            room_may_have_grown.send(sender=Resource, resource_id=resource_id)
