"""django-recurrence's widget, adapted to run inside the Wagtail admin."""

from django import forms
from recurrence.forms import RecurrenceWidget


class WagtailRecurrenceWidget(RecurrenceWidget):
    """Same widget, but reusing Wagtail's jQuery.

    The stock media loads Django admin's jQuery; Django's media merge puts Wagtail's
    date-time-chooser.js between that jQuery and `jquery.init.js`, so the pickers bind to a
    jQuery without their plugin and the page throws (seen in a real browser, see
    tests/bookings/test_admin_browser.py). A two-line shim exposes Wagtail's jQuery as
    `django.jQuery` instead.
    """

    @property
    def media(self):
        stock = super().media
        js = [path for path in stock._js if "admin/js/" not in path]
        return forms.Media(js=["bookings/js/recurrence-jquery.js", *js], css=stock._css)
