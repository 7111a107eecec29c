from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF_GROUP = "Staff"
# Staff read the CalDAV push outbox (docs/caldav.md, "Staff").
CODENAMES = ["view_caldavpush"]


def grant_staff(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="bookings", codename__in=CODENAMES)
    )


def revoke_staff(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=STAFF_GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="bookings", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [("bookings", "0013_privacy_data_retention_and_requests")]

    operations = [migrations.RunPython(grant_staff, revoke_staff)]
