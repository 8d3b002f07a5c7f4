from typing import Any

from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "waitlist"
    verbose_name = "Waitlist"

    def ready(self) -> None:
        # Offers are driven by committed events: booking.* from the outbox fan-out, and
        # resource changes that add room.
        from notifications import outbox
        from resources.signals import room_may_have_grown
        from waitlist import services

        outbox.register_consumer(prefix="booking.", handler=services.on_booking_event)

        def on_room(sender: Any, resource_id: Any, **kwargs: Any) -> None:
            services.request_offers(resource_id=resource_id)

        room_may_have_grown.connect(on_room, weak=False, dispatch_uid="waitlist.room_may_have_grown")
