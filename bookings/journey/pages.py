"""The booking page: an editor-placed Wagtail page hosting the professional's booking journey.

Steps 1-3 (offer, partner, time) are GET pages addressed by query parameters, so they can be
bookmarked, shared and used without JavaScript. Step 4 validates the booker's details and keeps
them in the session draft, never in a URL. Step 5 shows the answers and places the booking with
the draft's idempotency key, so a double submit gives one booking. Step 6 is shown only to the
browser session that made the booking.
"""

import uuid

from django.conf import settings
from django.core import signing
from django.db import models
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.functional import cached_property
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page

from bookings import services, waitlist
from bookings.clients import client_key
from bookings.errors import BookingError, SlotUnavailable
from bookings.journey import bot_guard
from bookings.journey.choice import ANY, Choice, choice_from_draft, parse_choice, query
from bookings.journey.forms import (
    DetailsForm,
    WaitlistForm,
    booker_details,
    initial_from_answers,
    initial_from_post,
    readable_phone,
)
from bookings.models import Booking, BookingEntryPage, BookingSettings, BookingStatus, Format, Offer
from bookings.slots import fortnight, nearest_free, policy_from_settings
from bookings.zones import (
    ZONE_AREAS,
    format_moment,
    iso_utc,
    parse_iso_utc,
    resolve_zone,
    zone_choices,
    zone_label,
)
from home.route_trail import RouteTrailMixin
from home.site_cache import ladder_rungs

RICH_TEXT = ["h2", "h3", "bold", "italic", "link", "ol", "ul"]
DONE_SALT = "bookings.journey-done"
DONE_MAX_AGE = 2 * 60 * 60  # the confirmation page is for the moment of booking, not a record
STAMP_USED = (
    "This form has already been used to book a chat. Your answers are kept: please check them "
    "and send the details form again."
)
# An abandoned draft (names, emails, notes) is dropped when next read after this long
# (docs/privacy.md, "Booking drafts"); the session itself ends after SESSION_COOKIE_AGE.
DRAFT_MAX_AGE = 3 * 60 * 60


