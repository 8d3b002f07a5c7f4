from rest_framework.routers import SimpleRouter

from waitlist.api.views import WaitlistViewSet

router = SimpleRouter(trailing_slash=False)
router.register("waitlist", WaitlistViewSet, basename="waitlist")

urlpatterns = router.urls
