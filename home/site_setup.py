"""What every install needs in its page tree, demo or not: the tree root, the Editors group's
rights, one HomePage in place of Wagtail's "Welcome to your new Wagtail site!" page, and the
default Site at the address in SITE_URL. `bootstrap_site` (a first production run,
docs/deploy.md) and `load_demo_content` both use these.

Every function finds what is there and makes only what is missing, so running it twice changes
nothing; it never overwrites an editor's pages.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from wagtail.contrib.settings.registry import registry as settings_registry
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Collection, GroupPagePermission, Locale, Page, Site
from wagtail.snippets.models import get_snippet_models

from .models import HomePage

EDITORS_GROUP = "Editors"
HOME_SLUG = "home"


def ensure_tree_root() -> Page:
    """Wagtail's page tree root, root collection and default locale, which its migrations create;
    a flushed database (as browser tests leave it) has none of them, and pages and documents
    need all three."""
    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root", live=True))
    return root


def ensure_editors_group() -> Group:
    """Editors: the Wagtail admin, pages (add, change, publish from the root), every snippet and
    site setting. Wagtail's migrations make the group with page rights; this adds the rest."""
    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    models = [*get_snippet_models(), *settings_registry]
    content_types = ContentType.objects.get_for_models(*models).values()
    wanted = Permission.objects.filter(content_type__in=content_types).exclude(codename__startswith="lock_")
    wanted = [
        *wanted,
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
    ]
    missing = [p for p in wanted if p not in set(group.permissions.all())]
    if missing:
        group.permissions.add(*missing)
    root = ensure_tree_root()
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.get_or_create(
            group=group, page=root, permission=Permission.objects.get(codename=codename)
        )
    return group


def ensure_home_page(**fields) -> HomePage:
    """The site's one HomePage (made from `fields` if there is none), replacing Wagtail's
    placeholder "Welcome" page on a fresh install."""
    home = HomePage.objects.first()
    if home is not None:
        return home
    root = ensure_tree_root()
    site = Site.objects.filter(is_default_site=True).first()
    placeholders = [
        page
        for page in root.get_children().filter(content_type=ContentType.objects.get_for_model(Page))
        if page.get_children_count() == 0
    ]
    if site is not None and site.root_page_id in {p.pk for p in placeholders}:
        # Deleting a site's root page deletes the site (and its settings); park it first.
        site.root_page = root
        site.save()
    # Only the untouched placeholder (a plain Page with no children) goes, never real content.
    for placeholder in placeholders:
        placeholder.delete()
    home = HomePage(slug=HOME_SLUG, **fields)
    root.add_child(instance=home)
    home.save_revision().publish()
    return home


def site_address(site_url: str) -> tuple[str, int]:
    """(hostname, port) of an address such as https://www.example.org or http://127.0.0.1:8000."""
    parts = urlsplit(site_url)
    if not parts.hostname:
        raise ValueError(f"SITE_URL has no host name: {site_url!r}")
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def ensure_default_site(home: Page, site_url: str) -> Site:
    """The default Site: rooted at `home`, at the host and port of `site_url`, named after
    WAGTAIL_SITE_NAME unless an editor named it. Saved only when something differs."""
    hostname, port = site_address(site_url)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site(is_default_site=True)
    wanted = {"hostname": hostname, "port": port, "root_page_id": home.pk}
    if not site.site_name:
        wanted["site_name"] = settings.WAGTAIL_SITE_NAME
    if site.pk is None or any(getattr(site, name) != value for name, value in wanted.items()):
        for name, value in wanted.items():
            setattr(site, name, value)
        site.save()
    return site
