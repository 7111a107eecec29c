"""Shared, rarely edited content every page shows, kept in Django's cache.

The navigation, footer and ladder appear on many pages but change only when an editor saves.
Reading them from the cache keeps a page within its query budget (docs/performance.md: at most 12,
whatever the content). Invariant: every write that could change what they show (saving the
setting or a rung, publishing, unpublishing, moving or deleting a page, editing a site) clears
the cached copy once the transaction commits, so a reader never re-caches stale rows.
"""

from django.core.cache import cache
from django.db import transaction

from .site_settings import SiteChrome
from .snippets import LadderRung

CHROME_KEY = "home:site-chrome:v1"
LADDER_KEY = "home:ladder:v1"
# A safety net only: invalidation is by signal, this bounds the damage if a write path is missed.
TIMEOUT = 60 * 60


def _link(link, site):
    page = link.link_page
    href = page.get_url(current_site=site) if page else link.link_url
    return {"label": link.label, "href": href, "page_id": link.link_page_id, "is_external": not page}


def _build_chrome(site) -> dict:
    setting = SiteChrome.objects.filter(site=site).first()
    if setting is None:
        return {"navigation": [], "footer": [], "footer_text": "", "contact_email": ""}
    return {
        "navigation": [_link(link, site) for link in setting.navigation],
        "footer": [_link(link, site) for link in setting.footer],
        "footer_text": setting.footer_text,
        "contact_email": setting.contact_email,
    }


def site_chrome(site) -> dict:
    """Navigation, footer links, footer text and contact email for `site`, as plain data."""
    if site is None:
        return _build_chrome(None)
    by_site = cache.get(CHROME_KEY) or {}
    if site.pk not in by_site:
        by_site[site.pk] = _build_chrome(site)
        cache.set(CHROME_KEY, by_site, TIMEOUT)
    return by_site[site.pk]


def ladder_rungs() -> list[LadderRung]:
    """Every ladder rung, bottom rung first."""
    rungs = cache.get(LADDER_KEY)
    if rungs is None:
        rungs = list(LadderRung.objects.all())
        cache.set(LADDER_KEY, rungs, TIMEOUT)
    return rungs


def clear_chrome(**kwargs):
    transaction.on_commit(lambda: cache.delete(CHROME_KEY))


def clear_ladder(**kwargs):
    transaction.on_commit(lambda: cache.delete(LADDER_KEY))
