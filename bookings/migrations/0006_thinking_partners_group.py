"""The "Thinking partners" group: a label for partner accounts that grants no permissions, so
membership never opens the Wagtail or Django admin. The workspace checks the linked Partner,
not the group (bookings/workspace/access.py)."""

from django.db import migrations

GROUP_NAME = "Thinking partners"


def create_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name=GROUP_NAME)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("bookings", "0005_booking_page"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
