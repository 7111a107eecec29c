"""The Moderators group can approve testimonials in the "Moderators approval" workflow (docs/impact.md).

Approving the last task publishes the revision as the moderator, and Wagtail refuses to publish for
a user without `publish_testimonial`: the approval rolled back and the moderator was sent to the
dashboard with "Sorry, you do not have permission to access this area". The group gets the
snippet's publish and change permissions (change so moderators find Testimonials in the Snippets
menu). The permissions are made here if Django and Wagtail have not made them yet (on a fresh
database they are made after all migrations run), with the names those would give them.
"""

from django.db import migrations

GRANTS = {"change": "Can change testimonial", "publish": "Can publish testimonial"}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Moderators").first()
    if group is None:
        return
    content_type, _ = ContentType.objects.get_or_create(app_label="home", model="testimonial")
    for action, name in GRANTS.items():
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=f"{action}_testimonial", defaults={"name": name}
        )
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Moderators").first()
    if group is not None:
        codenames = [f"{action}_testimonial" for action in GRANTS]
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="home", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0002_testimonial_drafts_workflow"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
