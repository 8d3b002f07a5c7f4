from rest_framework.routers import SimpleRouter

from bookings.api.series import BookingSeriesViewSet
from bookings.api.views import BookingViewSet

# Series first: "bookings/series…" must never be read as a booking id (the booking lookup
# only matches UUIDs anyway, so this is belt and braces).
series_router = SimpleRouter(trailing_slash=False)
series_router.register("bookings/series", BookingSeriesViewSet, basename="booking-series")

router = SimpleRouter(trailing_slash=False)
router.register("bookings", BookingViewSet, basename="booking")

urlpatterns = series_router.urls + router.urls
