from typing import Any

from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        _strict_text_fields()


def _strict_text_fields() -> None:
    """Text fields take JSON strings only, as the OpenAPI schema says (``type: string``).

    DRF's ``CharField`` quietly turns a number into text (``{"reason": 0}`` was stored as
    ``"0"``), so the API accepted bodies its own schema calls invalid (schemathesis,
    negative_data_rejection). One place, every text field of every serializer (e-mail,
    URL and regex fields are text fields too): a number is a 400 ``validation_error`` now.
    """
    from rest_framework import fields

    lenient = fields.CharField.to_internal_value
    if getattr(lenient, "strict_text", False):
        return

    def to_internal_value(self: fields.CharField, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return lenient(self, data)

    to_internal_value.strict_text = True  # type: ignore[attr-defined]
    fields.CharField.to_internal_value = to_internal_value  # type: ignore[method-assign,assignment]
