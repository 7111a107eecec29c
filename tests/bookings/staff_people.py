"""People for the staff-desk tests: a coordinator in the Staff group, an editor without it, and
what the admin's partner form posts."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from bookings.models import Partner


def coordinator(username="coordinator"):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw")
    user.groups.add(Group.objects.get(name="Staff"))
    return user


def plain_editor(username="plaineditor"):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def partner_form(partner: Partner, **changes) -> dict:
    """What the admin's partner form posts for `partner`, with `changes` (None leaves a box unticked)."""
    data = {
        "display_name": partner.display_name,
        "bio": partner.bio,
        "email": partner.email,
        "user": partner.user_id or "",
        "time_zone": partner.time_zone,
        "meeting_link": partner.meeting_link,
        "active": "on" if partner.active else None,
        "accepting_bookings": "on" if partner.accepting_bookings else None,
        "max_chats_per_day": partner.max_chats_per_day or "",
        "max_chats_per_week": partner.max_chats_per_week or "",
        "rest_minutes": partner.rest_minutes,
        "nation": partner.nation,
        "works_bank_holidays": "on" if partner.works_bank_holidays else None,
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}
