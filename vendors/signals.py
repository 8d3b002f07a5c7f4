"""Signals other apps listen to without vendors depending on them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that changes a vendor's status (approve, reject, suspend,
# reinstate), with ``vendor_id``, ``from_status`` and ``to_status``. Receivers that act
# outside the database register their work with ``transaction.on_commit``.
vendor_status_changed = Signal()
