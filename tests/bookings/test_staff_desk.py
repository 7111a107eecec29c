"""The staff desk (docs/staff.md): staff services with real emails through the outbox and a
real SMTP server, the listing's search, filters and exports, and the access records."""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.urls import reverse

from bookings import staff_services
from bookings.errors import SlotUnavailable
from bookings.models import (
    AccessAction,
    AccessRecord,
    Booking,
    BookingEvent,
    BookingStatus,
    EmailNotification,
)
from bookings.outbox import tasks
from bookings.services import BookerDetails
from tests.support.outbox import body, install_clock, with_email
from tests.support.second_factor import sign_in_verified
from tests.support.smtp_server import SmtpServer, use_smtp

from .factories import AvailabilityRuleFactory, BookingFactory, PartnerFactory
from .staff_people import coordinator, plain_editor

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch, NOW)


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        use_smtp(settings, server.port)
        yield server


@pytest.fixture
def staff_user():
    return coordinator()


@pytest.fixture
def staff_client(client, staff_user, clock):
    sign_in_verified(client, staff_user)
    return client


@pytest.fixture
def emailable(partner, django_user_model):
    return with_email(partner, django_user_model, "first@example.org")


@pytest.fixture
def second(offer, django_user_model):
    other = PartnerFactory(display_name="Second Partner", email="second@example.org")
    AvailabilityRuleFactory(partner=other)
    offer.partners.add(other)
    return other


def booker(**extra):
    return BookerDetails(name="Carol Smith", email="carol@example.org", organisation="North Trust", **extra)


def book(offer, partner, policy, start, actor=None):
    return staff_services.place_on_behalf(
        offer=offer, start=start, partner=partner, booker=booker(), now=NOW, actor=actor, policy=policy
    )


def deliver_all():
    for pk in EmailNotification.objects.filter(status="queued", send_after__lte=NOW).values_list(
        "pk", flat=True
    ):
        tasks.deliver_notification.call(pk)


def received(smtp, since=0):
    return [r.message for r in smtp.received[since:]]


def text(message) -> str:
    return body(message, "plain")


def test_on_behalf_booking_sends_the_normal_emails_and_is_recorded_as_staff(
    offer, emailable, policy, smtp, clock, staff_user
):
    booking = book(offer, emailable, policy, datetime(2026, 6, 2, 10, tzinfo=LONDON), staff_user)
    deliver_all()
    to = sorted(m["To"] for m in received(smtp))
    assert to == ["carol@example.org", "first@example.org"]
    booker_mail = next(m for m in received(smtp) if m["To"] == "carol@example.org")
    assert "/bookings/manage/" in text(booker_mail)  # the normal manage link
    event = booking.events.get()
    assert (event.action, event.actor_label, event.actor, event.details["on_behalf"]) == (
        "placed",
        "staff",
        staff_user,
        True,
    )


def test_staff_cancel_tells_the_booker_the_reason_and_not_the_partner(
    offer, emailable, policy, smtp, clock, staff_user
):
    booking = book(offer, emailable, policy, datetime(2026, 6, 2, 10, tzinfo=LONDON))
    deliver_all()
    seen = len(smtp.received)
    staff_services.cancel(
        booking, reason="Our partner is unwell; we are so sorry.", now=NOW, actor=staff_user
    )
    deliver_all()
    mails = {m["To"]: m for m in received(smtp, seen)}
    assert "Our partner is unwell" in text(mails["carol@example.org"])
    assert "Our partner is unwell" not in text(mails["first@example.org"])
    event = booking.events.get(action="cancelled")
    assert event.actor_label == "staff" and event.details["with_reason"] is True
    assert "unwell" not in str(event.details)  # history outlives the purge: no free text in it


def test_staff_cancel_inside_the_change_window_is_allowed_and_recorded(offer, emailable, policy, staff_user):
    booking = book(offer, emailable, policy, datetime(2026, 6, 2, 10, tzinfo=LONDON))
    soon = booking.start - timedelta(hours=2)
    staff_services.cancel(booking, reason="Sorry", now=soon, actor=staff_user)
    assert booking.events.get(action="cancelled").details["inside_change_window"] is True


