from django import template
from django.conf import settings
from wagtail.models import Site

from home.site_cache import site_chrome as cached_site_chrome

register = template.Library()


@register.simple_tag(takes_context=True)
def site_chrome(context):
    """Navigation and footer for the current site, from the cache (see home.site_cache)."""
    request = context.get("request")
    site = Site.find_for_request(request) if request is not None else None
    return cached_site_chrome(site)


@register.simple_tag(takes_context=True)
def site_name(context):
    """The current site's name as set under Settings > Sites, else WAGTAIL_SITE_NAME."""
    request = context.get("request")
    site = Site.find_for_request(request) if request is not None else None
    return (site.site_name if site else "") or settings.WAGTAIL_SITE_NAME
