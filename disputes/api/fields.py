"""A choice field whose enum is one named schema component wherever it is used.

drf-spectacular names enums after the field (``status``); the same choices under several
field names or components then collide and it warns. ``ENUM_NAME_OVERRIDES`` in the
settings is the usual fix; this field keeps the name next to the serializer instead.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_choice_field
from rest_framework import serializers


class NamedChoiceField(serializers.ChoiceField):
    def __init__(self, *, enum_name: str, **kwargs: Any) -> None:
        self.enum_name = enum_name
        super().__init__(**kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        field = self.target
        # The component holds the choices only; null-ness belongs to each use of it.
        schema = build_choice_field(serializers.ChoiceField(choices=field.choices))
        schema.pop("x-spec-enum-id", None)  # already a component: keep it out of enum post-processing
        component = ResolvedComponent(
            name=field.enum_name, type=ResolvedComponent.SCHEMA, object=field.enum_name, schema=schema
        )
        auto_schema.registry.register_on_missing(component)
        if field.allow_null:
            return {"allOf": [component.ref], "nullable": True}
        return component.ref