def test_reassign_moves_the_chat_and_tells_all_three_people(
    offer, emailable, second, policy, smtp, clock, staff_user
):
    booking = book(offer, emailable, policy, datetime(2026, 6, 2, 10, tzinfo=LONDON))
    deliver_all()
    seen = len(smtp.received)
    staff_services.reassign(booking, second, now=NOW, actor=staff_user, policy=policy)
    booking.refresh_from_db()
    assert booking.partner == second and booking.sequence == 1
    deliver_all()
    mails = {m["To"]: m for m in received(smtp, seen)}
    assert set(mails) == {"carol@example.org", "first@example.org", "second@example.org"}
    assert "no longer need to keep this time" in text(mails["first@example.org"])
    assert "METHOD:CANCEL" in mails["first@example.org"].as_string()
    assert "Second Partner" in text(mails["carol@example.org"])
    event = booking.events.get(action="reassigned")
    assert event.details["from_partner"] == emailable.pk and event.details["to_partner"] == second.pk


def test_reassign_to_a_partner_busy_then_is_refused(offer, emailable, second, policy, staff_user):
    start = datetime(2026, 6, 2, 10, tzinfo=LONDON)
    booking = book(offer, emailable, policy, start)
    book(offer, second, policy, start)
    assert staff_services.partners_free_for(booking, now=NOW, policy=policy) == []
    with pytest.raises(SlotUnavailable):
        staff_services.reassign(booking, second, now=NOW, actor=staff_user, policy=policy)
    booking.refresh_from_db()
    assert booking.partner == emailable


def test_resend_makes_a_new_row_and_message_id(offer, emailable, policy, smtp, clock, staff_user):
    booking = book(offer, emailable, policy, datetime(2026, 6, 2, 10, tzinfo=LONDON))
    deliver_all()
    staff_services.resend_invite(booking, to="booker", now=NOW, actor=staff_user)
    deliver_all()
    to_booker = [m for m in received(smtp) if m["To"] == "carol@example.org"]
    assert len(to_booker) == 2
    assert to_booker[0]["Message-ID"] != to_booker[1]["Message-ID"]
    assert "SEQUENCE:1" in to_booker[1].as_string()
    assert booking.events.filter(action="resent", actor_label="staff").count() == 1


def test_listing_search_finds_surname_email_organisation_and_reference(staff_client, offer, partner):
    carol = BookingFactory(offer=offer, partner=partner, booker_name="Carol Smith", organisation="North")
    BookingFactory(offer=offer, partner=partner, booker_name="Dev Patel", organisation="South",
                   start=datetime(2026, 6, 3, 10, tzinfo=UTC))  # fmt: skip
    url = reverse("booking:index")

    def names(query):
        html = staff_client.get(url, {"q": query}).content.decode()
        return {name for name in ("Carol Smith", "Dev Patel") if name in html}

    assert names("smith") == {"Carol Smith"}
    assert names("South") == {"Dev Patel"}
    assert names(str(carol.public_id)[:8].upper()) == {"Carol Smith"}
    assert names(carol.booker_email) == {"Carol Smith"}


def test_listing_filters_by_status_and_attention(staff_client, offer, partner):
    BookingFactory(offer=offer, partner=partner, booker_name="Pending Person", status=BookingStatus.PENDING)
    BookingFactory(
        offer=offer,
        partner=partner,
        booker_name="Cancelled Person",
        status=BookingStatus.CANCELLED,
        start=datetime(2026, 6, 3, 10, tzinfo=UTC),
    )
    html = staff_client.get(reverse("booking:index"), {"status": "cancelled"}).content.decode()
    assert "Cancelled Person" in html and "Pending Person" not in html
    html = staff_client.get(reverse("booking:index"), {"needs_attention": "true"}).content.decode()
    assert "Pending Person" in html and "Cancelled Person" not in html


def _two_bookings(offer, partner):
    BookingFactory(offer=offer, partner=partner, booker_name="Carol Smith", booker_email="carol@example.org")
    BookingFactory(offer=offer, partner=partner, booker_name="Dev Patel",
                   start=datetime(2026, 6, 3, 10, tzinfo=UTC))  # fmt: skip


