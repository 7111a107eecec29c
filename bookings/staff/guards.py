"""The permission each staff-operations view needs, checked on every request and before any
object is looked up (Wagtail's viewsets filter only their listings, wagtail issue #10746).
Wagtail's admin wrapper (register_admin_urls) has already sent anonymous visitors and people
without admin access to the sign-in page; everyone else without the permission gets a 403 page
(not Wagtail's redirect to the dashboard, so the answer says plainly what happened)."""

from functools import wraps

from django.shortcuts import render
from django.utils.cache import add_never_cache_headers


def staff_permission(perm: str):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_active or not request.user.has_perm(perm):
                context = {"header_title": "Not for your account", "page_title": "Not for your account"}
                response = render(request, "bookings/staff/forbidden.html", context, status=403)
            else:
                response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response

        wrapped.staff_permission = perm
        return wrapped

    return decorator
