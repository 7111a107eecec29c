// django-recurrence's widget looks for jQuery at django.jQuery (Django admin's namespace).
// Inside Wagtail we hand it Wagtail's own jQuery instead of loading a second copy, which would
// replace window.jQuery and break Wagtail's date and time pickers on the same form.
window.django = window.django || {};
window.django.jQuery = window.django.jQuery || window.jQuery;
