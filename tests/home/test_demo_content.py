from django.apps import apps
from django.core.management import call_command
from wagtail.models import Page, Revision, Site

from bookings.journey.pages import BookingPage
from home.models import ContentPage, HomePage, LadderRung, Testimonial
from tests.support.second_factor import mark_verified, password_sign_in


def model_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_load_demo_content_twice_changes_nothing(db):
    call_command("load_demo_content", verbosity=0)
    first = model_counts()
    call_command("load_demo_content", verbosity=0)
    assert model_counts() == first
    assert first["home.HomePage"] == 1
    assert first["home.LadderRung"] == 7
    # Four published, and two drafts from demo feedback waiting for an editor (docs/impact.md).
    assert first["home.Testimonial"] == 6
    assert Testimonial.objects.filter(live=True).count() == 4
    # Nine past chats over four months (bookings/demo/impact.py): six answered the feedback, and
    # each chat, completed or missed, has its payment line.
    assert first["bookings.Feedback"] == 6
    assert first["bookings.PaymentLine"] == 9
    assert first["bookings.PartnerReflection"] == 1


def test_demo_builds_the_site(demo, client):
    home = HomePage.objects.get()
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk
    assert not Page.objects.filter(title__startswith="Welcome to your new Wagtail site").exists()
    page = ContentPage.objects.get(slug="for-professionals")
    assert page.live and page.get_parent().pk == home.pk
    assert Revision.objects.filter(object_id=str(page.pk)).exists()
    assert [r.name for r in LadderRung.objects.all()] == [
        "Coercion",
        "Educating",
        "Informing",
        "Consultation",
        "Engagement",
        "Co-design",
        "Co-production",
    ]
    # Fictional people, attributed by role only, all with consent recorded.
    assert all(t.consent_given_on and not t.name for t in Testimonial.objects.all())
    drafts = Testimonial.objects.filter(live=False)
    assert drafts.count() == 2 and all(t.consent_wording for t in drafts)
    block_types = [block.block_type for block in page.body]
    for expected in ("ladder", "video", "resource_list", "testimonials"):
        assert expected in block_types


def test_demo_prints_the_editor_login(db, capsys, settings):
    settings.DEMO_EDITOR_PASSWORD = "a-test-password-123"
    call_command("load_demo_content")
    out = capsys.readouterr().out
    assert "http://testserver/admin/" in out
    assert "editor" in out
    assert "a-test-password-123" in out


def test_demo_editor_can_edit_but_is_not_a_superuser(demo, client):
    from django.contrib.auth import get_user_model

    editor = get_user_model().objects.get(username="editor")
    assert not editor.is_superuser
    assert editor.groups.filter(name="Editors").exists()
    assert password_sign_in(client, "editor", "coproduction-demo-2026")
    mark_verified(client, editor)
    page = ContentPage.objects.get(slug="for-professionals")
    for url in (
        "/admin/",
        f"/admin/pages/{page.pk}/edit/",
        "/admin/snippets/home/testimonial/",
        "/admin/snippets/home/ladderrung/",
        f"/admin/settings/home/sitechrome/{Site.objects.get(is_default_site=True).pk}/",
    ):
        assert client.get(url).status_code == 200, url
    assert editor.has_perm("home.change_testimonial")


def test_demo_content_is_searchable(demo, client):
    results = Page.objects.live().search("co-production")
    assert "For professionals" in [p.title for p in results]


def test_the_privacy_page_is_linked_from_the_booking_form_and_the_footer(demo, client):
    page = ContentPage.objects.get(slug="privacy-notice")
    assert page.title == "How we use your information" and page.live
    assert BookingPage.objects.get().privacy_notice_page_id == page.pk
    home = client.get("/").content.decode()
    assert f'href="{page.url}"' in home and "How we use your information" in home
    assert "12 months after your chat" in client.get(page.url).content.decode()


def test_for_professionals_links_to_booking_inside_its_content(demo, client):
    booking_page = BookingPage.objects.get()
    html = client.get("/for-professionals/").content.decode()
    main = html[html.index('<main id="main"') : html.index("</main>")]
    assert f'<a class="button" href="{booking_page.url}">Book a chat with a thinking partner</a>' in main
    # After "How we can help", before the ladder; and only once, however often the demo loads.
    assert main.index("How we can help") < main.index("Book a chat with a thinking partner")
    assert main.index("Book a chat with a thinking partner") < main.index("What is co-production?")
    call_command("load_demo_content", verbosity=0)
    assert (
        client.get("/for-professionals/").content.decode().count("Book a chat with a thinking partner") == 1
    )
