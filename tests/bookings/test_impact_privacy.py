"""Feedback, quotes, reflections and payment lines in the privacy machinery (docs/privacy.md,
docs/impact.md): found by subject access, erased on request (every table is scanned, Wagtail's
revisions and history included), and purged with the booking while the scores stay."""

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bookings import feedback, services
from bookings.models import Feedback, PartnerReflection, PaymentLine, PaymentRule, PrivacySettings
from bookings.privacy import erasure, export, purge
from home.models import Testimonial
from tests.home.factories import LadderRungFactory
from tests.support.outbox import with_email
from tests.support.privacy_scan import tables_holding

from .factories import BookingFactory

pytestmark = pytest.mark.django_db

EMAIL = "ines.quill@northshire.example"
QUOTE = "QUOTE-4417 the chat changed how our team plans discharge"
NEXT = "NEXT-4417 invite partners to the steering group"
REFLECTION = "REFLECTION-4417 I interrupted twice"
CHAT = datetime(2026, 6, 2, 10, tzinfo=UTC)


@pytest.fixture
def given(partner, offer, django_user_model):
    with_email(partner, django_user_model, "partner@example.org")
    PaymentRule.objects.create(offer=offer, effective_from=date(2026, 1, 1), amount=Decimal("25.00"))
    booking = BookingFactory(
        partner=partner,
        offer=offer,
        start=CHAT,
        booker_email=EMAIL,
        role="Ward manager",
        organisation="Trust",
    )
    services.mark_completed(booking, now=CHAT + timedelta(hours=1))
    rung = LadderRungFactory(name="Co-design")
    answers = feedback.Answers(
        usefulness=4, ladder_rung_id=rung.pk, next_steps=NEXT, quote=QUOTE, consent="named"
    )
    made = feedback.submit(booking, answers, now=CHAT + timedelta(days=1))
    made.testimonial.save_revision().publish()
    feedback.save_reflection(partner, booking.public_id, REFLECTION, now=CHAT + timedelta(hours=2))
    return booking, made, rung


def test_subject_access_finds_the_feedback_and_the_quote(given, partner):
    found = export.collect(EMAIL)
    assert [row["next_steps"] for row in found.sections["feedback"]] == [NEXT]
    assert [row["quote"] for row in found.sections["testimonials"]] == [QUOTE]
    assert found.sections["partner_reflections"] == []  # the partner's words, not the booker's
    theirs = export.collect("partner@example.org")
    assert [row["note"] for row in theirs.sections["partner_reflections"]] == [REFLECTION]
    assert [row["amount"] for row in theirs.sections["partner_payments"]] == ["25.00"]
    archive = zipfile.ZipFile(io.BytesIO(export.build_zip(EMAIL, found, now=CHAT)))
    assert QUOTE in json.loads(archive.read("data.json"))["testimonials"][0]["quote"]


def test_erasure_removes_the_free_text_and_the_published_quote_everywhere(given, django_user_model):
    booking, made, rung = given
    assert tables_holding(QUOTE) >= {"bookings_feedback", "home_testimonial", "wagtailcore_revision"}
    staff = django_user_model.objects.create_user("cora")
    erasure.erase_person(EMAIL, user=staff, now=CHAT + timedelta(days=3))
    assert tables_holding(QUOTE, NEXT, REFLECTION, EMAIL) == set()
    kept = Feedback.objects.get(booking=booking)
    assert (kept.usefulness, kept.ladder_rung, kept.testimonial) == (4, rung, None)
    assert kept.free_text_removed_at is not None
    assert not Testimonial.objects.exists()
    assert PartnerReflection.objects.get(booking=booking).note == ""
    assert PaymentLine.objects.get(booking=booking).amount == Decimal("25.00")


def test_the_purge_keeps_usefulness_and_rung_and_removes_the_free_text(given):
    booking, made, rung = given
    months = PrivacySettings.load().booking_retention_months
    purge.purge(now=CHAT + timedelta(days=31 * (months + 1)))
    kept = Feedback.objects.get(booking=booking)
    assert (kept.usefulness, kept.ladder_rung_id, kept.next_steps, kept.quote) == (4, rung.pk, "", "")
    assert tables_holding(QUOTE, NEXT, REFLECTION) == set()
