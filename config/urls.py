"""Root URLs: API v1, operations, schema and docs, admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import views

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("vendors.api.urls")),
    path("", include("resources.api.urls")),
    path("", include("bookings.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("disputes.api.urls")),
    path("", include("waitlist.api.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("ops/db-ping", views.db_ping, name="db-ping"),
    path("", include("django_prometheus.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api-auth/", include("rest_framework.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
