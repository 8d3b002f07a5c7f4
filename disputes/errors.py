"""Dispute domain errors with their stable codes (API.md); mapped to problem+json centrally."""

from __future__ import annotations

from common.errors import Conflict
from disputes.lifecycle import InvalidTransition

__all__ = [
    "BookingNotDisputable",
    "CommentLimitReached",
    "DisputeAlreadyOpen",
    "DisputeChanged",
    "DisputeClosed",
    "InvalidTransition",
]


class DisputeAlreadyOpen(Conflict):
    code = "dispute_already_open"
    title = "This booking already has an open dispute"


class BookingNotDisputable(Conflict):
    code = "booking_not_disputable"
    title = "This booking cannot be disputed"


class DisputeClosed(Conflict):
    code = "dispute_closed"
    title = "The dispute is closed"


class DisputeChanged(Conflict):
    code = "dispute_changed"
    title = "The dispute changed concurrently"


class CommentLimitReached(Conflict):
    code = "comment_limit_reached"
    title = "Too many comments on this dispute"
