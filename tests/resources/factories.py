import factory
import wagtail_factories
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from resources.models import ResourceIndexPage, ResourceKind, ResourcePage


class DocumentFactory(factory.django.DjangoModelFactory):
    title = factory.Sequence(lambda n: f"Handout {n}")
    file = factory.LazyAttribute(lambda o: ContentFile(b"A short handout.\n", name=f"{o.title}.txt"))

    class Meta:
        model = get_document_model()

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # As an editor's upload does: size and hash are recorded when the file is saved.
        document = model_class(*args, **kwargs)
        document._set_document_file_metadata()
        document.save()
        return document


class ResourceIndexPageFactory(wagtail_factories.PageFactory):
    title = "Resources"
    intro = "<p>Things we have found useful.</p>"

    class Meta:
        model = ResourceIndexPage


class ResourcePageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Resource {n}")
    kind = ResourceKind.ORGANISATION
    summary = factory.LazyAttribute(lambda o: f"A useful place to start, called {o.title}.")
    link_url = factory.Sequence(lambda n: f"https://example.org/resource-{n}/")
    document = None

    class Meta:
        model = ResourcePage
        skip_postgeneration_save = True

    class Params:
        as_document = factory.Trait(
            kind=ResourceKind.DOCUMENT, link_url="", document=factory.SubFactory(DocumentFactory)
        )
        as_video = factory.Trait(kind=ResourceKind.VIDEO)

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if extracted:
            self.tags.add(*extracted)
            if create:
                self.save()
