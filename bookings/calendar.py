"""iCalendar (RFC 5545) export of a booking."""

from __future__ import annotations

from django.utils import timezone
from icalendar import Calendar, Event

from bookings.models import Booking, BookingStatus

_ICS_STATUS = {
    BookingStatus.HELD: "TENTATIVE",
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.COMPLETED: "CONFIRMED",
}


def booking_ics(booking: Booking) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Allot//Bookings//EN")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"{booking.pk}@allot")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", booking.start)
    event.add("dtend", booking.end)
    event.add("summary", f"{booking.resource.name} ({booking.resource.vendor.name})")
    event.add("description", f"Booking {booking.pk}: {booking.quantity} x {booking.resource.name}")
    event.add("status", _ICS_STATUS.get(BookingStatus(booking.status), "CANCELLED"))
    event.add("last-modified", booking.updated_at)
    cal.add_component(event)
    return bytes(cal.to_ical())
