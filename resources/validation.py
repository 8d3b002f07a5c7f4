"""Rules a resource type or resource must satisfy, checked before anything is written.

Every check returns field errors (``{field: [message, ...]}``) so the services can raise
one 400 ``validation_error`` listing all problems, long before a database check
constraint would fire. The limits live here once; the API serializers reuse them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from django.core.exceptions import ValidationError as DjangoValidationError
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from bookings.domain.policy import DEFAULT_GRANULARITY_MINUTES  # when a range resource sets none
from bookings.selectors import MAX_BUFFER
from common.errors import InvalidInput
from common.validators import validate_timezone
from resources.models import POLICY_FIELDS, BookingMode, PriceUnit

FieldErrors = dict[str, Any]

MAX_BUFFER_MINUTES = int(MAX_BUFFER.total_seconds() // 60)  # 1440: availability reads look this far around
MINUTES_PER_DAY = 24 * 60

# (minimum, maximum) of every integer policy field.
INT_LIMITS: dict[str, tuple[int, int]] = {
    "capacity": (1, 1000),
    "slot_minutes": (5, MINUTES_PER_DAY),
    "granularity_minutes": (5, MINUTES_PER_DAY),
    "min_minutes": (1, 62 * MINUTES_PER_DAY),
    "max_minutes": (1, 62 * MINUTES_PER_DAY),
    # A stay fits the 62-day availability/explain window.
    "min_nights": (1, 62),
    "max_nights": (1, 62),
    "buffer_before_minutes": (0, MAX_BUFFER_MINUTES),
    "buffer_after_minutes": (0, MAX_BUFFER_MINUTES),
    "min_notice_minutes": (0, 365 * MINUTES_PER_DAY),
    "max_advance_days": (0, 730),
    "hold_minutes": (1, MINUTES_PER_DAY),
    "cancel_cutoff_minutes": (0, 365 * MINUTES_PER_DAY),
}
NULLABLE_FIELDS = frozenset(
    {
        "slot_minutes",
        "granularity_minutes",
        "min_minutes",
        "max_minutes",
        "min_nights",
        "max_nights",
        "check_in_time",
        "check_out_time",
    }
)
TIME_FIELDS = ("check_in_time", "check_out_time")
PRICE_MAX_DIGITS, PRICE_DECIMALS = 12, 2
MAX_PRICE = Decimal("9999999999.99")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

MAX_SCHEMA_BYTES = 16 * 1024
MAX_ATTRIBUTES_BYTES = 8 * 1024
MAX_SCHEMA_ERRORS = 20


class ValidationFailed(InvalidInput):
    """400 ``validation_error`` with ``errors: {field: [...]}``, the shape DRF errors have."""

    code = "validation_error"
    title = "Invalid request"


def raise_if_errors(errors: FieldErrors) -> None:
    if errors:
        fail(errors)


def fail(errors: FieldErrors) -> NoReturn:
    raise ValidationFailed("The request has invalid fields; see errors.", extra={"errors": errors})


def _add(errors: FieldErrors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


# --- single values ------------------------------------------------------------------------


def parse_hhmm(value: object, *, allow_midnight_end: bool = False) -> time:
    """``"HH:MM"`` (or a ``time``) as a ``time``; ``"24:00"`` is midnight at the end of the day
    when ``allow_midnight_end``. Raises ``ValueError`` with a readable message."""
    if isinstance(value, time):
        if value.tzinfo is not None or value.second or value.microsecond:
            raise ValueError("Use whole minutes without a time zone.")
        return value
    if allow_midnight_end and value == "24:00":
        return time(0, 0)
    match = HHMM_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError('Use "HH:MM" (24-hour clock).')
    return time(int(match.group(1)), int(match.group(2)))


def price_errors(value: object) -> list[str]:
    if not isinstance(value, Decimal):
        return ['Give the amount as a decimal string such as "120.00".']
    if not value.is_finite() or value < 0:
        return ["Must be zero or more."]
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -PRICE_DECIMALS:
        return [f"At most {PRICE_DECIMALS} decimal places."]
    if value > MAX_PRICE:
        return [f"At most {MAX_PRICE}."]
    return []


def _value_errors(field: str, value: Any) -> list[str]:
    """Problems with one policy value on its own (type and range)."""
    if value is None:
        return [] if field in NULLABLE_FIELDS else ["This field may not be null."]
    if field in INT_LIMITS:
        low, high = INT_LIMITS[field]
        if isinstance(value, bool) or not isinstance(value, int):
            return ["Must be a whole number."]
        return [] if low <= value <= high else [f"Must be between {low} and {high}."]
    if field in TIME_FIELDS:
        return [] if isinstance(value, time) else ['Use "HH:MM" (24-hour clock).']
    if field == "requires_approval":
        return [] if isinstance(value, bool) else ["Must be true or false."]
    if field == "price_amount":
        return price_errors(value)
    if field == "currency":
        ok = isinstance(value, str) and CURRENCY_RE.match(value)
        return [] if ok else ["Use an ISO 4217 code of three capital letters, e.g. EUR."]
    if field == "price_unit":
        return [] if value in PriceUnit.values else [f"Must be one of {', '.join(PriceUnit.values)}."]
    return ["Not a policy field."]


# --- a whole policy -----------------------------------------------------------------------


def policy_errors(values: Mapping[str, Any], *, booking_mode: str, complete: bool = True) -> FieldErrors:
    """Every problem with a policy: each value on its own, then the combinations its booking
    mode needs. ``complete=False`` (a type's defaults) skips "required" checks, since a
    resource of the type may still supply those values."""
    errors: FieldErrors = {}
    for field in POLICY_FIELDS:
        if field in values:
            for message in _value_errors(field, values[field]):
                _add(errors, field, message)
    if errors:
        return errors  # combinations of broken values only produce noise
    get = values.get
    if booking_mode == BookingMode.SLOTS and complete and get("slot_minutes") is None:
        _add(errors, "slot_minutes", "Required for slot booking (5 minutes or more).")
    if booking_mode == BookingMode.NIGHTLY:
        _nightly_errors(values, errors, complete=complete)
    if booking_mode == BookingMode.RANGE:
        _range_errors(values, errors)
    _min_max(values, errors, "min_minutes", "max_minutes")
    _min_max(values, errors, "min_nights", "max_nights")
    return errors


def _nightly_errors(values: Mapping[str, Any], errors: FieldErrors, *, complete: bool) -> None:
    check_in, check_out = values.get("check_in_time"), values.get("check_out_time")
    for field, value in (("check_in_time", check_in), ("check_out_time", check_out)):
        if value is None and complete:
            _add(errors, field, "Required for nightly booking.")
    if check_in is not None and check_out is not None and check_out > check_in:
        # A stay runs from check-in on day 1 to check-out on day 2; a later check-out than
        # check-in would make back-to-back stays of one room overlap.
        _add(errors, "check_out_time", "Check-out must not be later in the day than check-in.")


def _range_errors(values: Mapping[str, Any], errors: FieldErrors) -> None:
    granularity = values.get("granularity_minutes") or DEFAULT_GRANULARITY_MINUTES
    for field in ("min_minutes", "max_minutes"):
        value = values.get(field)
        if value is not None and value % granularity:
            _add(errors, field, f"Must be a multiple of the granularity ({granularity} minutes).")


def _min_max(values: Mapping[str, Any], errors: FieldErrors, low_field: str, high_field: str) -> None:
    low, high = values.get(low_field), values.get(high_field)
    if low is not None and high is not None and low > high:
        _add(errors, high_field, f"Must not be less than {low_field} ({low}).")


# --- type defaults (JSON) -----------------------------------------------------------------


def parse_defaults(raw: object, *, booking_mode: str) -> tuple[dict[str, Any], FieldErrors]:
    """A type's ``defaults`` JSON as Python values, plus the errors found (keyed by field).

    Times are ``"HH:MM"`` strings and prices decimal strings in the JSON."""
    if not isinstance(raw, dict):
        return {}, {"non_field_errors": ["Must be an object of policy fields."]}
    values: dict[str, Any] = {}
    errors: FieldErrors = {}
    for field, value in raw.items():
        if field not in POLICY_FIELDS:
            _add(errors, str(field)[:60], f"Not a policy field; allowed: {', '.join(POLICY_FIELDS)}.")
            continue
        try:
            values[field] = _from_json(field, value)
        except ValueError as exc:
            _add(errors, field, str(exc))
    if not errors:
        errors = policy_errors(values, booking_mode=booking_mode, complete=False)
    return values, errors


def _from_json(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field in TIME_FIELDS:
        return parse_hhmm(value)
    if field == "price_amount":
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError('Give the amount as a decimal string such as "120.00".')
        try:
            return Decimal(str(value))
        except InvalidOperation as exc:
            raise ValueError('Give the amount as a decimal string such as "120.00".') from exc
    return value


def defaults_to_json(values: Mapping[str, Any]) -> dict[str, Any]:
    """Python policy values as the JSON stored on a type (inverse of ``parse_defaults``)."""
    out: dict[str, Any] = {}
    for field, value in values.items():
        if isinstance(value, time):
            out[field] = value.strftime("%H:%M")
        elif isinstance(value, Decimal):
            out[field] = f"{value:.2f}"
        else:
            out[field] = value
    return out


# --- attribute schemas --------------------------------------------------------------------


def _json_size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), default=str).encode())


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def schema_errors(schema: object) -> list[str]:
    """Problems with an attribute schema: it must be a JSON Schema (2020-12) object, small,
    and self-contained (only ``#…`` references: nothing is ever fetched)."""
    if not isinstance(schema, dict):
        return ["Must be a JSON Schema object."]
    if _json_size(schema) > MAX_SCHEMA_BYTES:
        return [f"At most {MAX_SCHEMA_BYTES} bytes of JSON."]
    if any(not ref.startswith("#") for ref in _refs(schema)):
        return ["Only local references (starting with #) are allowed."]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = "/".join(str(part) for part in exc.path)
        return [f"Not a valid JSON Schema: {exc.message}" + (f" (at {path})" if path else "")]
    return []


def attribute_errors(schema: Mapping[str, Any], attributes: object) -> list[str]:
    """Why ``attributes`` do not satisfy the type's schema, one message per problem."""
    if not isinstance(attributes, dict):
        return ["Must be an object."]
    if _json_size(attributes) > MAX_ATTRIBUTES_BYTES:
        return [f"At most {MAX_ATTRIBUTES_BYTES} bytes of JSON."]
    if not schema:
        return []
    messages = []
    try:
        for error in Draft202012Validator(schema).iter_errors(attributes):
            path = ".".join(str(part) for part in error.absolute_path)
            messages.append(f"{path}: {error.message}" if path else error.message)
            if len(messages) >= MAX_SCHEMA_ERRORS:
                break
    except Exception:  # noqa: BLE001 - a broken stored schema must not become a 500
        return ["The resource type's attribute schema cannot be evaluated; ask an admin to fix it."]
    return sorted(messages)


# --- other resource fields ----------------------------------------------------------------


def timezone_errors(value: object) -> list[str]:
    try:
        validate_timezone(value)  # type: ignore[arg-type]
    except (DjangoValidationError, TypeError):
        return ["Use an IANA time zone such as Europe/Berlin."]
    return []


def text_errors(value: object, *, max_length: int, required: bool) -> list[str]:
    if not isinstance(value, str):
        return ["Must be a string."]
    if required and not value.strip():
        return ["This field may not be blank."]
    if len(value) > max_length:
        return [f"At most {max_length} characters."]
    return []
