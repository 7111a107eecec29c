"""Staff views of the outboxes: what was sent, what is waiting, and what failed (docs/staff.md).

One factory, `read_only_outbox`, makes each view: the booking email outbox, the account emails
(account_outbox.py) and the CalDAV pushes (docs/caldav.md, "Staff"). They are read-only, like
bookings: a row changes only through its delivery (bookings/outbox/). Failed rows show the error
class and status code, never a server's text, an address or a password (see docs/operations.md
for how to retry them). Registered from wagtail_hooks.py by importing this module.
"""

from django.urls import reverse
from wagtail import hooks
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from bookings.models import CalDAVPush, EmailNotification
from bookings.staff.access import ReadOnlyPermissionPolicy
from bookings.staff.listing import reference
from bookings.staff.wording import email_label


def read_only_outbox(
    model,
    *,
    menu_label: str,
    menu_order: int,
    list_display,
    list_filter,
    inspect_view_fields,
    icon="mail",
    select_related=("booking",),
) -> type[ModelViewSet]:
    """A Wagtail viewset that lists and inspects `model`'s rows and changes none of them. Its
    permission policy lets people with the model's "view" permission look, and nobody add, edit
    or delete (the edit view exists because ModelViewSet needs form fields, and refuses). The
    listing loads `select_related` with its rows, so a page costs the same few queries."""
    register_permission_policy(model, ReadOnlyPermissionPolicy(model), exact_class=True)
    index_view = type(
        f"{model.__name__}OutboxIndexView",
        (IndexView,),
        {"__module__": __name__, "queryset": model._default_manager.select_related(*select_related)},
    )
    return type(
        f"{model.__name__}OutboxViewSet",
        (ModelViewSet,),
        {
            "__module__": __name__,
            "model": model,
            "index_view_class": index_view,
            "icon": icon,
            "menu_label": menu_label,
            "menu_order": menu_order,
            "add_to_admin_menu": True,
            "inspect_view_enabled": True,
            "copy_view_enabled": False,
            "list_display": list_display,
            "list_filter": list_filter,
            "inspect_view_fields": inspect_view_fields,
            "form_fields": ["status"],  # required by ModelViewSet; the edit view is never reachable
        },
    )


EmailNotificationViewSet = read_only_outbox(
    EmailNotification,
    menu_label="Email outbox",
    menu_order=251,
    list_display=[
        Column("kind", label="Email", accessor=lambda email: email_label(email.kind), sort_key="kind"),
        "recipient",
        "status",
        "attempts",
        "last_error",
        "send_after",
        "sent_at",
        "booking",
    ],
    list_filter=["status", "kind", "recipient"],
    inspect_view_fields=[
        "booking",
        "kind",
        "recipient",
        "sequence",
        "status",
        "attempts",
        "last_error",
        "send_after",
        "claimed_at",
        "sent_at",
        "created_at",
        "updated_at",
    ],
)


def _chat_link(push: CalDAVPush) -> str:
    return reverse("booking:inspect", args=[push.booking_id])


CalDAVPushViewSet = read_only_outbox(
    CalDAVPush,
    menu_label="Calendar pushes",
    menu_order=254,
    icon="calendar",
    # The chat's reference links to its staff page, which checks the booking permission itself.
    list_display=[
        TitleColumn(
            "booking", label="Chat", accessor=lambda push: reference(push.booking), get_url=_chat_link
        ),
        "action",
        "status",
        "attempts",
        "last_error",
        "send_after",
        "updated_at",
    ],
    list_filter=["status", "action"],
    inspect_view_fields=[
        "booking",
        "version",
        "action",
        "status",
        "attempts",
        "last_error",
        "send_after",
        "created_at",
        "updated_at",
    ],
)


@hooks.register("register_admin_viewset")
def register_email_outbox():
    return EmailNotificationViewSet("email_outbox")


@hooks.register("register_admin_viewset")
def register_caldav_pushes():
    return CalDAVPushViewSet("caldav_pushes")
