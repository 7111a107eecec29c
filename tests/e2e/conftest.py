"""Fixtures the browser tests share."""

import pytest
from django.conf import settings as django_settings
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Collection, Locale, Page, Site

from tests.bookings.factories import AvailabilityRuleFactory, OfferFactory, PartnerFactory
from tests.conftest import WCAG_TAGS
from tests.home.factories import LadderRungFactory
from tests.support.booking_page import publish_booking_page


@pytest.fixture
def check_our_part(page, axe_source):
    """axe on the admin page's content area, which our templates render."""

    def check(label):
        page.wait_for_load_state("load")  # a click's new URL can come before its document
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source)
        opts = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        result = page.evaluate("([opts]) => axe.run({include: [['.nice-padding']]}, opts)", [opts])
        lines = [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']]}" for v in result["violations"]]
        assert not lines, f"axe violations on {label}:\n" + "\n".join(lines)

    return check


@pytest.fixture
def site_root(transactional_db):
    """The default site's root page, building the minimal Wagtail tree if a flush removed it."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is not None:
        return site.root_page
    language = get_supported_content_language_variant(django_settings.LANGUAGE_CODE)
    Locale.objects.get_or_create(language_code=language)
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.add_child(instance=Page(title="Home", slug="home"))
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    return home


@pytest.fixture
def journey(site_root):
    partner = PartnerFactory(display_name="Robin Example")
    AvailabilityRuleFactory(partner=partner)  # every day 09:00-17:00 UK time
    offer = OfferFactory(title="Thinking-partner chat", partners=[partner])
    for name in ("Informing", "Consultation", "Co-production"):
        LadderRungFactory(name=name)
    page = publish_booking_page(site_root)
    return {"page": page, "offer": offer, "partner": partner}
