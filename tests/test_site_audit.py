"""Every page of the demo site carries every security header (docs/security.md).

The crawl starts at the home page and follows every link to a page of the site; then it walks
the booking journey to a booking, opens the booker's manage link, the partner's workspace and
feed, and a few staff admin pages. Each answer is checked for the headers it must carry.
"""

import re
from collections import deque
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from wagtail.models import Page

from bookings import manage_links, partner_calendars
from bookings.journey.pages import BookingPage
from bookings.models import Booking, Partner
from tests.support.second_factor import sign_in_verified

PUBLIC_EXTRAS = ["/search/?query=co-production", "/no-such-page/", "/robots.txt", "/sitemap.xml"]
NOT_CRAWLED = ("/admin/", "/django-admin/", "/static/", "/media/", "/documents/", "/partners/", "/bookings/")
MAX_PAGES = 200


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo_content", verbosity=0)


def assert_headers(response, url, *, personal):
    where = f"{url} ({response.status_code})"
    policy = response.get("Content-Security-Policy", "")
    admin = urlsplit(url).path.startswith(("/admin/", "/django-admin/"))
    if not admin:
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, where
        assert "unsafe-inline" not in policy, where
    assert "camera=()" in response.get("Permissions-Policy", ""), where
    assert "microphone=()" in response["Permissions-Policy"], where
    assert "geolocation=()" in response["Permissions-Policy"], where
    assert "payment=()" in response["Permissions-Policy"], where
    assert response.get("X-Content-Type-Options") == "nosniff", where
    assert response.get("Referrer-Policy") == "same-origin", where
    assert response.get("X-Frame-Options") == "DENY" or "frame-ancestors 'none'" in policy, where
    cache_control = response.get("Cache-Control", "")
    assert cache_control, where
    if personal:
        assert "private" in cache_control and "public" not in cache_control, (where, cache_control)
        assert "no-store" in cache_control or "max-age=0" in cache_control, (where, cache_control)
    elif response.status_code == 200:
        # Plain pages may be kept a few minutes; booking steps 1-3 (live free times) revalidate.
        cacheable = "public" in cache_control and "max-age=" in cache_control
        assert cacheable or cache_control == "no-cache", (where, cache_control)


def internal_links(html: str) -> list[str]:
    links = []
    for href in re.findall(r'href="([^"#]+)', html):
        parts = urlsplit(unescape(href))
        if parts.scheme in ("", "http") and parts.netloc in ("", "testserver") and parts.path.startswith("/"):
            links.append(parts.path)
    return links


def crawl(client, start: list[str]) -> dict[str, int]:
    seen, queue, statuses = set(start), deque(start), {}
    while queue and len(statuses) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        statuses[url] = response.status_code
        assert_headers(response, url, personal=False)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for link in internal_links(response.content.decode()):
            if link not in seen and not link.startswith(NOT_CRAWLED):
                seen.add(link)
                queue.append(link)
    return statuses


def first_link(html: str, fragment: str) -> str:
    return unescape(re.search(rf'href="([^"]*{re.escape(fragment)}[^"]*)"', html).group(1))


def test_every_public_page_carries_the_headers(demo, client):
    pages = [page.url for page in Page.objects.live().filter(depth__gt=1).specific()]
    statuses = crawl(client, ["/", *PUBLIC_EXTRAS, *pages])
    assert set(pages) <= set(statuses) and len(pages) >= 7, statuses  # every live page, and more
    assert statuses["/"] == 200 and statuses["/no-such-page/"] == 404
    assert any(url.startswith("/resources/") for url in statuses), statuses
    assert all(status in (200, 301, 302, 404) for status in statuses.values()), statuses


def test_the_booking_journey_manage_link_workspace_feed_and_admin_carry_the_headers(demo, client):
    page = BookingPage.objects.live().get()
    seen = []

    def get(url, *, personal, c=client, **kwargs):
        response = c.get(url, **kwargs)
        assert_headers(response, url, personal=personal)
        seen.append(url)
        return response

    # Steps 1-3 show no one's details, but live free times; steps 4-6 show a booker's answers.
    first = get(page.url, personal=False)
    second = get(first_link(first.content.decode(), "partner/?"), personal=False)
    third = get(first_link(second.content.decode(), "time/?"), personal=False)
    assert {r["Cache-Control"] for r in (first, second, third)} == {"no-cache"}
    html = third.content.decode()
    details_url = first_link(html, "details/?")
    html = get(details_url, personal=True).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    answers = {
        "name": "Alex Example",
        "email": "alex@example.org",
        "organisation": "Example NHS Trust",
        "role": "Ward manager",
        "project_description": "Redesigning discharge planning.",
        "format": "video",
        "privacy": "on",
        "website": "",
    }
    rung = re.search(r'name="ladder_rung" value="(\d+)"', html)
    if rung:
        answers["ladder_rung"] = rung.group(1)
    posted = client.post(page.url + page.reverse_subpage("details"), {**hidden, **answers})
    assert posted.status_code == 302, posted.content.decode()[:2000]
    assert_headers(posted, "details POST", personal=True)
    get(posted["Location"], personal=True)  # check your answers
    placed = client.post(posted["Location"])
    assert_headers(placed, "check POST", personal=True)
    get(placed["Location"], personal=True)  # done

    # The demo also holds past chats with feedback (bookings/demo/impact.py): take the new one.
    booking = Booking.objects.filter(status__in=("pending", "confirmed")).get()
    token = manage_links.make_token(booking)
    anonymous = Client()
    for name in ("manage", "rebook"):
        get(
            f"/bookings/manage/{token}/" + ("" if name == "manage" else "rebook/"), personal=True, c=anonymous
        )
    get("/bookings/manage/not-a-token/", personal=True, c=anonymous)

    partner = Partner.objects.get(pk=booking.partner_id)
    partner.user = get_user_model().objects.create_user(
        "audit-partner", "audit-partner@example.org", "pw-not-used"
    )
    partner.save()
    workspace = Client()
    workspace.force_login(partner.user)
    get("/partners/", personal=True, c=workspace)
    get(f"/partners/chats/{booking.public_id}/", personal=True, c=workspace)
    feed_token = partner_calendars.create_or_rotate_feed(partner, now=booking.created_at)
    feed_url = f"/partners/feed/{feed_token}.ics"
    feed = get(feed_url, personal=True, c=anonymous)
    unchanged = get(feed_url, personal=True, c=anonymous, headers={"if-none-match": feed["ETag"]})
    assert unchanged.status_code == 304

    staff = Client()
    sign_in_verified(
        staff, get_user_model().objects.create_superuser("audit-staff", "audit-staff@example.org", "pw")
    )
    for url in ("/admin/", "/admin/pages/", f"/admin/pages/{page.pk}/edit/", "/admin/privacy-requests/"):
        response = get(url, personal=True, c=staff)
        assert response.status_code == 200, url
        assert "gravatar" not in response.content.decode().lower(), url
    assert len(seen) >= 17
