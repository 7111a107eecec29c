import re

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from wagtail.models import Page

# Quotes and control characters are syntax to SQLite's full-text search, not words to find.
NOT_SEARCHABLE = re.compile(r'["\x00-\x1f\x7f]')


@require_GET
def search(request):
    query = " ".join(NOT_SEARCHABLE.sub(" ", request.GET.get("query", "")).split())[:200]
    results = Page.objects.none()
    if query:
        results = Page.objects.live().public().specific().search(query)
    page = Paginator(results, 10).get_page(request.GET.get("page"))
    return render(request, "search/search.html", {"search_query": query, "search_results": page})


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /django-admin/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No context processors or database: the 500 page must render even when they are the fault.
    html = loader.get_template("500.html").render({"site_name": settings.WAGTAIL_SITE_NAME})
    return HttpResponse(html, status=500)
