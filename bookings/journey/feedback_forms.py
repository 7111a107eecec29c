"""The booker's feedback form after a chat (docs/impact.md). Only parses and checks input."""

from django import forms

from bookings.feedback import Answers, consent_wording
from bookings.ladder_question import ladder_rung_field, offer_rungs
from bookings.models import QuoteConsent
from home.models import LadderRung

USEFULNESS = [
    ("5", "5: very useful"),
    ("4", "4: useful"),
    ("3", "3: somewhat useful"),
    ("2", "2: not very useful"),
    ("1", "1: not useful at all"),
]


class FeedbackForm(forms.Form):
    usefulness = forms.TypedChoiceField(
        label="How useful was the chat?",
        choices=USEFULNESS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select how useful the chat was",
            "invalid_choice": "Select how useful the chat was",
        },
    )
    ladder_rung = ladder_rung_field(
        label="Where does your project sit on the ladder now?",
        missing="Select where your project sits on the ladder now",
    )
    next_steps = forms.CharField(
        label="What will you do next? (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea,
        error_messages={"max_length": "What you will do next must be 1,000 characters or fewer"},
    )
    quote = forms.CharField(
        label="A few words we may publish (optional)",
        required=False,
        max_length=1500,
        widget=forms.Textarea,
        error_messages={"max_length": "Your words must be 1,500 characters or fewer"},
    )
    consent = forms.ChoiceField(
        label="May we publish your words?",
        choices=QuoteConsent.choices,
        initial=QuoteConsent.NONE,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select whether we may publish your words",
            "invalid_choice": "Select whether we may publish your words",
        },
    )

    def __init__(self, *args, rungs: list[LadderRung], **kwargs):
        super().__init__(*args, **kwargs)
        offer_rungs(self, rungs)
        self.consent_choices = [
            (value, label, consent_wording(value)) for value, label in QuoteConsent.choices
        ]

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("consent") in (QuoteConsent.NAMED, QuoteConsent.ANONYMOUS)
            and not (cleaned.get("quote") or "").strip()
        ):
            self.add_error("quote", "Write the words we may publish, or choose “No, not at all”")
        return cleaned

    def error_list(self) -> list[tuple[str, str]]:
        anchors = {
            "usefulness": "id_usefulness_0",
            "ladder_rung": "id_ladder_rung_0",
            "consent": "id_consent_0",
        }
        return [(anchors.get(n, f"id_{n}"), self.errors[n][0]) for n in self.fields if n in self.errors]

    def answers(self) -> Answers:
        data = self.cleaned_data
        return Answers(
            usefulness=data["usefulness"],
            ladder_rung_id=data.get("ladder_rung"),
            next_steps=data.get("next_steps") or "",
            quote=data.get("quote") or "",
            consent=data["consent"],
        )
