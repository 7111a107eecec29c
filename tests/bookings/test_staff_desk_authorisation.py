"""Every staff URL, generated from the URLconf, refused to a partner, an editor without the Staff
group and an anonymous visitor, with none of the booking's data in the body (docs/staff.md;
Wagtail checks only its own listings per object: wagtail issue #10746)."""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from bookings.models import Booking
from tests.support.second_factor import sign_in_verified
from tests.support.workspace_people import partner_with_login

from .factories import BookingFactory
from .staff_people import plain_editor

pytestmark = pytest.mark.django_db
SECRET_NAME = "Bartholomew Secretbooker"
SECRET_ORG = "Hidden Hospital Trust"
STAFF_NAMESPACES = {"booking", "access_records", "caldav_pushes"}


def staff_routes():
    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            else:
                yield namespace, pattern.name, pattern

    found = [(ns, name) for ns, name, _ in walk(get_resolver().url_patterns, None) if ns in STAFF_NAMESPACES]
    assert len(found) >= 8, found
    return found


def url_for(namespace, name, booking):
    for kwargs in ({}, {"pk": booking.pk}, {"pk": booking.pk, "action": "cancel"}):
        try:
            return reverse(f"{namespace}:{name}", kwargs=kwargs)
        except Exception:  # noqa: S112  (try the next shape of arguments)
            continue
    raise AssertionError(f"no arguments fit {namespace}:{name}: add them to this test")


@pytest.mark.parametrize("who", ["partner", "editor", "anonymous"])
def test_every_staff_url_is_refused_without_the_staff_group(client, who):
    booking = BookingFactory(booker_name=SECRET_NAME, organisation=SECRET_ORG)
    if who == "partner":
        sign_in_verified(client, partner_with_login("someone", "Some Partner").user)
    elif who == "editor":
        sign_in_verified(client, plain_editor())
    for namespace, name in staff_routes():
        url = url_for(namespace, name, booking)
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"reason": "x", "start": "2026-06-02T12:30:00Z"})
            body = response.content.decode()
            if who == "anonymous":
                assert response.status_code == 302 and "/admin/login/" in response["Location"], url
            elif who == "partner":
                # No admin access at all: Wagtail sends them to its sign-in page, showing nothing.
                assert response.status_code in (302, 403), (url, response.status_code)
            else:
                assert response.status_code in (403, 404) or (
                    response.status_code == 302 and "/admin/booking" not in response["Location"]
                ), (url, method, response.status_code)
            assert SECRET_NAME not in body and SECRET_ORG not in body, url
    booking.refresh_from_db()
    assert booking.status == "confirmed" and Booking.objects.count() == 1
