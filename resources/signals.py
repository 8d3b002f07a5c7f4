"""Signals other apps listen to without resources depending on them."""

from django.dispatch import Signal

# Sent inside the transaction of a change that may have made room on a resource (more
# capacity, reactivation, hours replaced, an opening added or a closure removed), with
# ``resource_id``. The waitlist listens to offer freed units after commit.
room_may_have_grown = Signal()
