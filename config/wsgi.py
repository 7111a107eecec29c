import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

application = get_wsgi_application()

# Stored anonymous pages are answered in front of Django's handler (docs/performance.md, "Page
# cache"); imported after the application, which sets Django up.
from home.page_cache import serve_hits  # noqa: E402

application = serve_hits(application)
