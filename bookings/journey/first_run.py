"""A first production run (`manage.py bootstrap_site`, docs/deploy.md step 4): what a new install
needs before anyone can sign in or book, and nothing of the demo. Every step finds what is there
and makes only what is missing, so a second run changes nothing.

It lives in the journey because the journey owns BookingPage; the groups are the core's
(bookings/groups.py) and the page tree and Site are home's (home/site_setup.py).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from wagtail.models import Site

from bookings import groups
from bookings.models import BookingSettings
from home import site_setup
from home.models import HomePage

from .pages import BookingPage

BOOKING_SLUG = "book-a-chat"
HOME_INTRO = "We are people with lived experience. Book a chat with one of our thinking partners."
BOOKING_INTRO = "<p>Choose what you would like to talk about, then a time that suits you.</p>"


@dataclass(frozen=True)
class Superuser:
    """From the environment (BOOTSTRAP_SUPERUSER_USERNAME, _EMAIL, _PASSWORD); all three or none."""

    username: str = ""
    email: str = ""
    password: str = field(default="", repr=False)


@dataclass
class Report:
    made: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


@transaction.atomic
def bootstrap(*, site_url: str, superuser: Superuser) -> Report:
    """Groups, home page, default Site at `site_url`, booking page and its settings, and the first
    superuser. Raises ValueError for a bad SITE_URL or a half-given or weak superuser."""
    report = Report()
    site_setup.site_address(site_url)  # a bad SITE_URL fails before anything is written
    if any([superuser.username, superuser.email, superuser.password]) and not all(
        [superuser.username, superuser.email, superuser.password]
    ):
        raise ValueError(
            "Set all three of BOOTSTRAP_SUPERUSER_USERNAME, BOOTSTRAP_SUPERUSER_EMAIL and "
            "BOOTSTRAP_SUPERUSER_PASSWORD, or none of them."
        )

    groups.ensure_partner_group()
    groups.ensure_staff_group()
    site_setup.ensure_editors_group()
    report.kept.append("groups: Editors, Staff, Thinking partners")

    had_home = HomePage.objects.exists()
    home = site_setup.ensure_home_page(title=settings.WAGTAIL_SITE_NAME, intro=HOME_INTRO)
    (report.kept if had_home else report.made).append(f"home page: {home.title}")

    before = Site.objects.filter(is_default_site=True).values("hostname", "port", "root_page_id").first()
    site = site_setup.ensure_default_site(home, site_url)
    after = {"hostname": site.hostname, "port": site.port, "root_page_id": site.root_page_id}
    (report.kept if before == after else report.made).append(f"site: {site.hostname}:{site.port}")

    booking_page = BookingPage.objects.first()
    if booking_page is None:
        booking_page = BookingPage(
            title="Book a chat with a thinking partner",
            slug=BOOKING_SLUG,
            intro=BOOKING_INTRO,
            show_in_menus=True,
        )
        home.add_child(instance=booking_page)
        booking_page.save_revision().publish()
        report.made.append(f"booking page: {booking_page.url_path}")
    else:
        report.kept.append("booking page")
    BookingSettings.for_site(site)  # the defaults row, if missing

    if not superuser.username:
        report.kept.append("superuser: skipped (BOOTSTRAP_SUPERUSER_USERNAME is not set)")
    else:
        users = get_user_model().objects
        if users.filter(username=superuser.username).exists():
            report.kept.append(f"superuser: {superuser.username} already exists (left as it is)")
        else:
            user = get_user_model()(username=superuser.username, email=superuser.email)
            validate_password(superuser.password, user)  # ValidationError for a weak password
            users.create_superuser(superuser.username, superuser.email, superuser.password)
            report.made.append(f"superuser: {superuser.username}")
    return report
