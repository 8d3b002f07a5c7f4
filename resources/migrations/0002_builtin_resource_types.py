"""The resource types every installation starts with. They are data: admins change them
(or add new ones) through the API or the admin, no code involved. Existing types with the
same key are left alone."""

from django.db import migrations

TYPES = [
    {
        "key": "hotel_room",
        "name": "Hotel room",
        "booking_mode": "nightly",
        "defaults": {
            "check_in_time": "15:00",
            "check_out_time": "11:00",
            "min_nights": 1,
            "price_unit": "night",
            "hold_minutes": 15,
            "cancel_cutoff_minutes": 1440,
        },
        "attribute_schema": {
            "type": "object",
            "properties": {
                "beds": {"type": "integer", "minimum": 1, "maximum": 12},
                "bed_type": {"enum": ["single", "double", "queen", "king", "twin"]},
                "view": {"enum": ["city", "garden", "sea", "mountain", "courtyard", "none"]},
                "size_m2": {"type": "number", "minimum": 1, "maximum": 1000},
                "accessible": {"type": "boolean"},
            },
            "additionalProperties": False,
        },
    },
    {
        "key": "doctor_appointment",
        "name": "Doctor's appointment",
        "booking_mode": "slots",
        "defaults": {
            "slot_minutes": 20,
            "requires_approval": False,
            "cancel_cutoff_minutes": 1440,
            "price_unit": "slot",
        },
        "attribute_schema": {
            "type": "object",
            "properties": {
                "specialty": {"type": "string", "minLength": 1, "maxLength": 80},
                "practitioner": {"type": "string", "maxLength": 120},
                "languages": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 10},
            },
            "required": ["specialty"],
            "additionalProperties": False,
        },
    },
    {
        "key": "salon_chair",
        "name": "Salon chair",
        "booking_mode": "slots",
        "defaults": {"slot_minutes": 30, "price_unit": "slot", "cancel_cutoff_minutes": 120},
        "attribute_schema": {
            "type": "object",
            "properties": {
                "services": {
                    "type": "array",
                    "items": {"type": "string", "maxLength": 60},
                    "maxItems": 20,
                    "uniqueItems": True,
                },
                "stylist": {"type": "string", "maxLength": 120},
            },
            "additionalProperties": False,
        },
    },
    {
        "key": "desk",
        "name": "Desk",
        "booking_mode": "range",
        "defaults": {
            "granularity_minutes": 30,
            "min_minutes": 60,
            "max_minutes": 600,
            "capacity": 1,
            "price_unit": "hour",
        },
        "attribute_schema": {
            "type": "object",
            "properties": {
                "floor": {"type": "integer", "minimum": -5, "maximum": 200},
                "monitor": {"type": "boolean"},
                "standing": {"type": "boolean"},
                "zone": {"type": "string", "maxLength": 60},
            },
            "additionalProperties": False,
        },
    },
    {
        "key": "meeting_room",
        "name": "Meeting room",
        "booking_mode": "range",
        "defaults": {
            "granularity_minutes": 15,
            "min_minutes": 30,
            "max_minutes": 480,
            "buffer_after_minutes": 10,
            "price_unit": "hour",
        },
        "attribute_schema": {
            "type": "object",
            "properties": {
                "seats": {"type": "integer", "minimum": 1, "maximum": 500},
                "equipment": {
                    "type": "array",
                    "items": {"enum": ["projector", "screen", "whiteboard", "videoconference", "phone"]},
                    "uniqueItems": True,
                },
                "floor": {"type": "integer", "minimum": -5, "maximum": 200},
            },
            "additionalProperties": False,
        },
    },
]


def create_types(apps, schema_editor):
    ResourceType = apps.get_model("resources", "ResourceType")
    for definition in TYPES:
        fields = {name: value for name, value in definition.items() if name != "key"}
        ResourceType.objects.get_or_create(key=definition["key"], defaults=fields)


def remove_unused_types(apps, schema_editor):
    ResourceType = apps.get_model("resources", "ResourceType")
    keys = [definition["key"] for definition in TYPES]
    ResourceType.objects.filter(key__in=keys, resources__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("resources", "0001_initial")]

    operations = [migrations.RunPython(create_types, remove_unused_types)]
