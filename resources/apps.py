from typing import Any

from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "resources"
    verbose_name = "Resources"

    def ready(self) -> None:
        from vendors.signals import vendor_status_changed

        vendor_status_changed.connect(_vendor_status_changed, dispatch_uid="resources.availability_cache")


def _vendor_status_changed(*, vendor_id: Any, **kwargs: Any) -> None:
    """A vendor going public or hidden changes what all of its resources may answer."""
    from resources.cache import forget_availability_versions
    from resources.models import Resource

    forget_availability_versions(Resource.objects.filter(vendor_id=vendor_id).values_list("pk", flat=True))
