"""Password reset, limited per address as well as per person (docs/security.md).

Per person (and per email address) the account-email outbox already holds back extra emails
silently, so the page never reveals whether an account exists (bookings/accounts.py). This adds
a limit per client address on the requests themselves, counted whatever address they name, so
one connection cannot send reset emails to a list of people. Being counted for every request,
its message says nothing about any account; it is generous because a trust shares one address.
"""

from django.conf import settings
from django.contrib.auth import views as auth_views

from bookings.accounts import OutboxPasswordResetForm
from bookings.clients import client_key, count_attempt

WINDOW_SECONDS = 3600
LIMITED = (
    "We have had a lot of password reset requests from your connection in the last hour. "
    "Please wait an hour and try again. If you need help sooner, email us."
)


def over_address_limit(request) -> bool:
    """Count this request against its address; True once the hour's allowance is used."""
    key = f"password-reset-address:{client_key(request)}"
    count = count_attempt(key, timeout=WINDOW_SECONDS)
    return count > settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR


class LimitedPasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm

    def form_valid(self, form):
        if over_address_limit(self.request):
            form.add_error(None, LIMITED)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
