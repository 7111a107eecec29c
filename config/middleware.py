from django.conf import settings


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy that Django 5.2 does not set itself.

    The Wagtail admin uses inline scripts, so the strict policy applies to the public site only.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(("/admin/", "/django-admin/")):
            return response
        policy = settings.CONTENT_SECURITY_POLICY
        if getattr(request, "is_dummy", False):
            # Wagtail previews run a dummy request for the public URL through the middleware and
            # show the result in a same-origin frame in the admin; 'none' would blank the panel.
            policy = policy.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
        response.headers.setdefault("Content-Security-Policy", policy)
        return response
