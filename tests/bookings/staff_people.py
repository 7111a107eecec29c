"""People for the staff-desk tests: a coordinator in the Staff group, an editor without it."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


def coordinator(username="coordinator"):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw")
    user.groups.add(Group.objects.get(name="Staff"))
    return user


def plain_editor(username="plaineditor"):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw")
    user.groups.add(Group.objects.get(name="Editors"))
    return user
