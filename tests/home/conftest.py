import pytest
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from wagtail.models import Page, Site

from .factories import HomePageFactory


@pytest.fixture
def home_page(db):
    """A HomePage as the default site's root, in place of Wagtail's placeholder page."""
    root = Page.get_first_root_node()
    placeholders = list(root.get_children())
    home = HomePageFactory(parent=root, slug="site-home")
    site = Site.objects.get(is_default_site=True)
    site.root_page = home
    site.save()
    for placeholder in placeholders:
        placeholder.delete()
    return home


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    # Search indexing and cache clearing wait for the commit, which a test transaction never does.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo_content", verbosity=0)


@pytest.fixture
def search_indexing(settings, django_capture_on_commit_callbacks):
    """Index pages as they are saved. The search index is updated by a background task, and the
    worker that runs tasks is not part of a test; the immediate backend runs them in-process.
    Use the returned context manager around the saves."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def wsgi_requests():
    """Real WSGI calls inside a test transaction: as Django's test client does, keep
    close_old_connections from closing the test's connection at the end of a request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
