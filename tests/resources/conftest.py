import pytest
from wagtail.models import Site

from .factories import ResourceIndexPageFactory


@pytest.fixture
def site_root(db):
    """Whatever page the default site serves at "/" (Wagtail's welcome page or the home page).

    The index is added with add_child, which does not apply parent_page_types, so these tests do
    not depend on how the home app's page types are built.
    """
    return Site.objects.get(is_default_site=True).root_page


@pytest.fixture
def index_page(site_root):
    return ResourceIndexPageFactory(parent=site_root, slug="resources")
