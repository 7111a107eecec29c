"""Privacy requests are recorded too: who, when, how many records, never the address in clear.

The address is stored as a keyed hash (HMAC-SHA256 with SECRET_KEY), so staff can later check
"was this address exported or erased?" by hashing it again, but a reader of the table cannot
recover it (docs/privacy.md).
"""

from datetime import datetime

from django.utils.crypto import salted_hmac

from bookings.models import AccessAction, AccessRecord

from .records import normalise

SALT = "bookings.privacy.subject"


def subject_hash(address: str) -> str:
    return salted_hmac(SALT, normalise(address), algorithm="sha256").hexdigest()


def subject_query(address: str) -> str:
    return f"subject {subject_hash(address)}"


def record_request(action: AccessAction, address: str, *, user, now: datetime, rows: int, shown: str):
    return AccessRecord.objects.create(
        user=user,
        user_label=user.get_username() if user is not None else "",
        action=action,
        at=now,
        query=subject_query(address),
        rows=rows,
        shown=shown[:300],
    )
