"""Demo content for bookings: a booking page, two offers and three fictional thinking partners.

Written in our own words; the partners are invented. Like home/demo.py, each step finds what an
earlier run made (the page by slug under its parent, offers by title, partners by name) and
creates only what is missing, so running it twice changes nothing and never overwrites edits.
"""

import datetime

import recurrence
from django.db import transaction
from wagtail.models import Page

from bookings.journey.pages import BookingPage
from bookings.models import AvailabilityRule, BookingSettings, Offer, Partner

SLUG = "book-a-chat"
WEEKDAYS = [recurrence.MO, recurrence.TU, recurrence.WE, recurrence.TH, recurrence.FR]

PARTNERS = [
    (
        "Robin Ashdown",
        "Robin spent several years in and out of community mental health services and now helps "
        "teams think about how a service feels from the other side of the desk.",
        [(datetime.time(10), datetime.time(13))],
    ),
    (
        "Sami Okafor",
        "Sami has lived experience of crisis care and of caring for a family member. They like "
        "helping projects that are just starting and are not yet sure who to involve.",
        [(datetime.time(13), datetime.time(16, 30))],
    ),
    (
        "Jo Penrose",
        "Jo has sat on service-user panels for a decade and is good at spotting where good "
        "intentions turn into tick-box consultation.",
        [(datetime.time(9, 30), datetime.time(12)), (datetime.time(14), datetime.time(17))],
    ),
]

OFFERS = [
    {
        "title": "Thinking-partner chat",
        "description": "A relaxed conversation about your project with someone who has used "
        "mental health services. Bring a question, a plan or just an idea.",
        "duration_minutes": 45,
        "requires_acceptance": False,
    },
    {
        "title": "Project planning session",
        "description": "A longer session to work through how people with lived experience could "
        "shape your project from the start. The partner reads your notes first and confirms.",
        "duration_minutes": 90,
        "requires_acceptance": True,
    },
]

INTRO = (
    "<p>Book a conversation with one of our thinking partners: people with their own experience "
    "of mental health services who help professionals involve the people their work is for.</p>"
    "<p>It takes about five minutes. You will choose what you would like, who to talk to and a "
    "time, then tell us a little about your project.</p>"
)
NEXT = (
    "<p>The calendar invitation has the joining details. If your plans change, use the link in "
    "the email to move or cancel the chat.</p>"
    "<p>Your partner will read what you told us about your project before you meet.</p>"
)


def weekly_weekdays() -> recurrence.Recurrence:
    return recurrence.Recurrence(rrules=[recurrence.Rule(recurrence.WEEKLY, byday=WEEKDAYS)])


def ensure_partners() -> list[Partner]:
    partners = []
    for name, bio, ranges in PARTNERS:
        email = f"{name.split()[0].lower()}@partners.example.org"  # a reserved domain: mail goes nowhere
        # A standing video link on a reserved domain, so demo invites show joining details.
        link = f"https://meet.example.org/{name.split()[0].lower()}"
        partner, created = Partner.objects.get_or_create(
            display_name=name, defaults={"bio": bio, "email": email, "meeting_link": link}
        )
        if created:
            for start, end in ranges:
                AvailabilityRule.objects.create(
                    partner=partner,
                    recurrence=weekly_weekdays(),
                    start_time=start,
                    end_time=end,
                    starts_on=datetime.date(2025, 1, 6),
                )
        partners.append(partner)
    return partners


def ensure_offers(partners: list[Partner]) -> list[Offer]:
    offers = []
    for spec in OFFERS:
        offer, created = Offer.objects.get_or_create(title=spec["title"], defaults=spec)
        if created:
            offer.partners.set(partners)
        offers.append(offer)
    return offers


def privacy_page(site_root: Page) -> Page | None:
    return (
        site_root.get_descendants()
        .live()
        .filter(slug__in=["privacy", "privacy-notice", "privacy-policy"])
        .first()
    )


@transaction.atomic
def build(parent_page: Page) -> BookingPage:
    """A published booking page under `parent_page`, with offers, partners and site settings."""
    partners = ensure_partners()
    ensure_offers(partners)
    site = parent_page.get_site()
    if site is not None:
        BookingSettings.for_site(site)  # creates the defaults row if missing
    existing = BookingPage.objects.child_of(parent_page).filter(slug=SLUG).first()
    if existing is not None:
        return existing
    page = BookingPage(
        title="Book a chat with a thinking partner",
        slug=SLUG,
        intro=INTRO,
        what_happens_next=NEXT,
        confirmed_text="<p>Thank you. We look forward to talking with you.</p>",
        request_text="<p>Thank you. Most requests are answered within two working days.</p>",
        privacy_notice_page=privacy_page(site.root_page) if site else None,
        show_in_menus=True,
    )
    parent_page.add_child(instance=page)
    page.save_revision().publish()
    return page