def test_csv_export_has_the_header_and_only_the_filtered_rows(staff_client, staff_user, offer, partner):
    _two_bookings(offer, partner)
    response = staff_client.get(reverse("booking:index"), {"q": "Smith", "export": "csv"})
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Reference", "Starts (UK time)", "Ends (UK time)", "Status"]
    assert len(rows) == 2 and "carol@example.org" in rows[1] and rows[1][1] == "2026-06-01 11:00"
    record = AccessRecord.objects.get(action=AccessAction.EXPORTED)
    assert (record.user, record.rows, record.query) == (staff_user, 1, "q=Smith")


def test_xlsx_export_opens_with_openpyxl(staff_client, offer, partner):
    _two_bookings(offer, partner)
    response = staff_client.get(reverse("booking:index"), {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][7:9] == ("Booker", "Booker email")
    assert {r[7] for r in rows[1:]} == {"Carol Smith", "Dev Patel"}


def test_listing_and_booking_page_write_access_records(staff_client, staff_user, offer, partner):
    booking = BookingFactory(offer=offer, partner=partner, booker_name="Carol Smith")
    staff_client.get(reverse("booking:index"), {"status": "confirmed"})
    listed = AccessRecord.objects.get(action=AccessAction.LISTED)
    assert (listed.user, listed.rows, listed.query) == (staff_user, 1, "status=confirmed")
    html = staff_client.get(reverse("booking:inspect", args=[booking.pk])).content.decode()
    viewed = AccessRecord.objects.get(action=AccessAction.VIEWED_BOOKING)
    assert viewed.booking == booking and viewed.user == staff_user
    assert "Who looked" in html and "coordinator" in html


def test_move_through_the_page_uses_the_slot_engine(staff_client, offer, emailable, policy, staff_user):
    booking = book(offer, emailable, policy, datetime(2026, 6, 2, 10, tzinfo=LONDON))
    page = staff_client.get(reverse("booking:act", args=[booking.pk, "move"]), {"from": "2026-06-02"})
    new = "2026-06-02T12:30:00Z"
    assert new in page.content.decode(), page.content.decode()[-4000:]
    response = staff_client.post(reverse("booking:act", args=[booking.pk, "move"]), {"start": new})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.start == datetime(2026, 6, 2, 12, 30, tzinfo=UTC)
    assert booking.events.get(action="rescheduled").actor_label == "staff"


def test_a_time_just_taken_is_explained_not_a_500(staff_client, offer, emailable, policy):
    booking = book(offer, emailable, policy, datetime(2026, 6, 2, 10, tzinfo=LONDON))
    book(offer, emailable, policy, datetime(2026, 6, 2, 14, tzinfo=LONDON))
    response = staff_client.post(
        reverse("booking:act", args=[booking.pk, "move"]), {"start": "2026-06-02T13:00:00Z"}, follow=True
    )
    assert response.status_code == 200
    assert "no longer available" in response.content.decode()
    booking.refresh_from_db()
    assert booking.start == datetime(2026, 6, 2, 9, tzinfo=UTC)


def test_book_on_behalf_through_the_page(staff_client, offer, emailable):
    url = reverse("booking:add") + f"?offer={offer.pk}&partner={emailable.pk}"
    response = staff_client.post(
        url,
        {
            "start": "2026-06-02T09:00:00Z",
            "name": "Erin Caller",
            "email": "erin@example.org",
            "format": "video",
            "key": "a" * 32,
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    booking = Booking.objects.get(booker_name="Erin Caller")
    assert BookingEvent.objects.get(booking=booking).actor_label == "staff"
    assert EmailNotification.objects.filter(booking=booking, recipient="booker").exists()


MENU = ["Bookings", "Partners", "Offers", "Availability", "Time off", "Email outbox", "Access records"]


def test_a_staff_member_who_is_not_a_superuser_sees_and_uses_the_staff_menus(staff_client, staff_user):
    assert not staff_user.is_superuser
    html = staff_client.get(reverse("wagtailadmin_home")).content.decode()
    assert all(label in html for label in MENU), [label for label in MENU if label not in html]
    for name in ("partner:add", "offer:add", "availabilityrule:add", "timeoff:add", "booking:add"):
        assert staff_client.get(reverse(name)).status_code == 200, name


def test_an_editor_without_the_staff_group_sees_no_bookings(client, clock):
    sign_in_verified(client, plain_editor())
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Email outbox" not in html and "Access records" not in html
    assert client.get(reverse("booking:index")).status_code in (302, 403)
