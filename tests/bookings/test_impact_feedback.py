"""Feedback after a chat, from completion to a published quote and back (docs/impact.md).

The walk: a booking is completed, the outbox sends one feedback email a day later (the real
worker), the booker opens the signed link (GET changes nothing) and posts the form, a draft
testimonial waits for an editor, the editor publishes it in Wagtail's admin, it shows on the
public page, the person withdraws consent from the same link and it is gone again.
"""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from wagtail.models import Page, Site

from bookings import feedback, services
from bookings.errors import InvalidInput, InvalidTransition
from bookings.models import EmailNotification, Feedback, NotificationStatus, PartnerReflection, QuoteConsent
from bookings.services import BookerDetails
from home.demo import ensure_editor
from home.models import Testimonial
from tests.home.factories import ContentPageFactory, HomePageFactory, LadderRungFactory, stream
from tests.support.outbox import install_clock, run_worker, with_email
from tests.support.second_factor import sign_in_verified

from .factories import BookingFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
CHAT = datetime(2026, 6, 2, 10, tzinfo=ZoneInfo("Europe/London"))
QUOTE = "Talking it through with someone who had been there changed how we plan our ward rounds."
LINK = re.compile(r"http://[^/\s]+(/bookings/feedback/[^/\s]+/)")


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch, NOW)


@pytest.fixture
def rungs(db):
    return [LadderRungFactory(name="Informing"), LadderRungFactory(name="Co-producing")]


def public_page():
    root = Page.get_first_root_node()
    placeholders = list(root.get_children())
    home = HomePageFactory(parent=root, slug="site-home")
    site = Site.objects.get(is_default_site=True)
    site.root_page = home
    site.save()
    for placeholder in placeholders:
        placeholder.delete()
    block = ("testimonials", {"heading": "What professionals say", "testimonials": [], "latest_count": 3})
    return ContentPageFactory(parent=home, slug="stories", title="Stories", body=stream(block))


def completed_chat(offer, partner, policy, clock):
    details = BookerDetails(
        name="Rowan Example", email="rowan@example.org", organisation="Northshire Trust", role="Ward manager"
    )
    booking = services.place_booking(
        offer=offer, start=CHAT, partner=partner, booker=details, now=clock(), policy=policy
    )
    clock.now = CHAT + timedelta(minutes=40)
    return services.mark_completed(booking, now=clock(), actor_label="partner")


