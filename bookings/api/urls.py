from rest_framework.routers import SimpleRouter

from bookings.api.views import BookingViewSet

router = SimpleRouter(trailing_slash=False)
router.register("bookings", BookingViewSet, basename="booking")

urlpatterns = router.urls
