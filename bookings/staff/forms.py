"""Forms for the staff actions and for booking on someone's behalf. They only parse and check;
the staff services decide (docs/conventions.md 13)."""

from django import forms

from bookings.calendars.ical import is_plain_email
from bookings.models import Booking, Format, Offer, Partner
from bookings.partner_services import DECLINE_REASONS
from bookings.services import BookerDetails
from bookings.staff_services import CANCEL_REASON_MAX
from bookings.zones import DEFAULT_TIME_ZONE, parse_iso_utc


def _max(field: str) -> int:
    return Booking._meta.get_field(field).max_length


class StartField(forms.CharField):
    """A free time offered by the slot engine, posted as its UTC ISO string."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        start = parse_iso_utc(value)
        if start is None:
            raise forms.ValidationError("Choose one of the free times shown")
        return start


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Message to the booker",
        help_text="Shown in the booker's cancellation email, not to the partner. Plain words; no notes.",
        max_length=CANCEL_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write a short message telling the booker why"},
    )


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason the booker sees",
        choices=list(DECLINE_REASONS.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a reason"},
    )


class MoveForm(forms.Form):
    """`offered(start)` gives the starts the slot engine offers on that start's day (the view
    asks bookings.slots), so a hand-made time off the offered grid (09:31) is refused here, kindly,
    with the form kept, before any service is called."""

    start = StartField(label="New time", error_messages={"required": "Choose a new time"})

    NOT_OFFERED = (
        "That time is no longer available, or is not one of the free times we offer. "
        "Choose one of the times below."
    )

    def __init__(self, *args, offered, **kwargs):
        super().__init__(*args, **kwargs)
        self.offered = offered

    def clean_start(self):
        start = self.cleaned_data["start"]
        if start is not None and start not in self.offered(start):
            raise forms.ValidationError(self.NOT_OFFERED)
        return start


class ReassignForm(forms.Form):
    partner = forms.ModelChoiceField(
        label="Partner who is free then",
        queryset=Partner.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose a partner", "invalid_choice": "Choose one of the partners shown"},
    )

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(pk__in=[p.pk for p in partners])


class ResendForm(forms.Form):
    to = forms.ChoiceField(
        label="Send it again to",
        choices=[("booker", "The booker"), ("partner", "The partner")],
        widget=forms.RadioSelect,
        initial="booker",
    )


class OnBehalfChoiceForm(forms.Form):
    """Step 1: which chat, with whom. GET form, so the time list can follow."""

    offer = forms.ModelChoiceField(
        label="Kind of chat", queryset=Offer.objects.filter(active=True).order_by("title"), empty_label=None
    )
    partner = forms.ModelChoiceField(
        label="Partner",
        queryset=Partner.objects.filter(active=True).order_by("display_name"),
        required=False,
        empty_label="Whoever is free",
    )


class OnBehalfForm(forms.Form):
    """Step 2: the time and the booker's details, checked the way the public form checks them."""

    start = StartField(label="Time", error_messages={"required": "Choose a time"})
    name = forms.CharField(
        label="Booker's full name",
        max_length=_max("booker_name"),
        error_messages={"required": "Enter a name"},
    )
    email = forms.EmailField(
        label="Booker's email address",
        max_length=254,
        help_text="They receive the normal emails and their own link to change or cancel.",
        error_messages={
            "required": "Enter an email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )
    organisation = forms.CharField(
        label="Organisation (optional)", required=False, max_length=_max("organisation")
    )
    role = forms.CharField(label="Role (optional)", required=False, max_length=_max("role"))
    project_description = forms.CharField(
        label="About their project (optional)",
        required=False,
        max_length=_max("project_description"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    format = forms.ChoiceField(label="How they will meet", widget=forms.RadioSelect)
    access_needs = forms.CharField(
        label="Access needs (optional)",
        required=False,
        max_length=_max("access_needs"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, offer: Offer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["format"].choices = [(f, Format(f).label) for f in offer.formats]

    def clean_email(self):
        email = self.cleaned_data["email"]
        if not is_plain_email(email):
            raise forms.ValidationError("Enter an email address in the correct format, like name@example.org")
        return email

    def booker(self) -> BookerDetails:
        data = self.cleaned_data
        return BookerDetails(
            name=data["name"],
            email=data["email"],
            organisation=data["organisation"],
            role=data["role"],
            project_description=data["project_description"],
            format=data["format"],
            access_needs=data["access_needs"],
            time_zone=DEFAULT_TIME_ZONE,
        )
