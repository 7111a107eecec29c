"""The "Staff" group: the coordinators who run the service from the Wagtail admin. They see and
change bookings, partners, offers, free times and time off, read the email outbox and the
access records, and edit the booking settings. Editing site content stays with Editors."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Staff"
PERMISSIONS = {
    "wagtailadmin": ["access_admin"],
    "bookings": [
        "view_booking",
        "add_booking",
        "change_booking",
        "view_partner",
        "add_partner",
        "change_partner",
        "view_offer",
        "add_offer",
        "change_offer",
        "view_availabilityrule",
        "add_availabilityrule",
        "change_availabilityrule",
        "delete_availabilityrule",
        "view_timeoff",
        "add_timeoff",
        "change_timeoff",
        "delete_timeoff",
        "view_emailnotification",
        "view_accessrecord",
        "change_bookingsettings",
    ],
}


def create_group(apps, schema_editor):
    # Permissions are normally made after all migrations; make this app's now so they can be given.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    for app_label, codenames in PERMISSIONS.items():
        found = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        missing = set(codenames) - set(found.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions not found: {sorted(missing)}")
        group.permissions.add(*found)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("bookings", "0008_access_records"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
