from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from bookings.workspace import feed as partner_feed_view
from bookings.workspace.welcome import WelcomeView
from config.sign_in.password_reset import LimitedPasswordResetView
from home import views as home_views

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("search/", home_views.search, name="search"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", home_views.robots_txt, name="robots_txt"),
    # Password reset queues its email in the outbox, rate-limited (docs/security.md).
    path("accounts/password_reset/", LimitedPasswordResetView.as_view(), name="password_reset"),
    path("accounts/second-factor/", include("config.sign_in.urls")),
    path("accounts/welcome/<uidb64>/<token>/", WelcomeView.as_view(), name="partner_welcome"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("partners/feed/<str:token>.ics", partner_feed_view.partner_feed, name="partner_feed"),
    path("partners/", include("bookings.workspace.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [
    path("bookings/", include("bookings.journey.urls")),
    path("", include(wagtail_urls)),
]

handler404 = "home.views.page_not_found"
handler500 = "home.views.server_error"
