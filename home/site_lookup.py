"""Which Wagtail Site answers a page request, read from the shared cache.

Wagtail finds the Site for every request it serves with one query (`get_site_for_hostname`,
about 1.5 CPU ms here, most of it the ORM building it) and keeps the answer only on the request.
This looks it up once per host and port in the cache and hands it to Wagtail on the request
(`request._wagtail_site`, where `Site.find_for_request` keeps its own answer), so a page costs
a cache read instead (docs/performance.md, "Finding the site").

Stored under the page cache's generation token (home/page_cache.py), which changes whenever a
Site is saved or deleted and whenever a page is published, unpublished, moved or deleted (the
site's root page comes with it): an answer from before such a change is never used. Only for
hosts that pass ALLOWED_HOSTS, so a stray Host header cannot fill the cache; anything else is
left to Wagtail's own lookup.
"""

import hashlib

from django.core.exceptions import DisallowedHost
from django.http.request import split_domain_port
from wagtail.models import Site

from . import page_cache

SITE_KEY = "site-lookup:v1:"
SITE_SECONDS = 3600  # the token keeps answers current; this only lets unused hosts go


def find_site(request):
    """What `Site.find_for_request(request)` answers, from the cache when it can be."""
    if hasattr(request, "_wagtail_site"):
        return request._wagtail_site
    try:
        request.get_host()
    except DisallowedHost:
        return Site.find_for_request(request)
    hostname = split_domain_port(request._get_raw_host())[0]
    port = request.get_port()
    digest = hashlib.md5(f"{hostname}:{port}".encode(), usedforsecurity=False).hexdigest()
    cache, key = page_cache._cache(), f"{SITE_KEY}{digest}"
    generation, stored = page_cache.read_current(cache, key)
    if stored is None:
        site = Site._find_for_request(request)
        if site is not None:
            # In its own class, as routing starts from it: one query fewer on every page. Its
            # live fields change only on publish, unpublish or a move, which renew the token.
            site.root_page = site.root_page.specific
        stored = (site,)  # a tuple, so "no site" is an answer too
        cache.set(key, (generation, stored), SITE_SECONDS)
    request._wagtail_site = stored[0]
    return stored[0]


class SiteLookupMiddleware:
    """Find the Site from the cache just before Wagtail serves a page (its `process_view`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.resolver_match is not None and request.resolver_match.url_name == "wagtail_serve":
            find_site(request)
        return None
