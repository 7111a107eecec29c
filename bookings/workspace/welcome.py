"""The page an invited partner opens from their invitation: choose a password, land in the
workspace (docs/staff-operations.md, "Invitations"). Django's password-reset confirm view with
the invitation's own token generator; a used, expired, revoked or tampered link shows the same
"this link does not work" page. Mounted in config/urls.py, outside ``partner_required``: the
person has no password yet."""

from django.contrib.auth.views import PasswordResetConfirmView
from django.urls import reverse_lazy

from bookings.invitation_tokens import invitation_tokens


class WelcomeView(PasswordResetConfirmView):
    token_generator = invitation_tokens
    template_name = "registration/welcome_set_password.html"
    post_reset_login = True
    # Several backends are configured (django-axes first, docs/security.md); sign in with the
    # password one, which is what just checked the new password.
    post_reset_login_backend = "config.sign_in.spread.SlowedModelBackend"
    success_url = reverse_lazy("workspace:home")
    reset_url_token = "set-password"  # noqa: S105  (a URL word, not a secret)

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        # A revoked invitation's account is inactive; an account with a password needs none.
        if user is None or not user.is_active or user.has_usable_password():
            return None
        return user