class BookingPage(BookingEntryPage, RouteTrailMixin, RoutablePageMixin, Page):
    """Editors word the page; the steps are routes below it (offers, partner/, time/, details/,
    check/, check/new-time/, done/<ref>/). Invariant: nothing is booked except by a POST of
    check/ carrying the session draft, and one draft (one idempotency key) makes one booking.
    """

    intro = RichTextField(blank=True, features=RICH_TEXT, help_text="Shown on the first step.")
    what_happens_next = RichTextField(
        blank=True, features=RICH_TEXT, help_text="Shown on the confirmation page after every booking."
    )
    privacy_notice_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    privacy_notice_url = models.URLField(blank=True, help_text="Used only if no page is chosen.")
    confirmed_text = RichTextField(
        "after a confirmed booking",
        blank=True,
        features=RICH_TEXT,
        help_text="For chats booked straight away.",
    )
    request_text = RichTextField(
        "after a request",
        blank=True,
        features=RICH_TEXT,
        help_text="For chats the partner must accept first.",
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("what_happens_next"),
        MultiFieldPanel(
            [FieldPanel("privacy_notice_page"), FieldPanel("privacy_notice_url")], heading="Privacy notice"
        ),
        MultiFieldPanel(
            [FieldPanel("confirmed_text"), FieldPanel("request_text")], heading="Confirmation page"
        ),
    ]

    parent_page_types = ["home.HomePage", "home.ContentPage"]
    subpage_types = []
    max_count_per_parent = 1
    template = "bookings/journey/offer.html"

    class Meta:
        # A model of the core app, so its table, content type and migrations stay the core's,
        # while its code lives here with the journey (docs/architecture.md).
        app_label = "bookings"
        verbose_name = "booking page"

    # --- Shared helpers -------------------------------------------------------------------

    @cached_property
    def draft_key(self) -> str:
        return f"bookings.draft.{self.pk}"

    def route(self, request, path_components):
        # The pages routing passed through: breadcrumbs and view restrictions without a query.
        self.note_route_ancestors(request)
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        trail = self.route_ancestors()
        if trail is None:
            trail = list(self.get_ancestors().filter(depth__gt=1))
        context["breadcrumbs"] = trail
        context["settings_mailbox"] = settings.BOOKINGS_MAILBOX
        return context

    def step(self, request, template, status=200, **context):
        response = self.render(request, template=f"bookings/journey/{template}", context_overrides=context)
        response.status_code = status
        # Steps 4-6 show personal details: never keep them in a shared or back-button cache.
        # Steps 1-3 show live free times: any cache must ask again (docs/security.md).
        if template in ("offer.html", "partner.html", "time.html"):
            response["Cache-Control"] = "no-cache"
        else:
            response["Cache-Control"] = "private, no-store"
        return response

    def base_url(self, request) -> str:
        # The time step builds dozens of links; work the page's own URL out once per request.
        if getattr(self, "_base_url", None) is None:
            self._base_url = self.get_url(request)
        return self._base_url

    @cached_property
    def _step_paths(self) -> dict[str, str]:
        return {}  # each step's path, reversed once per page instance (a request)

    def step_url(self, request, name: str, **params) -> str:
        if name not in self._step_paths:
            self._step_paths[name] = self.reverse_subpage(name)
        return self.base_url(request) + self._step_paths[name] + (query(**params) if params else "")

    def done_url(self, request, ref: str) -> str:
        return self.base_url(request) + self.reverse_subpage("done", kwargs={"ref": ref})

    def privacy_href(self) -> str:
        if self.privacy_notice_page_id and self.privacy_notice_page and self.privacy_notice_page.live:
            return self.privacy_notice_page.url
        return self.privacy_notice_url

    def policy(self, request):
        return policy_from_settings(BookingSettings.for_request(request))

    def load_draft(self, request, now) -> dict:
        """The session's draft, or {} once it is older than DRAFT_MAX_AGE (it is then removed)."""
        draft = request.session.get(self.draft_key) or {}
        if draft and now.timestamp() - draft.get("saved_at", 0) > DRAFT_MAX_AGE:
            del request.session[self.draft_key]
            return {}
        return draft

    # --- Step 1: what you want ------------------------------------------------------------

    @path("", name="offers")
    def choose_offer(self, request):
        offers = Offer.objects.filter(
            active=True, partners__active=True, partners__accepting_bookings=True
        ).distinct()
        # Carry a zone along only if one was chosen; otherwise step 3 lets the browser pick.
        tz = resolve_zone(request.GET.get("tz"))[0] if request.GET.get("tz") else ""
        items = [
            {
                "offer": offer,
                "formats": ", ".join(Format(f).label.lower() for f in offer.formats).capitalize(),
                "url": self.step_url(request, "partner", offer=offer.pk, tz=tz),
            }
            for offer in offers
        ]
        return self.step(request, "offer.html", offers=items)

    # --- Step 2: whom with ----------------------------------------------------------------

    @path("partner/", name="partner")
    def choose_partner(self, request):
        choice = parse_choice(request.GET, need_partner=False)
        tz = choice.zone if request.GET.get("tz") else ""
        partners = choice.offer.partners.filter(active=True, accepting_bookings=True)
        items = [
            {"partner": p, "url": self.step_url(request, "time", offer=choice.offer.pk, partner=p.pk, tz=tz)}
            for p in partners
        ]
        return self.step(
            request,
            "partner.html",
            choice=choice,
            partners=items,
            any_url=self.step_url(request, "time", offer=choice.offer.pk, partner=ANY, tz=tz),
            back_url=self.step_url(request, "offers", tz=tz),
        )

    # --- Step 3: when ---------------------------------------------------------------------

    @path("time/", name="time")
    def choose_time(self, request):
        choice = parse_choice(request.GET)  # the request, read once into a typed choice
        # The short list of zones by default; every zone only when asked for (docs/performance.md).
        all_zones = request.GET.get("zones") == "all"
        listing = fortnight(
            choice.offer,
            choice.partner,
            choice.zone,
            choice.first_day,
            timezone.now(),
            self.policy(request),
            day=choice.day,
            cached=True,  # display only: booking re-checks under the partner's lock
        )
        selected = listing.selected
        base = choice.params(with_start=False)
        first = listing.first_day.isoformat()
        days = [
            {
                "label": day.label,
                "count": len(day.times),
                "current": day is selected,
                "url": self.step_url(request, "time", **base, **{"from": first, "day": day.iso}),
            }
            for day in listing.days
        ]
        times = [
            {"label": option.label, "url": self.step_url(request, "details", **base, start=option.iso)}
            for option in (selected.times if selected else ())
        ]
        return self.step(
            request,
            "time.html",
            choice=choice,
            days=days,
            selected=selected,
            times=times,
            zone_hidden={k: v for k, v in {**base, "from": first}.items() if k != "tz"},
            zones=zone_choices(choice.zone, full=all_zones),
            zone_areas=" ".join(ZONE_AREAS),
            all_zones_url=not all_zones
            and self.step_url(request, "time", **base, **{"from": first, "zones": "all"}) + "#id_tz",
            zone_label=zone_label(choice.zone),
            earlier_url=listing.earlier
            and self.step_url(request, "time", **base, **{"from": listing.earlier.isoformat()}),
            later_url=listing.later
            and self.step_url(request, "time", **base, **{"from": listing.later.isoformat()}),
            partner_url=self.step_url(request, "partner", offer=choice.offer.pk, tz=choice.zone),
            waitlist_url=self.step_url(request, "waitlist", **base),
        )

    # --- No time that suits: the waiting list (docs/bookings.md#waiting-list) ------------

    @path("waiting-list/", name="waitlist")
    def join_waitlist(self, request):
        data = request.POST if request.method == "POST" else request.GET
        choice = parse_choice(data)
        now = timezone.now()
        stamp = bot_guard.issue_stamp(now, request.session)
        form = WaitlistForm(request.POST if request.method == "POST" else None)
        if request.method == "POST":
            verdict = bot_guard.check_submission(request.POST, now=now, session=request.session)
            if not verdict.ok:
                return self.step(request, "rejected.html", status=400)
            if not bot_guard.within_rate_limit(
                "waitlist",
                client_key(request),
                now=now,
                limit=settings.BOOKING_RATE_LIMIT,
                window_seconds=settings.BOOKING_RATE_WINDOW_SECONDS,
            ):
                return self.step(request, "rejected.html", status=429, rate_limited=True)
            stamp = request.POST.get("form_stamp", stamp)
            if form.is_valid():
                data = form.cleaned_data
                wish = waitlist.Wish(
                    name=data["name"],
                    email=data["email"],
                    weekdays=tuple(data["weekdays"]),
                    parts_of_day=tuple(data["parts_of_day"]),
                    time_zone=choice.zone,
                )
                try:
                    entry = waitlist.join(offer=choice.offer, partner=choice.partner, wish=wish, now=now)
                except BookingError as exc:
                    return self.step(request, "problem.html", status=400, message=exc.message, choice=choice)
                # The stamp is spent: the same form cannot be sent again (docs/reliability.md).
                bot_guard.spend_stamp(verdict.nonce, f"waitlist:{entry.public_id}", request.session)
                return self.step(request, "waitlist_joined.html", choice=choice, entry=entry)
        return self.step(
            request,
            "waitlist.html",
            status=400 if form.errors else 200,
            choice=choice,
            form=form,
            errors=form.error_list() if form.is_bound else [],
            stamp=stamp,
            honeypot=bot_guard.HONEYPOT_FIELD,
            hidden=choice.params(with_start=False),
            zone_label=zone_label(choice.zone),
            privacy_href=self.privacy_href(),
            expiry_days=settings.WAITLIST_EXPIRY_DAYS,
            action_url=self.step_url(request, "waitlist"),
            time_url=self.step_url(request, "time", **choice.params(with_start=False)),
        )

    # --- Step 4: your details -------------------------------------------------------------

    @path("details/", name="details")
    def details(self, request):
        now = timezone.now()
        draft = self.load_draft(request, now)
        data = request.POST if request.method == "POST" else request.GET
        if data.get("offer"):
            choice = parse_choice(data)
        elif draft.get("answers"):
            choice = choice_from_draft(draft)  # a "Change" link from check your answers
        else:
            return redirect(self.get_url(request))
        if choice.start is None:
            return redirect(self.step_url(request, "time", **choice.params(with_start=False)))
        # Whether the time is still free is checked when booking (step 5), which offers the
        # nearest free times if it has gone; checking here too would cost five more queries.
        rungs = ladder_rungs()
        resend = too_fast = False
        if request.method == "POST":
            verdict = bot_guard.check_submission(request.POST, now=now, session=request.session)
            # Someone changing an answer they already gave may well be quicker than a stranger.
            returning = verdict.reason == "too-fast" and bool(draft.get("answers"))
            # A genuine form from another browser session, or one that already made a booking:
            # show it again with the answers kept and a stamp of this session's own.
            resend = verdict.reason in bot_guard.NOT_YOURS
            # Autofill can send the form faster than the minimum fill time. Nothing is thrown
            # away: the answers come back unjudged with a fresh stamp and a calm note, and the
            # next Continue at a person's pace goes through (docs/reliability.md, promise 12).
            too_fast = verdict.reason == "too-fast" and not returning
            if not verdict.ok and not returning and not resend and not too_fast:
                return self.step(request, "rejected.html", status=400)
            fresh = resend or too_fast
            stamp = bot_guard.issue_stamp(now, request.session) if fresh else request.POST["form_stamp"]
        if too_fast:
            form = DetailsForm(initial=initial_from_post(request.POST), offer=choice.offer, rungs=rungs)
        elif request.method == "POST":
            form = DetailsForm(request.POST, offer=choice.offer, rungs=rungs)
            if form.is_valid() and not resend:
                key = draft.get("key") if draft.get("answers") else None
                request.session[self.draft_key] = {
                    "offer": choice.offer.pk,
                    "partner": choice.partner.pk if choice.partner else None,
                    "start": iso_utc(choice.start),
                    "tz": choice.zone,
                    "answers": form.answers(),
                    "key": key or uuid.uuid4().hex,
                    "stamp": verdict.nonce,
                    "saved_at": now.timestamp(),
                }
                return redirect(self.step_url(request, "check"))
        else:
            stamp = bot_guard.issue_stamp(now, request.session)
            initial = initial_from_answers(draft.get("answers", {}))
            form = DetailsForm(initial=initial, offer=choice.offer, rungs=rungs)
        return self.step(
            request,
            "details.html",
            status=400 if form.errors or resend else 200,
            choice=choice,
            form=form,
            resend=resend,
            errors=form.error_list() if form.is_bound else [],
            too_fast=too_fast,
            rungs=rungs,
            stamp=stamp,
            honeypot=bot_guard.HONEYPOT_FIELD,
            when=format_moment(choice.start, choice.zone),
            zone_label=zone_label(choice.zone),
            privacy_href=self.privacy_href(),
            hidden=choice.params(),
            action_url=self.step_url(request, "details"),
            time_url=self.step_url(request, "time", **choice.params(with_start=False)),
        )

    # --- Step 5: check your answers -------------------------------------------------------

    @path("check/", name="check")
    def check_answers(self, request):
        now = timezone.now()
        draft = self.load_draft(request, now)
        if draft.get("placed"):
            return redirect(self.done_url(request, draft["placed"]))
        if not draft.get("answers"):
            return redirect(self.get_url(request))
        choice = choice_from_draft(draft)
        if choice.start is None:
            return redirect(self.step_url(request, "time", **choice.params(with_start=False)))
        if request.method != "POST":
            return self.check_page(request, choice, draft)

        if not bot_guard.within_rate_limit(
            "booking",
            client_key(request),
            now=now,
            limit=settings.BOOKING_RATE_LIMIT,
            window_seconds=settings.BOOKING_RATE_WINDOW_SECONDS,
        ):
            return self.step(request, "rejected.html", status=429, rate_limited=True)
        if not bot_guard.spend_stamp(draft.get("stamp"), draft["key"], request.session):
            # The form's stamp already made another booking: the answers stay in the draft, and
            # sending the details form again (prefilled) gives this browser a stamp of its own.
            return self.step(
                request,
                "problem.html",
                status=409,
                message=STAMP_USED,
                details_url=self.step_url(request, "details"),
            )
        try:
            booking = services.place_booking(
                offer=choice.offer,
                start=choice.start,
                partner=choice.partner,
                booker=booker_details(draft["answers"], choice.zone),
                now=now,
                idempotency_key=draft["key"],
                policy=self.policy(request),
            )
        except SlotUnavailable:
            return self.taken(request, choice, now, self.policy(request))
        except BookingError as exc:
            return self.step(request, "problem.html", status=400, message=exc.message, choice=choice)
        ref = booking.public_id.hex
        # The answers leave the session now; the key stays so a repeat POST finds this booking.
        request.session[self.draft_key] = {"placed": ref, "key": draft["key"], "saved_at": now.timestamp()}
        request.session[DONE_SALT] = signing.dumps(ref, salt=DONE_SALT)
        return redirect(self.done_url(request, ref))

    def check_page(self, request, choice: Choice, draft: dict):
        answers = draft["answers"]
        rung_id = answers.get("ladder_rung")
        rung = next((r for r in ladder_rungs() if r.pk == rung_id), None) if rung_id else None
        return self.step(
            request,
            "check.html",
            choice=choice,
            answers=answers,
            rung=rung,
            format_label=Format(answers["format"]).label,
            phone_label=readable_phone(answers.get("phone")),
            when=format_moment(choice.start, choice.zone),
            zone_label=zone_label(choice.zone),
            offers_url=self.step_url(request, "offers", tz=choice.zone),
            partner_url=self.step_url(request, "partner", offer=choice.offer.pk, tz=choice.zone),
            time_url=self.step_url(request, "time", **choice.params(with_start=False)),
            details_url=self.step_url(request, "details"),
        )

    def taken(self, request, choice: Choice, now, policy):
        """The chosen time went while the booker filled the form: the nearest free times instead.

        Each is a button that swaps the draft's time and returns to check your answers.
        """
        alternatives = nearest_free(choice.offer, choice.partner, choice.start, now, policy)
        options = [
            {"iso": iso_utc(slot.start), "label": format_moment(slot.start, choice.zone)}
            for slot in alternatives
        ]
        return self.step(
            request,
            "taken.html",
            status=409,
            choice=choice,
            options=options,
            zone_label=zone_label(choice.zone),
            retime_url=self.step_url(request, "retime"),
            time_url=self.step_url(request, "time", **choice.params(with_start=False)),
            waitlist_url=self.step_url(request, "waitlist", **choice.params(with_start=False)),
        )

    @path("check/new-time/", name="retime")
    def retime(self, request):
        """Swap the draft's time for one of the alternatives, keeping every answer (POST only)."""
        draft = self.load_draft(request, timezone.now())
        start = parse_iso_utc(request.POST.get("start"))
        if request.method != "POST" or not draft.get("answers") or start is None:
            return redirect(
                self.step_url(request, "check") if draft.get("answers") else self.get_url(request)
            )
        draft["start"] = iso_utc(start)
        request.session[self.draft_key] = draft
        return redirect(self.step_url(request, "check"))

    # --- Step 6: confirmation -------------------------------------------------------------

    @path("done/<str:ref>/", name="done")
    def done(self, request, ref):
        try:
            allowed = signing.loads(request.session.get(DONE_SALT, ""), salt=DONE_SALT, max_age=DONE_MAX_AGE)
        except signing.BadSignature:
            allowed = None
        if allowed != ref:
            raise Http404("No booking to show")
        booking = (
            Booking.objects.select_related("offer", "partner").filter(public_id=uuid.UUID(hex=ref)).first()
        )
        if booking is None:
            raise Http404("No booking to show")
        zone = resolve_zone(booking.booker_time_zone)[0]
        return self.step(
            request,
            "done.html",
            booking=booking,
            is_request=booking.status == BookingStatus.PENDING,
            when=format_moment(booking.start, zone),
            zone_label=zone_label(zone),
        )
