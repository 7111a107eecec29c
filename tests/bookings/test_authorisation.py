"""Authorisation matrix generated from the URLconf (docs/reliability.md, promise 7).

Every route in the "workspace" namespace, plus the partner feed, is requested with the OWNER's
real ids by another partner, a Wagtail editor, a superuser without a partner and an anonymous
visitor, with GET and with a POST that would succeed for the owner. Expected answers:

* object URLs (a chat, a range, a time off) for another partner: 404;
* pages without an object for another partner: their own page, with none of the owner's data;
* anything for a signed-in person without a partner: 403;
* anything for an anonymous visitor: 302 to the login page (a deliberate choice: partners
  follow links from emails, so a redirect helps them and shows no data; see bookings/workspace/access.py).

No response body or Location header may contain the owner's name, the booker's name, email or
organisation, or the project description, and the owner's data must be unchanged at the end.
A route whose URL parameter has no filler below fails the test, so new URLs cannot escape.
The feed is a bearer URL: its token is the only key, so it is checked with the owner's old
(rotated) token, which must 404 for everyone, and its live token's body must stay minimal.
"""

import itertools

import pytest
from django.forms.models import model_to_dict
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from bookings import partner_calendars
from bookings.calendars.caldav_secrets import encrypt_password
from bookings.models import (
    AvailabilityRule,
    Booking,
    CalDAVConnection,
    CalDAVState,
    ExternalCalendar,
    Partner,
    PartnerFeed,
    TimeOff,
)
from tests.support.second_factor import sign_in_verified
from tests.support.workspace_people import SECRETS, editor, owner_world, partner_with_login

pytestmark = pytest.mark.django_db

# What a POST carries for each route: data that would change the owner's state if it were let in.
POST_DATA = {
    "decline": {"reason": "not_available"},
    "range_change": {"weekdays": ["5"], "start_time": "06:00", "end_time": "07:00"},
    "availability": {"weekdays": ["6"], "start_time": "06:00", "end_time": "07:00"},
    "time_off": {"start_date": "2031-01-05", "end_date": "2031-01-06"},
    "pause": {"action": "pause"},
    "limits": {"max_chats_per_day": "1", "max_chats_per_week": "1", "rest_minutes": "200"},
    "own_calendar": {"url": "https://attacker.example/cal.ics"},
    # Nothing listens on port 9: the intruder's own connection attempt is refused at once.
    "caldav_connect": {"server_url": "http://127.0.0.1:9/", "username": "intruder", "password": "pw"},
    "caldav_choose": {"calendar": "http://127.0.0.1:9/owner/chats/"},
}


def routes():
    """(namespace, name, pattern) for every route in the project's URLconf."""

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            else:
                yield namespace, pattern.name, pattern

    return list(walk(get_resolver().url_patterns, None))


def guarded_routes():
    found = [
        (ns, name, p)
        for ns, name, p in routes()
        if ns == "workspace" or (ns is None and name == "partner_feed")
    ]
    assert len(found) >= 15, "the matrix found too few routes: is the workspace still mounted?"
    return found


@pytest.fixture
def world():
    world = owner_world()
    owner = world["owner"]
    old_token = partner_calendars.create_or_rotate_feed(owner, now=timezone.now())
    world["live_token"] = partner_calendars.create_or_rotate_feed(owner, now=timezone.now())
    world["old_token"] = old_token
    ExternalCalendar.objects.create(
        partner=owner, url="https://cal.example.org/owner-secret.ics", saved_at=timezone.now()
    )
    # A CalDAV account whose server is unreachable: the owner's choose page says so (200).
    CalDAVConnection.objects.create(
        partner=owner,
        server_url="http://127.0.0.1:9/",
        username="owner-caldav-user",
        password_encrypted=encrypt_password("owner-app-password"),
        calendar_url="http://127.0.0.1:9/owner/chats/",
        calendar_name="Owner chats",
        state=CalDAVState.ACTIVE,
        created_at=timezone.now(),
    )
    return world


def fillers(world):
    """Every value each URL parameter is tried with: always the owner's own objects."""
    return {
        "public_id": [world["pending"].public_id, world["past"].public_id],
        "rule_id": [world["rule"].pk],
        "time_off_id": [world["time_off"].pk],
        "token": [world["old_token"]],
    }


