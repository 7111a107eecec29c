"""Demo content for the home app, written in our own words. The people quoted are fictional.

Every function finds what an earlier run made (pages by slug under their parent, snippets by
name or quote, links by label) and creates only what is missing, so running the loader twice
changes nothing and never overwrites an editor's changes.
"""

import datetime
import json

from django.conf import settings
from django.contrib.auth import get_user_model
from wagtail.embeds.embeds import get_embed_hash
from wagtail.embeds.models import Embed
from wagtail.models import Page, Site

from . import site_setup
from .models import ContentPage, HomePage, LadderRung, SiteChrome, Testimonial

EDITOR_USERNAME = "editor"
EDITORS_GROUP = site_setup.EDITORS_GROUP
FOR_PROFESSIONALS_SLUG = "for-professionals"

# No reliable address for the film is known, so this is a search link (as in resources/demo.py);
# an editor should swap in the film's own address. Stored as an oEmbed "link" so nothing is fetched.
PARABLE_VIDEO_URL = "https://www.youtube.com/results?search_query=parable+of+the+blobs+and+squares"
PARABLE_TITLE = "The Parable of the Blobs and Squares"

LADDER = [
    ("Coercion", "Decisions are imposed on people. They have no choice about taking part and no say."),
    ("Educating", "People are told about a service or a decision so that they will go along with it."),
    ("Informing", "People are kept up to date about what is happening but cannot change any of it."),
    ("Consultation", "People are asked what they think. Those in charge decide whether anything changes."),
    (
        "Engagement",
        "People are involved more closely and have some influence, but the service still sets the agenda.",
    ),
    (
        "Co-design",
        "People with lived experience shape the design of a service or project alongside staff, "
        "sharing ideas and some of the decisions.",
    ),
    (
        "Co-production",
        "People with lived experience and professionals share power as equals from start to finish: "
        "planning, delivering and reviewing the work together.",
    ),
]

TESTIMONIALS = [
    (
        "A nurse consultant in primary care",
        "Service user representatives shaped our peer support service from the very beginning. They "
        "pushed us to be ambitious and flexible, showed us what peer roles could do, and still help "
        "us improve our paperwork and choose new staff. The service is better because of them.",
        datetime.date(2025, 3, 12),
    ),
    (
        "A senior manager in community crisis services",
        "When we mapped our crisis pathway, someone who had been through it sat with us. Staff paid "
        "attention in a way they never do to a report, and we reached the real problems in half the time.",
        datetime.date(2025, 5, 2),
    ),
    (
        "A practitioner psychologist who leads a training service",
        "Running sessions alongside people who use services changed how I see my own role. I learned "
        "how my work feels from the other side of the room. My best work has been done together.",
        datetime.date(2025, 6, 20),
    ),
    (
        "A clinical team lead in a young people's wellbeing service",
        "Young people designed our service, from the building to how we judge whether it works, and "
        "they still sit on every interview panel. It makes the place kinder and the work better.",
        datetime.date(2025, 9, 8),
    ),
]


def ensure_editor(password: str):
    """The demo editor: not a superuser, but in Editors with rights to pages, snippets and settings."""
    group = site_setup.ensure_editors_group()
    user, created = get_user_model().objects.get_or_create(
        username=EDITOR_USERNAME,
        defaults={"first_name": "Demo", "last_name": "Editor", "email": "editor@example.org"},
    )
    if created or not user.check_password(password):
        user.set_password(password)
        user.save()
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
    return user


def ensure_ladder() -> list[LadderRung]:
    rungs = []
    for order, (name, explanation) in enumerate(LADDER):
        rung, _ = LadderRung.objects.get_or_create(
            name=name, defaults={"explanation": explanation, "sort_order": order}
        )
        rungs.append(rung)
    return rungs


def ensure_testimonials() -> list[Testimonial]:
    testimonials = []
    for role, quote, consented in TESTIMONIALS:
        testimonial = Testimonial.objects.filter(role=role).first()
        if testimonial is None:
            testimonial = Testimonial(quote=quote, role=role, consent_given_on=consented, live=False)
            testimonial.full_clean()
            testimonial.save()
            # Published the way an editor publishes (drafts and workflow, docs/impact.md).
            testimonial.save_revision(log_action=False).publish(log_action=False)
            testimonial.refresh_from_db()
        testimonials.append(testimonial)
    return testimonials


