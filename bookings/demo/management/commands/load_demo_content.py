"""Load the demo site: editor account, home page, For professionals page, ladder, testimonials,
navigation and the resources library. Safe to run again: it only adds what is missing."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from wagtail.models import Site
from wagtail.search import index

# A command is an edge, so it may reach into every app; home's own modules never do.
from bookings.demo import content as bookings_demo
from bookings.demo import impact as impact_demo
from bookings.demo import logins as workspace_demo
from bookings.journey.pages import BookingPage
from home import demo
from resources import demo as resources_demo

DEFAULT_EDITOR_PASSWORD = "coproduction-demo-2026"  # noqa: S105 (a published demo password)


class Command(BaseCommand):
    help = "Create or complete the demo content and the demo editor account (idempotent)."

    def handle(self, *args, **options):
        password = settings.DEMO_EDITOR_PASSWORD or DEFAULT_EDITOR_PASSWORD

        with transaction.atomic():
            editor = demo.ensure_editor(password)
            demo.ensure_ladder()
            testimonials = demo.ensure_testimonials()
            home = demo.ensure_home_page()
            resource_pages = resources_demo.build(home)
            wanted = ["think-local-act-personal", "coproduction-oxfordshire", "copronet-wales"]
            wanted.append("parable-of-the-blobs-and-squares")
            missing = [slug for slug in wanted if slug not in resource_pages]
            if missing:
                raise CommandError(f"resources.demo.build() did not return: {', '.join(missing)}")
            for_professionals = demo.ensure_for_professionals(
                home, [resource_pages[slug] for slug in wanted], testimonials
            )
            demo.ensure_home_body(home, for_professionals)
            privacy = demo.ensure_privacy_notice(home)
            # After bootstrap_site the site already has its booking page: complete that one.
            made = BookingPage.objects.filter(slug=bookings_demo.SLUG).first()
            booking_page = bookings_demo.build(made.get_parent() if made else for_professionals)
            demo.ensure_booking_link(for_professionals, booking_page)
            partner = bookings_demo.ensure_partners()[0]
            workspace_demo.ensure_demo_partner_login(partner)
            coordinator = workspace_demo.ensure_demo_staff_login()
            offers = bookings_demo.ensure_offers(bookings_demo.ensure_partners())
            impact_demo.ensure_rules(offers)
            impact_demo.ensure_past_chats(partner, offers[0], now=timezone.now())
            resource_index = resource_pages[wanted[0]].get_parent()
            demo.ensure_site_chrome(
                Site.objects.get(is_default_site=True),
                [
                    ("Home", home),
                    ("For professionals", for_professionals),
                    ("Book a chat", booking_page),
                    ("Resources", resource_index),
                ],
                footer_only=[("How we use your information", privacy)],
            )

        # Saving only queues search indexing for the task worker; index the demo now so search
        # works straight away even before the worker runs (updating an entry is idempotent).
        for page in home.get_descendants(inclusive=True).specific():
            index.insert_or_update_object(page)

        if options["verbosity"] > 0:
            self.stdout.write(self.style.SUCCESS("Demo content is in place."))
            self.stdout.write(f"  Editor login: {settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/admin/")
            self.stdout.write(f"  Username:     {editor.username}")
            self.stdout.write(f"  Password:     {password}")
            self.stdout.write(f"  Partner workspace: {settings.SITE_URL.rstrip('/')}/partners/")
            self.stdout.write(f"  Username:     {partner.user.username}")
            self.stdout.write(f"  Password:     {workspace_demo.demo_password()}")
            self.stdout.write(
                f"  Staff desk (coordinator): {settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/admin/"
            )
            self.stdout.write(f"  Username:     {coordinator.username}")
            self.stdout.write(f"  Password:     {workspace_demo.staff_password()}")
            if password == DEFAULT_EDITOR_PASSWORD and not settings.DEBUG:
                self.stderr.write("  Warning: the default demo password is public; set DEMO_EDITOR_PASSWORD.")
