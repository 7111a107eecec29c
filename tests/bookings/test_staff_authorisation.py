"""Every staff-operations URL (namespace "staff_ops", generated from the URLconf) asked for by a
partner, an editor without the Staff group and an anonymous visitor, by GET and POST, with real
ids: a redirect to sign-in or a 403, never the data, and nothing changes
(docs/staff-operations.md; the same rule as docs/reliability.md, promise 7)."""

import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from bookings.models import AccountEmail, Booking, Partner, PaymentLine, PaymentMonth
from bookings.staff.reports import REPORTS
from tests.bookings.test_authorisation import routes
from tests.support.second_factor import sign_in_verified
from tests.support.workspace_people import SECRETS, editor, owner_world, partner_with_login

pytestmark = pytest.mark.django_db

POST_DATA = {
    "invite": {"display_name": "Mallory", "email": "mallory@example.org", "time_zone": "Europe/London"},
    "settle": {"action": "cancel"},
    "payments_reverse": {"reason": "Mallory says so"},
}


def staff_routes():
    found = [(name, p) for ns, name, p in routes() if ns == "staff_ops"]
    assert len(found) >= 7, "the staff-operations URLs are not mounted"
    return found


def payment_line(world) -> PaymentLine:
    """A line of the owner's, for the payments screens (docs/impact.md)."""
    booking = world["pending"]
    line = PaymentLine.objects.filter(booking=booking).first()
    return line or PaymentLine.objects.create(
        partner=world["owner"],
        booking=booking,
        offer=booking.offer,
        kind="completed",
        chat_date=date(2026, 6, 1),
        month=date(2026, 6, 1),
        amount=Decimal("25.00"),
        created_at=booking.start,
    )


def urls(world):
    values = {
        "partner_id": [world["owner"].pk],
        "public_id": [world["pending"].public_id],
        "month": ["2026-06"],
        "line_id": [payment_line(world).pk],
        "report": [r.slug for r in REPORTS],
    }
    out = []
    for name, pattern in staff_routes():
        params = list(pattern.pattern.converters)
        missing = [p for p in params if p not in values]
        if missing:
            pytest.fail(f"route staff_ops:{name} takes {missing}: add a filler to this test")
        for combo in itertools.product(*(values[p] for p in params)):
            out.append((name, reverse(f"staff_ops:{name}", kwargs=dict(zip(params, combo, strict=True)))))
    return out


def state():
    return (
        sorted(Booking.objects.values_list("pk", "status", "partner_id", "sequence")),
        sorted(Partner.objects.values_list("pk", "active", "accepting_bookings")),
        AccountEmail.objects.count(),
        sorted(PaymentLine.objects.values_list("pk", "amount", "status")),
        sorted(PaymentMonth.objects.filter(approved_at__isnull=False).values_list("month", flat=True)),
    )


@pytest.mark.parametrize("who", ["partner", "editor", "anonymous"])
def test_nobody_but_staff_reaches_a_staff_operations_url(client, who):
    world = owner_world()
    payment_line(world)
    if who == "partner":
        sign_in_verified(client, partner_with_login("intruder", "Ivy Intruder").user)
    elif who == "editor":
        user = editor()
        user.groups.add(Group.objects.get(name="Editors"))
        sign_in_verified(client, user)
    before = state()
    for (name, url), method in itertools.product(urls(world), ("GET", "POST")):
        response = client.get(url) if method == "GET" else client.post(url, POST_DATA.get(name, {}))
        label = f"{who} {method} {url}"
        text = response.content.decode(errors="replace") + response.get("Location", "")
        for secret in SECRETS:
            assert secret not in text, f"{label} leaked {secret!r}"
        if who == "editor":
            assert response.status_code == 403, label
        else:
            assert response.status_code == 302, label
            assert response["Location"].startswith(reverse("wagtailadmin_login")), label
    assert state() == before


def test_staff_reach_every_staff_operations_url(client, django_user_model):
    """Proves the fillers are right: the same URLs answer a member of the Staff group."""
    world = owner_world()
    user = django_user_model.objects.create_user("cora", "cora@example.org", "pw")
    user.groups.add(Group.objects.get(name="Staff"))
    sign_in_verified(client, user)
    for name, url in urls(world):
        response = client.get(url)
        assert response.status_code in (200, 302), f"{name} {url}"
        if name not in {"invitation_resend", "invitation_revoke", "payments_approve"}:
            assert response.status_code == 200, f"{name} {url}"
