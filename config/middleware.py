"""Response headers Django does not set itself (docs/security.md, "Headers")."""

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.utils.cache import patch_cache_control

PRIVATE_PREFIXES = ("/admin/", "/django-admin/")


class PreviewAwareCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, letting Wagtail's preview frame the page it renders.

    Wagtail previews run a dummy request for the public URL through the middleware and show the
    result in a same-origin frame in the admin; `frame-ancestors 'none'` would blank the panel.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if getattr(request, "is_dummy", False):
            parts.replace = {**(parts.replace or {}), "frame-ancestors": ["'self'"]}
        return parts


class CacheControlMiddleware:
    """Every response says how it may be cached, unless its view has already said so.

    Personal responses (the admin, a page that read a visitor's session, any response setting a
    cookie, anything other than a plain GET answered 200) are `private, no-store`; the rest of
    the public site is `public, max-age=PUBLIC_CACHE_SECONDS`. Views holding personal data or a
    secret (booking steps, manage links, the workspace, feeds) set their own header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        if self._personal(request, response):
            patch_cache_control(response, private=True, no_store=True)
        else:
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
        return response

    @staticmethod
    def _personal(request, response) -> bool:
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return True
        if request.path_info.startswith(PRIVATE_PREFIXES) or response.cookies:
            return True
        # A page that read an existing session may show who is signed in, a draft or a message.
        # Asking only `accessed` keeps a plain public page from loading the session for this.
        session = getattr(request, "session", None)
        return session is not None and session.accessed and not session.is_empty()
