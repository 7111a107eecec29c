"""The co-production ladder question, as every booker-facing form asks it.

The booking's details form asks where a project sits on the ladder; the feedback form after the
chat asks again ("now"), so the two answers can be compared (docs/impact.md). Both ask it the same
way: radios whose choices are the rungs the view has already loaded (validation costs no query),
and no question at all while the site has no ladder content. Templates render it with
templates/bookings/journey/fields/ladder.html.
"""

from django import forms

from home.models import LadderRung


def ladder_rung_field(*, label: str, missing: str) -> forms.TypedChoiceField:
    """The ladder radios; `missing` says what to do when no rung (or an unknown one) is chosen."""
    return forms.TypedChoiceField(
        label=label,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        error_messages={"required": missing, "invalid_choice": missing},
    )


def offer_rungs(form: forms.Form, rungs: list[LadderRung]) -> None:
    """Give the form's `ladder_rung` field its choices from `rungs`, and keep them on `form.rungs`."""
    form.rungs = rungs
    field = form.fields["ladder_rung"]
    field.choices = [(str(r.pk), r.name) for r in rungs]
    # No ladder content yet: the question cannot be answered, so it is not asked.
    field.required = bool(rungs)
