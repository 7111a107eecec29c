"""Who may use the partner workspace, and how its views find "my" objects.

Access is decided here once, not per view: the signed-in user must be linked to an active
Partner (``user.bookings_partner``). Every object a workspace URL names (a chat, an availability
range, a time-off entry) is then fetched *through that partner*, so another partner's id is
simply not found (404) and nothing about it is revealed. The services repeat the same check.

Anonymous visitors are sent to the login page (302) rather than shown a 404, because partners
follow links to their workspace from emails; the redirect carries no data, only the path.
Signed-in people without a partner (Wagtail editors, for example) get a 403 page.
Every workspace response is marked ``no-store``: they hold bookers' names and notes.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from bookings.models import Partner


def partner_for(user) -> Partner | None:
    """The active partner a user is linked to, or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    try:
        partner = user.bookings_partner
    except ObjectDoesNotExist:
        return None
    return partner if partner.active else None


def partner_required(view):
    """Let in only signed-in users linked to an active partner; set ``request.partner`` and show
    times in the partner's own zone while the view renders."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            response = redirect_to_login(request.get_full_path())
        else:
            partner = partner_for(request.user)
            if partner is None:
                response = render(request, "bookings/workspace/not_a_partner.html", status=403)
            else:
                request.partner = partner
                with timezone.override(partner.time_zone):
                    response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    wrapped.workspace_view = True
    return wrapped


def owned(model, *, url_kwarg: str, field: str = "pk", select_related=()):
    """Fetch ``model`` by ``url_kwarg`` *within request.partner* and pass it to the view in place
    of the id. Another partner's id and an unknown id give the same 404."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            value = kwargs.pop(url_kwarg)
            queryset = model.objects.filter(partner=request.partner).select_related(*select_related)
            try:
                obj = queryset.get(**{field: value})
            except model.DoesNotExist:
                raise Http404() from None
            return view(request, obj, *args, **kwargs)

        return wrapped

    return decorator


def post_only(view):
    """Like ``require_POST`` but meant to sit *inside* ``partner_required``/``owned``: strangers get
    their 302/403/404 first, and only the owner learns that GET is not allowed here."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(request, *args, **kwargs)

    wrapped.post_only = True
    return wrapped
