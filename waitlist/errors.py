"""Waitlist domain errors with their stable codes (API.md)."""

from __future__ import annotations

from common.errors import Conflict


class SlotAvailable(Conflict):
    code = "slot_available"
    title = "The period is bookable now"


class TooManyWaitlistEntries(Conflict):
    code = "too_many_waitlist_entries"
    title = "Too many waitlist entries"


class WaitlistEntryClosed(Conflict):
    code = "waitlist_entry_closed"
    title = "This waitlist entry is no longer active"
