"""The booker's details form (step 4 of the booking journey).

Error messages follow the GOV.UK style: say what to do, not what went wrong. Templates render each
field by hand (templates/bookings/journey/fields/) so hints, errors, aria-describedby and
autocomplete are exactly right; the form only validates.
"""

import phonenumbers
from django import forms
from phonenumber_field.formfields import PhoneNumberField

from bookings.calendars.ical import is_plain_email
from bookings.ladder_question import ladder_rung_field, offer_rungs
from bookings.models import Booking, Format, Offer, PartOfDay
from bookings.services import BookerDetails
from home.models import LadderRung

# Stored in the session draft as plain JSON-able values, in this order.
ANSWER_FIELDS = (
    "name",
    "email",
    "organisation",
    "role",
    "project_description",
    "ladder_rung",
    "format",
    "phone",
    "access_needs",
    "privacy",
)


def _max_length(field_name: str) -> int:
    return Booking._meta.get_field(field_name).max_length


class DetailsForm(forms.Form):
    name = forms.CharField(
        label="Full name",
        max_length=_max_length("booker_name"),
        error_messages={
            "required": "Enter your full name",
            "max_length": "Name must be 120 characters or fewer",
        },
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )
    organisation = forms.CharField(
        label="Organisation (optional)",
        required=False,
        max_length=_max_length("organisation"),
        error_messages={"max_length": "Organisation must be 200 characters or fewer"},
    )
    role = forms.CharField(
        label="Your role",
        max_length=_max_length("role"),
        error_messages={"required": "Enter your role", "max_length": "Role must be 200 characters or fewer"},
    )
    project_description = forms.CharField(
        label="Tell us about your project",
        max_length=_max_length("project_description"),
        widget=forms.Textarea,
        error_messages={
            "required": "Tell us about your project",
            "max_length": "Project description must be 2,000 characters or fewer",
        },
    )
    ladder_rung = ladder_rung_field(
        label="Where does your project sit on the co-production ladder?",
        missing="Select where your project sits on the ladder",
    )
    format = forms.ChoiceField(
        label="How would you like to meet?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select how you would like to meet",
            "invalid_choice": "Select how you would like to meet",
        },
    )
    phone = PhoneNumberField(
        label="Phone number (if you choose a phone call)",
        required=False,
        region="GB",
        error_messages={"invalid": "Enter a phone number, like 01632 960 001 or 07700 900 982"},
    )
    access_needs = forms.CharField(
        label="Access needs (optional)",
        required=False,
        max_length=_max_length("access_needs"),
        widget=forms.Textarea,
        error_messages={"max_length": "Access needs must be 1,000 characters or fewer"},
    )
    privacy = forms.BooleanField(
        label="I have read the privacy notice and agree to you using my details to arrange this chat",
        error_messages={"required": "Confirm that you have read the privacy notice"},
    )

    def __init__(self, *args, offer: Offer, rungs: list[LadderRung], **kwargs):
        super().__init__(*args, **kwargs)
        offer_rungs(self, rungs)
        formats = offer.formats
        self.fields["format"].choices = [(f, Format(f).label) for f in formats]
        self.offers_phone = Format.PHONE in formats
        if not self.offers_phone:
            del self.fields["phone"]

    def clean(self):
        cleaned = super().clean()
        wants_phone = self.offers_phone and cleaned.get("format") == Format.PHONE
        if wants_phone and "phone" not in self.errors and not cleaned.get("phone"):
            self.add_error("phone", "Enter the phone number the partner should call you on")
        return cleaned

    def clean_email(self):
        # Django accepts a few rare forms (such as a domain written as [127.0.0.1]) that a
        # calendar invite cannot carry; refuse them here rather than fail to send the invite.
        email = self.cleaned_data["email"]
        if not is_plain_email(email):
            raise forms.ValidationError("Enter an email address in the correct format, like name@example.org")
        return email

    def error_anchor(self, name: str) -> str:
        """The id the error summary links to: the first radio of a group, else the field."""
        if name == "ladder_rung" and self.rungs:
            return "id_ladder_rung_0"
        if name == "format":
            return "id_format_0"
        return f"id_{name}"

    def error_list(self) -> list[tuple[str, str]]:
        """(anchor, message) for the error summary, in the order the fields appear."""
        return [
            (self.error_anchor(name), self.errors[name][0]) for name in self.fields if name in self.errors
        ]

    def answers(self) -> dict:
        """Cleaned data as JSON-able values for the session draft. The phone number is kept (as
        E.164) only for a phone chat: nobody else needs it."""
        answers = {name: self.cleaned_data.get(name) for name in ANSWER_FIELDS}
        phone = answers.pop("phone", None)
        answers["phone"] = phone.as_e164 if phone and answers["format"] == Format.PHONE else ""
        return answers


def readable_phone(e164: str | None) -> str:
    """A stored E.164 number as people write it (UK numbers in the national form)."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    fmt = phonenumbers.PhoneNumberFormat
    return phonenumbers.format_number(
        number, fmt.NATIONAL if number.country_code == 44 else fmt.INTERNATIONAL
    )


def initial_from_answers(answers: dict) -> dict:
    return {name: answers.get(name) for name in ANSWER_FIELDS if answers.get(name) not in (None, "")}


def initial_from_post(data) -> dict:
    """What the booker typed, as initial values for showing the form again unjudged."""
    return {name: data.get(name) for name in ANSWER_FIELDS if data.get(name) not in (None, "")}


def booker_details(answers: dict, time_zone: str) -> BookerDetails:
    return BookerDetails(
        name=answers["name"],
        email=answers["email"],
        organisation=answers.get("organisation", ""),
        role=answers.get("role", ""),
        project_description=answers.get("project_description", ""),
        ladder_rung_id=answers.get("ladder_rung"),
        format=answers["format"],
        access_needs=answers.get("access_needs", ""),
        time_zone=time_zone,
        phone=answers.get("phone") or "",
    )


WEEKDAY_CHOICES = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class WaitlistForm(forms.Form):
    """Joining the waiting list for an offer: when suits, and where to tell them. No free text."""

    weekdays = forms.TypedMultipleChoiceField(
        label="Which days suit you?",
        choices=WEEKDAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one day of the week"},
    )
    parts_of_day = forms.MultipleChoiceField(
        label="Which times of day suit you?",
        choices=PartOfDay.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one time of day"},
    )
    name = DetailsForm.base_fields["name"]
    email = DetailsForm.base_fields["email"]

    def clean_email(self):
        email = self.cleaned_data["email"]
        if not is_plain_email(email):
            raise forms.ValidationError("Enter an email address in the correct format, like name@example.org")
        return email

    def error_list(self) -> list[tuple[str, str]]:
        anchors = {"weekdays": "id_weekdays_0", "parts_of_day": "id_parts_of_day_0"}
        return [
            (anchors.get(name, f"id_{name}"), self.errors[name][0])
            for name in self.fields
            if name in self.errors
        ]
