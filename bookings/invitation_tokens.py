"""The one-time set-password link in a partner's invitation (docs/staff-operations.md).

Django's password-reset token generator with its own salt (a reset token is no invitation) and
its own, longer, timeout. The token hashes the user's password and last sign-in, so setting a
password kills it (single use), as does a revoke or resend (both replace the unusable password).
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "bookings.invitation_tokens.InvitationTokenGenerator"

    def check_token(self, user, token):
        """The base class's check, but against INVITATION_TIMEOUT_SECONDS instead of
        PASSWORD_RESET_TIMEOUT (Django reads that setting inside its own check_token)."""
        if not (user and token):
            return False
        try:
            ts = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        signed = any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )
        age = self._num_seconds(self._now()) - ts
        return signed and 0 <= age <= settings.INVITATION_TIMEOUT_SECONDS

    def _now(self):
        # The clock tests move (tests/support/outbox.py); naive, as the base class expects.
        return timezone.localtime(timezone.now()).replace(tzinfo=None)


invitation_tokens = InvitationTokenGenerator()
