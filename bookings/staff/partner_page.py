"""A partner's page in the admin (docs/staff-operations.md, "A partner's page").

Two things a coordinator needs there that Wagtail's generic edit form does not give:

- links to everything else about the partner (their chats, free times, time off, invitation and
  the guided deactivation), so no screen has to be reached by typing its address;
- a "User" choice limited to accounts that can be a partner's: not staff or editors (anyone with
  admin access), and not already linked to another partner, the current one kept (PartnerForm);
- a guard on the "Active" box: unticking it while the partner still has chats to come would
  leave those chats with someone who can no longer reach the workspace, the silent drop the
  guided deactivation exists to prevent. The save is refused with a message pointing there.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import Panel
from wagtail.admin.views.generic.models import EditView

from bookings import partner_accounts, staff_services
from bookings.models import Partner


class StillHasChats(Exception):
    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


def partner_links(partner: Partner, user) -> list[tuple[str, str]]:
    """(label, address) of every other screen about this partner the user may open."""
    pk = partner.pk
    links = []
    if user.has_perm("bookings.view_booking"):
        links.append(("Their chats", f"{reverse('booking:index')}?partner={pk}"))
    if user.has_perm("bookings.view_availabilityrule"):
        links.append(("Their free times", f"{reverse('availabilityrule:index')}?partner={pk}"))
    if user.has_perm("bookings.view_timeoff"):
        links.append(("Their time off", f"{reverse('timeoff:index')}?partner={pk}"))
    if user.has_perm("bookings.change_partner"):
        links.append(("Their invitation and account", reverse("staff_ops:invitation", args=[pk])))
        if partner.active:
            links.append(("Deactivate, step by step", reverse("staff_ops:deactivate", args=[pk])))
    return links


def accounts_for(partner: Partner | None):
    """Accounts that may be linked to `partner`: nobody with admin access (staff, editors,
    superusers), and nobody linked to another partner; the account it has now stays on the list."""
    users = get_user_model().objects
    admin = Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin")
    free = (
        users.filter(is_staff=False, is_superuser=False, bookings_partner__isnull=True)
        .exclude(groups__permissions__in=admin)
        .exclude(user_permissions__in=admin)
    )
    current = partner.user_id if partner is not None else None
    return users.filter(Q(pk__in=free.values("pk")) | Q(pk=current)).order_by("username")


class PartnerForm(WagtailAdminModelForm):
    """The partner form, with the "User" choice limited to accounts_for(the partner)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            field = self.fields["user"]
            field.queryset = accounts_for(self.instance if self.instance.pk else None)
            field.help_text = (
                "The partner's own sign-in account. Staff and editors' accounts, and accounts "
                "already linked to another partner, are not offered."
            )


class PartnerLinksPanel(Panel):
    """Plain links at the top of a saved partner's page (no JavaScript needed)."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "bookings/staff/_partner_links.html"

        class Media:
            css = {"all": ["bookings/css/staff.css"]}

        def is_shown(self):
            return self.instance is not None and self.instance.pk is not None

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["links"] = partner_links(self.instance, self.request.user)
            return context


class PartnerEditView(EditView):
    """Saving a partner sends the updated invites its joining details need and tells the people
    waiting if times may have opened (staff_services.admin_saved, as for an offer), and refuses to
    deactivate while chats remain: the check runs under the partner's row lock, inside Wagtail's
    save transaction, as partner_accounts.deactivate_partner's does."""

    def save_instance(self):
        now = timezone.now()
        before = Partner.objects.select_for_update().get(pk=self.object.pk)
        if before.active and not self.object.active:
            count = partner_accounts.future_chats(before, now).count()
            if count:
                raise StillHasChats(count)
        instance = super().save_instance()
        staff_services.admin_saved(before, instance, now=now, actor=self.request.user)
        return instance

    def form_valid(self, form):
        try:
            return super().form_valid(form)  # its transaction rolls back on StillHasChats
        except StillHasChats as exc:
            self.object.active = True  # as saved: the links above offer the guided deactivation
            chats = f"{exc.count} chat{'s' if exc.count != 1 else ''}"
            form.add_error(
                "active",
                f"{self.object} still has {chats} to come. Use “Deactivate, step by step” above "
                "to give each to another partner or cancel it; then they are deactivated.",
            )
            # Shown with the form's errors (Wagtail's validation message), nothing saved.
            self.produced_error_message = f"Not saved: {self.object} still has {chats} to come."
            return self.form_invalid(form)