def test_a_chat_walks_from_completed_to_a_published_quote_and_back(
    client, offer, partner, policy, clock, rungs, django_user_model
):
    with_email(partner, django_user_model)
    page = public_page()
    booking = completed_chat(offer, partner, policy, clock)
    completed_at = clock()

    # One feedback email, queued in the completing transaction, due a day later.
    row = EmailNotification.objects.get(booking=booking, kind="feedback_request")
    assert row.recipient == "booker"
    assert row.send_after == completed_at + timedelta(hours=24)
    run_worker()
    mail.outbox.clear()
    run_worker()
    assert not mail.outbox, "sent before its day"
    clock.advance(hours=24, minutes=1)
    run_worker()
    sent = [m for m in mail.outbox if "How did your chat go?" in m.subject]
    assert len(sent) == 1 and sent[0].to == ["rowan@example.org"]
    path = LINK.search(sent[0].body).group(1)
    run_worker()
    assert len([m for m in mail.outbox if "How did your chat go?" in m.subject]) == 1, "sent twice"

    # GET shows the form and records nothing, however often a scanner opens it.
    for _ in range(5):
        response = client.get(path)
        assert response.status_code == 200
    assert "Where does your project sit on the ladder now?" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert not Feedback.objects.exists()

    answers = {
        "usefulness": "5",
        "ladder_rung": str(rungs[1].pk),
        "next_steps": "Invite two partners to our steering group.",
        "quote": QUOTE,
        "consent": QuoteConsent.NAMED,
    }
    response = client.post(path, answers)
    assert response.status_code == 200
    assert "Thank you for your feedback" in response.content.decode()
    given = Feedback.objects.get(booking=booking)
    assert (given.usefulness, given.ladder_rung, given.consent) == (5, rungs[1], "named")
    assert "with my role and organisation" in given.consent_wording
    draft = given.testimonial
    assert not draft.live and draft.latest_revision is not None
    assert (draft.quote, draft.role, draft.organisation, draft.name) == (
        QUOTE,
        "Ward manager",
        "Northshire Trust",
        "",
    )
    assert draft.consent_given_on == completed_at.date() + timedelta(days=1)
    assert draft.consent_wording == given.consent_wording
    assert QUOTE not in client.get(page.url).content.decode(), "a draft must not appear"

    # A second POST is refused kindly and changes nothing.
    again = client.post(path, {**answers, "usefulness": "1"})
    assert again.status_code == 409
    assert "we already have your feedback" in again.content.decode()
    assert Feedback.objects.get(booking=booking).usefulness == 5

    # An editor publishes the draft through Wagtail's admin.
    editor = ensure_editor("pw")
    sign_in_verified(client, editor)
    edit_url = reverse("wagtailsnippets_home_testimonial:edit", args=[draft.pk])
    assert client.get(edit_url).status_code == 200
    form = {
        "quote": QUOTE,
        "name": "",
        "role": "Ward manager",
        "organisation": "Northshire Trust",
        "consent_given_on": draft.consent_given_on.isoformat(),
        "action-publish": "action-publish",
    }
    response = client.post(edit_url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.live
    client.logout()
    html = client.get(page.url).content.decode()
    assert QUOTE in html and "Ward manager" in html

    # The person withdraws consent from the same link: unpublished at once.
    response = client.get(path)
    assert "Withdraw permission" in response.content.decode()
    response = client.post(reverse("bookings:feedback_withdraw", args=[path.split("/")[-2]]))
    assert response.status_code == 200
    assert "Permission withdrawn" in response.content.decode()
    draft.refresh_from_db()
    assert not draft.live and draft.consent_given_on is None
    assert QUOTE not in client.get(page.url).content.decode()
    assert Feedback.objects.get(booking=booking).consent_withdrawn_at is not None

    # Without a recorded consent date, an editor cannot publish it again.
    sign_in_verified(client, editor)
    response = client.post(edit_url, {**form, "consent_given_on": ""})
    assert response.status_code == 200
    assert "Record the date consent was given" in response.content.decode()
    draft.refresh_from_db()
    assert not draft.live


def test_feedback_request_is_queued_once_and_only_for_completed_chats(offer, partner, policy, clock):
    booking = completed_chat(offer, partner, policy, clock)
    with pytest.raises(InvalidTransition):
        services.mark_completed(booking, now=clock())
    assert EmailNotification.objects.filter(booking=booking, kind="feedback_request").count() == 1
    missed = BookingFactory(partner=partner, offer=offer, start=NOW - timedelta(hours=2))
    services.mark_no_show(missed, now=NOW)
    assert not EmailNotification.objects.filter(booking=missed, kind="feedback_request").exists()


def test_the_feedback_email_is_dropped_if_feedback_came_first(offer, partner, policy, clock, rungs):
    booking = completed_chat(offer, partner, policy, clock)
    feedback.submit(booking, feedback.Answers(usefulness=3, ladder_rung_id=rungs[0].pk), now=clock())
    clock.advance(hours=25)
    run_worker()
    row = EmailNotification.objects.get(booking=booking, kind="feedback_request")
    assert row.status == NotificationStatus.OBSOLETE
    assert not [m for m in mail.outbox if "How did your chat go?" in m.subject]


def test_bad_and_foreign_tokens_are_one_plain_404(client, offer, partner, policy, clock):
    booking = completed_chat(offer, partner, policy, clock)
    token = feedback.make_token(booking)
    upcoming = BookingFactory(partner=partner, offer=offer, start=CHAT + timedelta(days=3))
    for bad in (token[:-2] + "xx", "nonsense", feedback.make_token(upcoming)):
        assert client.get(reverse("bookings:feedback", args=[bad])).status_code == 404
        assert client.post(reverse("bookings:feedback", args=[bad]), {"usefulness": "3"}).status_code == 404
    assert not Feedback.objects.exists()


def test_a_quote_without_consent_or_consent_without_a_quote(client, offer, partner, policy, clock, rungs):
    booking = completed_chat(offer, partner, policy, clock)
    path = reverse("bookings:feedback", args=[feedback.make_token(booking)])
    response = client.post(path, {"usefulness": "4", "ladder_rung": rungs[0].pk, "consent": "anonymous"})
    assert response.status_code == 400
    assert "Write the words we may publish" in response.content.decode()
    response = client.post(path, {"usefulness": "", "ladder_rung": rungs[0].pk, "consent": "none"})
    assert "Select how useful the chat was" in response.content.decode()
    response = client.post(
        path, {"usefulness": "4", "ladder_rung": rungs[0].pk, "quote": "Kept private.", "consent": "none"}
    )
    assert response.status_code == 200
    assert Feedback.objects.get().testimonial is None
    assert not Testimonial.objects.exists()


def test_an_anonymous_quote_carries_no_role_or_organisation(offer, partner, policy, clock, rungs):
    booking = completed_chat(offer, partner, policy, clock)
    answers = feedback.Answers(usefulness=4, ladder_rung_id=None, quote="Useful.", consent="anonymous")
    testimonial = feedback.submit(booking, answers, now=clock()).testimonial
    assert (testimonial.role, testimonial.organisation, testimonial.live) == ("", "", False)
    assert "anonymously" in testimonial.consent_wording


def test_the_partners_reflection_is_private(client, offer, partner, policy, clock, django_user_model):
    with_email(partner, django_user_model, "thinker@example.org")
    booking = completed_chat(offer, partner, policy, clock)
    client.force_login(partner.user)
    secret = "REFLECTION-7731: I talked too much in the first ten minutes."
    url = reverse("workspace:reflection", args=[booking.public_id])
    assert client.post(url, {"note": secret}).status_code == 302
    assert PartnerReflection.objects.get(booking=booking).note == secret
    assert secret in client.get(reverse("workspace:booking", args=[booking.public_id])).content.decode()
    client.logout()
    clock.advance(hours=25)
    run_worker()
    assert all(secret not in m.body for m in mail.outbox)
    path = reverse("bookings:feedback", args=[feedback.make_token(booking)])
    assert secret not in client.get(path).content.decode()


def test_a_reflection_waits_for_the_chat_and_belongs_to_its_partner(offer, partner, django_user_model):
    upcoming = BookingFactory(partner=partner, offer=offer, start=CHAT)
    with pytest.raises(InvalidTransition):
        feedback.save_reflection(partner, upcoming.public_id, "Too soon", now=NOW)
    other = BookingFactory(offer=offer, start=CHAT, status="completed")
    with pytest.raises(InvalidInput):
        feedback.save_reflection(partner, other.public_id, "Not mine", now=NOW)


def test_a_quote_from_feedback_goes_through_moderation_to_the_public_page(
    client, offer, partner, policy, clock, rungs, django_user_model
):
    """The walk through Wagtail's workflow: an editor submits the draft to "Moderators approval",
    a moderator approves it, the quote is live; withdrawing consent takes it down (docs/impact.md)."""
    page = public_page()
    booking = completed_chat(offer, partner, policy, clock)
    path = reverse("bookings:feedback", args=[feedback.make_token(booking)])
    mail.outbox.clear()
    answers = {"usefulness": "4", "ladder_rung": str(rungs[0].pk), "quote": QUOTE, "consent": "anonymous"}
    assert client.post(path, answers).status_code == 200
    draft = Feedback.objects.get(booking=booking).testimonial
    assert not draft.live and draft.workflow_in_progress is False, "a booker's request starts no workflow"
    assert not mail.outbox, "no moderator is emailed from a booker's request"

    # An editor submits the draft to the moderators, as the admin's "Submit to Moderators approval".
    editor = ensure_editor("pw")
    sign_in_verified(client, editor)
    edit_url = reverse("wagtailsnippets_home_testimonial:edit", args=[draft.pk])
    form = {
        "quote": QUOTE,
        "name": "",
        "role": "",
        "organisation": "",
        "consent_given_on": draft.consent_given_on.isoformat(),
        "action-submit": "action-submit",
    }
    response = client.post(edit_url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.workflow_in_progress and not draft.live
    task_state = draft.current_workflow_state.current_task_state
    client.logout()

    # A moderator (in the Moderators group, nothing else) approves it from the admin.
    moderator = django_user_model.objects.create_user("moderator", "moderator@example.org", "pw")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    sign_in_verified(client, moderator)
    assert client.get(edit_url).status_code == 200
    approve_url = reverse(
        "wagtailsnippets_home_testimonial:workflow_action", args=[draft.pk, "approve", task_state.pk]
    )
    response = client.post(approve_url, {"comment": ""})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.live and not draft.workflow_in_progress
    client.logout()
    assert QUOTE in client.get(page.url).content.decode()

    # The person withdraws consent from the feedback link: unpublished at once.
    response = client.post(reverse("bookings:feedback_withdraw", args=[path.split("/")[-2]]))
    assert response.status_code == 200
    draft.refresh_from_db()
    assert not draft.live
    assert QUOTE not in client.get(page.url).content.decode()