def ensure_home_page() -> HomePage:
    """The site's HomePage, replacing Wagtail's placeholder "Welcome" page on a fresh install,
    and the default Site at SITE_URL's address."""
    home = site_setup.ensure_home_page(
        title="Lived experience at the heart of mental health care",
        seo_title="Home",
        intro=(
            "We are people with lived experience of mental health services. We help health and care "
            "professionals involve the people who use their services, from a first conversation to "
            "full co-production."
        ),
        summary="Who we are and how we help professionals work with people who use services.",
    )
    site_setup.ensure_default_site(home, settings.SITE_URL)
    return home


def ensure_parable_embed():
    """Store the film's link as an oEmbed "link" record so saving the page needs no network."""
    Embed.objects.get_or_create(
        hash=get_embed_hash(PARABLE_VIDEO_URL),
        defaults={
            "url": PARABLE_VIDEO_URL,
            "type": "link",
            "title": PARABLE_TITLE,
            "provider_name": "YouTube",
        },
    )


def raw_stream(blocks: list[tuple]) -> str:
    """StreamField content in its stored JSON form, where choosers hold primary keys."""
    return json.dumps([{"type": block_type, "value": value} for block_type, value in blocks])


def for_professionals_body(resources: list, testimonials: list[Testimonial]) -> str:
    return raw_stream(
        [
            (
                "rich_text",
                "<p>People who have used mental health services know what good care feels like, and where "
                "it falls short. That makes them the best advisers on what a service should be aiming for. "
                "We put that knowledge to work alongside you.</p>",
            ),
            ("heading", {"text": "How we can help", "level": "h2"}),
            (
                "rich_text",
                "<ul><li><b>A conversation about involving people.</b> Talk to us about how to bring the "
                "people who use your service into a project, and where to start.</li>"
                "<li><b>A lived-experience thinking partner.</b> Work an idea through with someone who has "
                "been on the receiving end of care: a sounding board and a critical friend.</li>"
                "<li><b>Help to embed co-production.</b> Make co-production part of how your team works, "
                "not a one-off exercise.</li></ul>",
            ),
            ("heading", {"text": "What is co-production?", "level": "h2"}),
            (
                "rich_text",
                "<p>Involving patients and the public, often called PPI, is known to improve services and "
                "make them better value, and many public bodies have a legal duty to do it. Over the years, "
                "involvement has climbed a ladder: from people being told what will happen to them, through "
                "being asked for their views, to designing and delivering services together.</p>",
            ),
            (
                "ladder",
                {
                    "heading": "The ladder of involvement",
                    "intro": (
                        "Each rung gives people more say. Use it to check which rung an opportunity "
                        "is really on."
                    ),
                },
            ),
            (
                "rich_text",
                "<p>Co-production is more than a fashionable word. Full co-production is not always "
                "possible, and that is fine: what matters is being honest about what you are offering. "
                "If it is really consultation, call it consultation. Calling it co-production when it "
                "is not wears away trust.</p>",
            ),
            (
                "video",
                {
                    "title": PARABLE_TITLE,
                    "video": PARABLE_VIDEO_URL,
                    "summary": (
                        "A short animated story about a system built for tidy squares and the round "
                        "blobs it is supposed to serve. It shows what goes wrong when services are "
                        "designed for people instead of with them."
                    ),
                    "transcript_url": "",
                    # What VideoBlock.get_prep_value stores, so the page renders without a query.
                    "stored_embed": {"type": "link", "html": "", "provider_name": "YouTube"},
                },
            ),
            (
                "resource_list",
                {
                    "heading": "Find out more",
                    "intro": "Organisations and a film we recommend to professionals starting out.",
                    "resources": [page.pk for page in resources],
                },
            ),
            (
                "testimonials",
                {
                    "heading": "What professionals say",
                    "testimonials": [t.pk for t in testimonials],
                    "latest_count": None,
                },
            ),
        ]
    )


