import pytest
from django.core.exceptions import ValidationError
from wagtail.models import Site

from home.models import FooterLink, NavigationLink, SiteChrome

from .factories import ContentPageFactory


@pytest.fixture
def chrome(home_page):
    return SiteChrome.for_site(Site.objects.get(is_default_site=True))


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what waits for the commit (cache clearing), which a test transaction never reaches."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def nav_section(html: str) -> str:
    return html.split('aria-label="Main"')[1].split("</nav>")[0]


def test_navigation_and_footer_come_from_the_setting(chrome, home_page, client):
    about = ContentPageFactory(parent=home_page, title="About", slug="about")
    chrome.navigation_links.add(NavigationLink(label="About us", link_page=about, sort_order=0))
    chrome.navigation_links.add(
        NavigationLink(label="Partner site", link_url="https://example.org/", sort_order=1)
    )
    chrome.footer_links.add(FooterLink(label="Privacy", link_url="https://example.org/privacy", sort_order=0))
    chrome.footer_text = "Run by people with lived experience."
    chrome.contact_email = "hello@example.org"
    chrome.save()

    html = client.get("/about/").content.decode()
    nav = nav_section(html)
    assert nav.index("About us") < nav.index("Partner site")
    assert '<a href="/about/" aria-current="page">About us</a>' in nav
    assert '<a href="https://example.org/">Partner site</a>' in nav
    footer = html.split("<footer")[1]
    assert "Run by people with lived experience." in footer
    assert '<a href="mailto:hello@example.org">hello@example.org</a>' in footer
    assert '<a href="https://example.org/privacy">Privacy</a>' in footer


def test_link_needs_a_page_or_an_address_but_not_both(chrome, home_page):
    with pytest.raises(ValidationError):
        NavigationLink(setting=chrome, label="Nothing").full_clean()
    with pytest.raises(ValidationError):
        NavigationLink(
            setting=chrome, label="Both", link_page=home_page, link_url="https://example.org/"
        ).full_clean()
    NavigationLink(setting=chrome, label="Page", link_page=home_page).full_clean()


def test_editing_the_setting_updates_the_cached_navigation(chrome, home_page, client, commit):
    with commit():
        chrome.navigation_links.add(NavigationLink(label="First label", link_page=home_page))
        chrome.save()
    assert "First label" in nav_section(client.get("/").content.decode())
    with commit():
        link = chrome.navigation_links.get()
        link.label = "Second label"
        link.save()
    assert "Second label" in nav_section(client.get("/").content.decode())


def test_unpublishing_a_page_removes_its_link_at_once(chrome, home_page, client, commit):
    about = ContentPageFactory(parent=home_page, title="About", slug="about")
    chrome.navigation_links.add(NavigationLink(label="About us", link_page=about))
    chrome.save()
    assert "About us" in nav_section(client.get("/").content.decode())
    with commit():
        about.unpublish()
    assert "About us" not in client.get("/").content.decode()


def test_moving_a_page_updates_its_link(chrome, home_page, client, commit):
    about = ContentPageFactory(parent=home_page, title="About", slug="about")
    section = ContentPageFactory(parent=home_page, title="Section", slug="section")
    chrome.navigation_links.add(NavigationLink(label="About us", link_page=about))
    chrome.save()
    assert 'href="/about/"' in nav_section(client.get("/").content.decode())
    with commit():
        about.move(section, pos="last-child")
    assert 'href="/section/about/"' in nav_section(client.get("/").content.decode())
