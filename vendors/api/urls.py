from rest_framework.routers import SimpleRouter

from vendors.api.views import VendorViewSet

router = SimpleRouter(trailing_slash=False)
router.register("vendors", VendorViewSet, basename="vendor")

urlpatterns = router.urls