def ensure_for_professionals(home: HomePage, resources: list, testimonials: list) -> ContentPage:
    page = ContentPage.objects.child_of(home).filter(slug=FOR_PROFESSIONALS_SLUG).first()
    if page is not None:
        return page
    ensure_parable_embed()
    page = ContentPage(
        title="For professionals",
        slug=FOR_PROFESSIONALS_SLUG,
        summary=(
            "How we help health and care professionals involve people with lived experience, and what "
            "co-production really means."
        ),
        body=for_professionals_body(resources, testimonials),
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


def ensure_booking_link(page: ContentPage, booking_page: Page) -> None:
    """A "Book a chat" call to action in the page's own content, after "How we can help", so the
    way to book is where the reader decides to (not only in the header). Added once."""
    booked = (b for b in page.body if b.block_type == "call_to_action" and b.value["page"])
    if any(b.value["page"].pk == booking_page.pk for b in booked):
        return
    blocks = [(b.block_type, b.block.get_prep_value(b.value)) for b in page.body]
    at = next((i + 2 for i, (kind, value) in enumerate(blocks) if kind == "heading"), len(blocks))
    blocks.insert(
        min(at, len(blocks)),
        (
            "call_to_action",
            {
                "text": "Book a chat with a thinking partner",
                "page": booking_page.pk,
                "description": "Choose a time that suits you. It takes about five minutes.",
            },
        ),
    )
    page.body = raw_stream(blocks)
    page.save_revision().publish()


def ensure_home_body(home: HomePage, for_professionals: ContentPage) -> None:
    if home.body:
        return
    home.body = raw_stream(
        [
            (
                "rich_text",
                "<p>Services work best when the people who use them help shape them. We bring the "
                "view from the other side of the consulting room into your planning, training and "
                "service design.</p>",
            ),
            (
                "call_to_action",
                {
                    "text": "How we work with professionals",
                    "page": for_professionals.pk,
                    "description": "Three ways we can help, and what co-production really means.",
                },
            ),
            ("testimonials", {"heading": "What professionals say", "testimonials": [], "latest_count": 2}),
        ]
    )
    home.save_revision().publish()


def ensure_site_chrome(
    site: Site, links: list[tuple[str, Page]], footer_only: list[tuple[str, Page]] = ()
) -> SiteChrome:
    chrome = SiteChrome.for_site(site)
    changed = False
    if not chrome.footer_text:
        chrome.footer_text = (
            "Run by and for people with lived experience of mental health services.\n"
            "This is a demonstration site: the organisation, the people and the testimonials are fictional."
        )
        chrome.contact_email = chrome.contact_email or "hello@example.org"
        changed = True
    if not chrome.navigation_links.exists():
        for order, (label, page) in enumerate(links):
            chrome.navigation_links.add(
                chrome.navigation_links.model(label=label, link_page=page, sort_order=order)
            )
        changed = True
    if not chrome.footer_links.exists():
        for order, (label, page) in enumerate(links[1:]):
            chrome.footer_links.add(chrome.footer_links.model(label=label, link_page=page, sort_order=order))
        changed = True
    # Footer-only links (the privacy page) are added to an existing footer too, once.
    for label, page in footer_only:
        if not chrome.footer_links.filter(link_page=page).exists():
            order = chrome.footer_links.count()
            chrome.footer_links.add(chrome.footer_links.model(label=label, link_page=page, sort_order=order))
            changed = True
    if changed:
        chrome.save()
    return chrome


PRIVACY_SLUG = "privacy-notice"


def ensure_privacy_notice(home: HomePage) -> ContentPage:
    """The demo privacy page, "How we use your information", which the booking form and the footer
    link to. Editors own the words; docs/privacy.md is the technical account behind them."""
    page = ContentPage.objects.child_of(home).filter(slug=PRIVACY_SLUG).first()
    if page is not None:
        return page
    page = ContentPage(
        title="How we use your information",
        slug=PRIVACY_SLUG,
        summary="What we keep when you book a chat, why, for how long, and how to see or delete it.",
        body=raw_stream(
            [
                (
                    "rich_text",
                    "<h2>What we keep</h2>"
                    "<p>When you book a chat we keep your name, email address, organisation and role, "
                    "and what you tell us about your project and any access needs. We need these to "
                    "arrange the chat and so that your thinking partner can prepare.</p>"
                    "<h2>Who sees it</h2>"
                    "<p>Your thinking partner and our small bookings team. What you write about your "
                    "project and your access needs never goes into emails or calendar invitations. We "
                    "keep a record of who looked at your details.</p>"
                    "<h2>How long we keep it</h2>"
                    "<p>We remove your details 12 months after your chat. We keep only the date, the "
                    "kind of chat and how it went, with nothing that says who you are, so that we can "
                    "count how many chats we have. If you start booking and stop, what you typed is "
                    "deleted when your browser session ends, within two weeks at most.</p>"
                    "<h2>Seeing or deleting what we hold</h2>"
                    "<p>Email our bookings mailbox from the address you booked with. We will send you "
                    "a copy of everything we hold about you, or delete it. If you have a chat coming "
                    "up we will cancel it first and let you and your partner know.</p>"
                    "<p>If you are unhappy with how we have handled your information, you can complain "
                    "to the Information Commissioner's Office (ico.org.uk).</p>",
                )
            ]
        ),
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    return page
