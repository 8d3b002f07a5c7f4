from rest_framework.routers import SimpleRouter

from resources.api.views import ResourceTypeViewSet, ResourceViewSet

router = SimpleRouter(trailing_slash=False)
router.register("resource-types", ResourceTypeViewSet, basename="resource-type")
router.register("resources", ResourceViewSet, basename="resource")

urlpatterns = router.urls
