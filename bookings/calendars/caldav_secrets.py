"""Partners' CalDAV app passwords, encrypted at rest with Fernet (the `cryptography` package) and
the key in CALDAV_ENCRYPTION_KEY (docs/caldav.md). The plain password exists only in memory, for
the request that uses it; it is never logged, shown again, or put in a task's arguments."""

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    return Fernet(settings.CALDAV_ENCRYPTION_KEY.encode())


def encrypt_password(password: str) -> str:
    return _fernet().encrypt(password.encode("utf-8")).decode("ascii")


def decrypt_password(token: str) -> str:
    """The password, or ValueError if the key changed (the partner must connect again)."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ValueError("the CalDAV password cannot be decrypted with the current key") from None
