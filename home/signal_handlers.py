"""Keep home.site_cache and home.page_cache honest: clear a cached copy whenever something it
shows may change."""

from django.db.models.signals import post_delete, post_save
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move
from wagtail.snippets.models import get_snippet_models

from . import page_cache, site_cache
from .site_settings import FooterLink, NavigationLink, SiteChrome
from .snippets import LadderRung


def page_deleted(sender, instance, **kwargs):
    if isinstance(instance, Page):
        site_cache.clear_chrome()


SHOWN_ON_PAGES = (BaseSiteSetting, BaseGenericSetting, Site, NavigationLink, FooterLink, PageViewRestriction)


def shown_content_changed(sender, instance, **kwargs):
    """A snippet (testimonial, ladder rung), a setting (navigation, footer, booking settings), a
    site, or a navigation/footer link changed: any cached page may show it. A page's privacy
    changed: its cached copy must not outlive a new restriction."""
    if sender in get_snippet_models() or issubclass(sender, SHOWN_ON_PAGES):
        page_cache.clear_pages()


def page_gone(sender, instance, **kwargs):
    if isinstance(instance, Page):
        page_cache.clear_pages()


def register():
    # Whole cached pages (home/page_cache.py): any page may link to, list or show any other.
    page_published.connect(page_cache.clear_pages, dispatch_uid="home-pages-published")
    page_unpublished.connect(page_cache.clear_pages, dispatch_uid="home-pages-unpublished")
    post_page_move.connect(page_cache.clear_pages, dispatch_uid="home-pages-moved")
    post_delete.connect(page_gone, dispatch_uid="home-pages-page-deleted")
    post_save.connect(shown_content_changed, dispatch_uid="home-pages-content-saved")
    post_delete.connect(shown_content_changed, dispatch_uid="home-pages-content-deleted")

    # Anything that changes a page's URL or whether it is live can change a navigation link.
    page_published.connect(site_cache.clear_chrome, dispatch_uid="home-chrome-published")
    page_unpublished.connect(site_cache.clear_chrome, dispatch_uid="home-chrome-unpublished")
    post_page_move.connect(site_cache.clear_chrome, dispatch_uid="home-chrome-moved")
    post_delete.connect(page_deleted, dispatch_uid="home-chrome-page-deleted")
    post_save.connect(site_cache.clear_chrome, sender=Site, dispatch_uid="home-chrome-site-saved")
    post_delete.connect(site_cache.clear_chrome, sender=Site, dispatch_uid="home-chrome-site-deleted")
    # The setting saves itself, then each link: clearing on every one leaves the last clear after
    # the last write.
    for model in (SiteChrome, NavigationLink, FooterLink):
        name = model._meta.model_name
        post_save.connect(site_cache.clear_chrome, sender=model, dispatch_uid=f"home-chrome-{name}-saved")
        post_delete.connect(site_cache.clear_chrome, sender=model, dispatch_uid=f"home-chrome-{name}-deleted")
    # Reordering in the admin saves the moved rung last, so post_save covers it too.
    post_save.connect(site_cache.clear_ladder, sender=LadderRung, dispatch_uid="home-ladder-saved")
    post_delete.connect(site_cache.clear_ladder, sender=LadderRung, dispatch_uid="home-ladder-deleted")
