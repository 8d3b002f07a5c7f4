from django.urls import path
from rest_framework.routers import SimpleRouter

from disputes.api.views import BookingDisputeCreateView, DisputeViewSet

router = SimpleRouter(trailing_slash=False)
router.register("disputes", DisputeViewSet, basename="dispute")

urlpatterns = [
    # Opening a dispute is addressed by its booking; the route lives here so bookings/api stays as it is.
    path("bookings/<uuid:id>/disputes", BookingDisputeCreateView.as_view(), name="booking-disputes"),
    *router.urls,
]
