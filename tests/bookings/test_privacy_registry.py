"""The privacy registry covers every personal-looking field of every project model (docs/privacy.md)."""

import re

from django.apps import apps
from django.db import models

from bookings.privacy.registry import HOLDERS, NOT_PERSONAL

PROJECT_APPS = ("home", "resources", "bookings")
PERSONAL_NAME = re.compile(
    r"name|email|phone|note|organisation|organization|role|address|bio|reason|description|needs|comment|message"
)


def looks_personal(field) -> bool:
    if isinstance(field, models.EmailField):
        return True
    text = isinstance(field, models.CharField | models.TextField) and not field.choices
    return text and bool(PERSONAL_NAME.search(field.name))


def personal_looking_fields() -> set[str]:
    found = set()
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.concrete_fields:
                # Wagtail's page and image fields (title, slug, search description) are inherited content.
                if field.model is not model or field.model.__module__.startswith("wagtail."):
                    continue
                if looks_personal(field):
                    found.add(f"{model._meta.label}.{field.name}")
    return found


def listed() -> set[str]:
    return {f"{h.model}.{f.name}" for h in HOLDERS for f in h.fields} | set(NOT_PERSONAL)


def test_every_personal_looking_field_is_in_the_registry():
    missing = personal_looking_fields() - listed()
    assert not missing, (
        f"add these to bookings/privacy/registry.py (HOLDERS or NOT_PERSONAL): {sorted(missing)}"
    )


def test_the_walk_would_notice_a_new_field():
    class Probe(models.Model):
        contact_phone = models.CharField(max_length=30)

        class Meta:
            app_label = "bookings"
            managed = False

        def __str__(self):
            return self.contact_phone

    try:
        assert looks_personal(Probe._meta.get_field("contact_phone"))
        assert "bookings.Probe.contact_phone" not in listed()
    finally:
        apps.all_models["bookings"].pop("probe", None)
        apps.clear_cache()


def test_every_registry_entry_names_real_fields():
    for holder in HOLDERS:
        model = apps.get_model(holder.model)
        for field in holder.fields:
            model._meta.get_field(field.name)
    for dotted in NOT_PERSONAL:
        label, _, name = dotted.rpartition(".")
        apps.get_model(label)._meta.get_field(name)
