"""Forms for the partner workspace: parse and check input, nothing more (the services decide).

Times are typed in the partner's own zone and leave these forms as aware datetimes, so the rest
of the code only ever sees UTC-comparable values (docs/conventions.md: UTC inside, local at the edges).
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms

from bookings.bank_holidays import NATIONS
from bookings.models import validate_meeting_link
from bookings.partner_services import DECLINE_REASONS, MAX_CHATS_LIMIT, MAX_REST_MINUTES
from bookings.weekly_ranges import WEEKDAYS

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(
        label="What should we tell them?",
        choices=list(DECLINE_REASONS.items()),
        widget=forms.RadioSelect,
        help_text="We send this with a kind note and offer them other times or partners.",
        error_messages={"required": "Choose what we should tell them."},
    )


class WeeklyRangeForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        label="Days",
        choices=list(enumerate(WEEKDAYS)),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick every day this applies to. Each day gets its own range you can change later.",
        error_messages={"required": "Choose at least one day."},
    )
    start_time = forms.TimeField(
        label="From",
        widget=TIME_INPUT,
        help_text="For example, 09:30",
        error_messages={"required": "Enter a start time.", "invalid": "Enter a start time such as 09:30."},
    )
    end_time = forms.TimeField(
        label="Until",
        widget=TIME_INPUT,
        help_text="For example, 12:00",
        error_messages={"required": "Enter an end time.", "invalid": "Enter an end time such as 12:00."},
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The end time must be later than the start time.")
        return cleaned


class TimeOffForm(forms.Form):
    start_date = forms.DateField(
        label="First day",
        widget=DATE_INPUT,
        error_messages={"required": "Enter the first day.", "invalid": "Enter a date such as 2026-07-14."},
    )
    start_time = forms.TimeField(
        label="From (optional)",
        required=False,
        widget=TIME_INPUT,
        help_text="Leave empty to start at the beginning of the day.",
        error_messages={"invalid": "Enter a time such as 09:30, or leave it empty."},
    )
    end_date = forms.DateField(
        label="Last day",
        widget=DATE_INPUT,
        error_messages={"required": "Enter the last day.", "invalid": "Enter a date such as 2026-07-21."},
    )
    end_time = forms.TimeField(
        label="Until (optional)",
        required=False,
        widget=TIME_INPUT,
        help_text="Leave empty to include the whole last day.",
        error_messages={"invalid": "Enter a time such as 17:00, or leave it empty."},
    )
    reason = forms.CharField(
        label="Note to yourself (optional)",
        required=False,
        max_length=200,
        help_text="Only you and the team can see this.",
    )

    def __init__(self, *args, time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(time_zone)

    def clean(self):
        cleaned = super().clean()
        start_date, end_date = cleaned.get("start_date"), cleaned.get("end_date")
        if not (start_date and end_date) or self.errors:
            return cleaned
        if not all(2000 <= day.year <= 2100 for day in (start_date, end_date)):
            self.add_error("start_date", "Please give dates between the years 2000 and 2100.")
            return cleaned
        start = datetime.combine(start_date, cleaned.get("start_time") or time(0), self.zone)
        if cleaned.get("end_time"):
            end = datetime.combine(end_date, cleaned["end_time"], self.zone)
        else:
            # The whole last day: up to midnight at its end, in the partner's zone (23 or 25
            # hours long on clock-change days, which is why this is not "+ 24 hours").
            end = datetime.combine(end_date + timedelta(days=1), time(0), self.zone)
        if end <= start:
            self.add_error("end_date", "The end of your time off must be later than its start.")
        cleaned["start"], cleaned["end"] = start, end
        return cleaned


class LimitsForm(forms.Form):
    max_chats_per_day = forms.IntegerField(
        label="Most chats in one day",
        required=False,
        min_value=1,
        max_value=MAX_CHATS_LIMIT,
        help_text="Leave empty for no daily limit.",
    )
    max_chats_per_week = forms.IntegerField(
        label="Most chats in one week",
        required=False,
        min_value=1,
        max_value=MAX_CHATS_LIMIT,
        help_text="Leave empty for no weekly limit. Weeks start on Monday.",
    )
    rest_minutes = forms.IntegerField(
        label="Rest after each chat, in minutes",
        min_value=0,
        max_value=MAX_REST_MINUTES,
        help_text="No chat will start sooner than this after another one ends.",
        error_messages={"required": "Enter how many minutes of rest you need (0 for none)."},
    )

    def clean(self):
        cleaned = super().clean()
        day, week = cleaned.get("max_chats_per_day"), cleaned.get("max_chats_per_week")
        if day is not None and week is not None and day > week:
            self.add_error("max_chats_per_day", "Chats in a day cannot be more than chats in a week.")
        return cleaned


class ExternalCalendarForm(forms.Form):
    url = forms.URLField(
        label="Private address of your calendar (ICS)",
        max_length=2000,
        assume_scheme="https",
        help_text="It usually starts with https:// and ends with .ics. Keep it secret, like a password.",
        error_messages={"required": "Paste the address of your calendar.", "invalid": "Enter a web address."},
    )


class BankHolidaysForm(forms.Form):
    nation = forms.ChoiceField(
        label="Where do you live and work?",
        choices=NATIONS,
        widget=forms.RadioSelect,
        help_text="Bank holidays differ in Scotland and Northern Ireland.",
        error_messages={"required": "Choose England, Wales, Scotland or Northern Ireland."},
    )
    works_bank_holidays = forms.BooleanField(
        label="I work on bank holidays",
        required=False,
        help_text="Leave this unticked and nobody can book you on a bank holiday.",
    )


class MeetingLinkForm(forms.Form):
    meeting_link = forms.CharField(
        label="Your video meeting link",
        required=False,
        max_length=500,
        validators=[validate_meeting_link],
        strip=True,
        widget=forms.URLInput(attrs={"autocomplete": "url", "spellcheck": "false"}),
        help_text="A Teams, Zoom, Google Meet or Jitsi link, starting with https://. We send it to the "
        "person booking for every video chat. Leave empty to remove it.",
        error_messages={"max_length": "The link must be 500 characters or fewer."},
    )


class AcceptForm(forms.Form):
    meeting_link = forms.CharField(
        label="Video link for this chat",
        max_length=500,
        validators=[validate_meeting_link],
        strip=True,
        widget=forms.URLInput(attrs={"autocomplete": "url", "spellcheck": "false"}),
        help_text="Starting with https://. We send it to them with the confirmation and calendar invite.",
        error_messages={
            "required": "Give the video link for this chat, so we can send it to them.",
            "max_length": "The link must be 500 characters or fewer.",
        },
    )


class FeedJoiningForm(forms.Form):
    shown = forms.BooleanField(
        label="Show the video link or address in my calendar link",
        required=False,
        help_text="Anyone who has your calendar link can read what is in it. Phone numbers are never in it.",
    )


class CalDAVConnectForm(forms.Form):
    """The partner's CalDAV account (docs/caldav.md, "Connecting"). The password widget never
    renders its value, so a form shown again after an error asks for it again."""

    server_url = forms.URLField(
        label="Calendar server address",
        max_length=2000,
        assume_scheme="https",
        help_text="Your calendar service gives this, for example https://caldav.fastmail.com/ or "
        "https://caldav.icloud.com/.",
        error_messages={
            "required": "Enter the address of your calendar server.",
            "invalid": "Enter a web address, starting with https://.",
        },
    )
    username = forms.CharField(
        label="User name",
        max_length=200,
        help_text="Usually your email address with that service.",
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter the user name of your calendar account."},
    )
    password = forms.CharField(
        label="App password",
        max_length=500,
        strip=False,
        help_text="Make an app password for this site in your account's security settings. We "
        "keep it encrypted and never show it again.",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter an app password for your calendar account."},
    )


class CalDAVChooseForm(forms.Form):
    """One of the calendars found in the partner's account: (address, name) pairs."""

    calendar = forms.ChoiceField(
        label="Which calendar should your chats go into?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a calendar.",
            "invalid_choice": "Choose one of the calendars listed.",
        },
    )

    def __init__(self, *args, calendars: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["calendar"].choices = calendars