def urls_for(world):
    """(route name, url, is_object_url, post_only) for every guarded route and filler value."""
    values = fillers(world)
    out = []
    for namespace, name, pattern in guarded_routes():
        params = list(pattern.pattern.converters)
        missing = [p for p in params if p not in values]
        if missing:
            pytest.fail(f"route {namespace}:{name} takes {missing}: add a filler to the matrix")
        full_name = f"{namespace}:{name}" if namespace else name
        for combo in itertools.product(*(values[p] for p in params)):
            url = reverse(full_name, kwargs=dict(zip(params, combo, strict=True)))
            out.append((name, url, bool(params), getattr(pattern.callback, "post_only", False)))
    return out


def snapshot(owner_pk):
    """Everything the owner could lose to someone else's request."""
    owner = Partner.objects.get(pk=owner_pk)
    return (
        model_to_dict(owner),
        sorted(
            (r.pk, str(r.recurrence), r.start_time, r.end_time)
            for r in AvailabilityRule.objects.filter(partner=owner)
        ),
        sorted(TimeOff.objects.filter(partner=owner).values_list("pk", "start", "end")),
        sorted(Booking.objects.filter(partner=owner).values_list("pk", "status", "sequence")),
        list(PartnerFeed.objects.filter(partner=owner).values_list("token_hash", flat=True)),
        list(ExternalCalendar.objects.filter(partner=owner).values_list("url", flat=True)),
        list(CalDAVConnection.objects.filter(partner=owner).values()),
    )


def assert_no_owner_data(response, label):
    body = response.content.decode(errors="replace") + response.get("Location", "")
    for secret in (*SECRETS, "owner-caldav-user", "Owner chats", "owner-app-password"):
        assert secret not in body, f"{label} leaked {secret!r}"


def request(client, method, name, url):
    if method == "GET":
        return client.get(url)
    return client.post(url, POST_DATA.get(name, {}))


def test_every_workspace_view_is_behind_partner_required():
    for namespace, name, pattern in guarded_routes():
        if namespace == "workspace":
            assert getattr(pattern.callback, "workspace_view", False), f"workspace:{name} is not guarded"


def test_owner_reaches_every_page(client, world):
    """Proves the fillers are right: the same URLs work for the person they belong to."""
    client.force_login(world["owner"].user)
    for name, url, _, post_only in urls_for(world):
        if name == "partner_feed":
            continue  # checked with the live token below
        expected = 405 if post_only else 200
        assert client.get(url).status_code == expected, url
    live = client.get(reverse("partner_feed", args=[world["live_token"]]))
    assert live.status_code == 200


@pytest.mark.parametrize("who", ["other_partner", "editor", "superuser", "anonymous"])
def test_nobody_else_gets_the_owners_data(client, world, who, django_user_model):
    if who == "other_partner":
        client.force_login(partner_with_login("intruder", "Ivy Intruder").user)
    elif who == "editor":
        sign_in_verified(client, editor())
    elif who == "superuser":
        sign_in_verified(client, django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    before = snapshot(world["owner"].pk)
    checked = 0
    for (name, url, is_object, _post_only), method in itertools.product(urls_for(world), ("GET", "POST")):
        response = request(client, method, name, url)
        label = f"{who} {method} {url}"
        assert response.status_code < 500, label
        assert_no_owner_data(response, label)
        if name == "partner_feed":
            # A rotated token is dead for everyone; the feed answers only GET and HEAD.
            assert response.status_code == (404 if method == "GET" else 405), label
        elif who == "anonymous":
            assert response.status_code == 302, label
            assert response["Location"].startswith(f"{reverse('login')}?next="), label
        elif who in ("editor", "superuser"):
            assert response.status_code == 403, label
        elif is_object:
            assert response.status_code == 404, label
        else:
            # A page about no particular object: the intruder sees (or changes) only their own.
            assert response.status_code in (200, 302, 405), label
        checked += 1
    assert checked >= 40
    assert snapshot(world["owner"].pk) == before, f"{who} changed the owner's data"


def test_the_live_feed_is_a_bearer_link_with_minimal_content(client, world):
    """Whoever holds the live token reads the feed (that is what subscribing means), so the feed
    itself must carry no organisation, notes or email (promise 16)."""
    response = client.get(reverse("partner_feed", args=[world["live_token"]]))
    assert response.status_code == 200
    body = response.content.decode()
    for secret in ("bart@bookers.example", "Northfield Secret Trust", "zebrafish"):
        assert secret not in body
