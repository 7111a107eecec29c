"""Testimonials get Wagtail's drafts, revisions, locking and moderation workflow (docs/impact.md).

`is_published` becomes Wagtail's `live` (values kept), and the testimonial type is given the
default "Moderators approval" workflow when the site still has it, so quotes from feedback wait
for an editor. Editors with publish permission can still publish directly.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_published(apps, schema_editor):
    Testimonial = apps.get_model("home", "Testimonial")
    Testimonial.objects.filter(is_published=False).update(live=False)
    Testimonial.objects.filter(is_published=True).update(live=True)


def copy_back(apps, schema_editor):
    Testimonial = apps.get_model("home", "Testimonial")
    Testimonial.objects.update(is_published=models.F("live"))


def assign_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")
    workflow = Workflow.objects.filter(name="Moderators approval", active=True).order_by("pk").first()
    if workflow is None:
        return
    content_type, _ = ContentType.objects.get_or_create(app_label="home", model="testimonial")
    WorkflowContentType.objects.get_or_create(content_type=content_type, defaults={"workflow": workflow})


class Migration(migrations.Migration):

    dependencies = [
        ('home', '0001_initial'),
        ('wagtailcore', '0098_apitoken'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='testimonial',
            name='consent_wording',
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name='testimonial',
            name='expire_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='expiry date/time'),
        ),
        migrations.AddField(
            model_name='testimonial',
            name='expired',
            field=models.BooleanField(default=False, editable=False, verbose_name='expired'),
        ),
        migrations.AddField(
            model_name='testimonial',
            name='first_published_at',
            field=models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='first published at'),
        ),
        migrations.AddField(
            model_name='testimonial',
            name='go_live_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='go live date/time'),
        ),
        migrations.AddField(
            model_name='testimonial',
            name='has_unpublished_changes',
            field=models.BooleanField(default=False, editable=False, verbose_name='has unpublished changes'),
        ),
        migrations.AddField(
            model_name='testimonial',
            name='last_published_at',
            field=models.DateTimeField(editable=False, null=True, verbose_name='last published at'),
        ),
        migrations.AddField(
            model_name='testimonial',
            name='live',
            field=models.BooleanField(default=True, editable=False, verbose_name='live'),
        ),
        migrations.AddField(
            model_name='testimonial',
            name='live_revision',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='wagtailcore.revision', verbose_name='live revision'),
        ),
        migrations.AddField(
            model_name='testimonial',
            name='locked',
            field=models.BooleanField(default=False, editable=False, verbose_name='locked'),
        ),
        migrations.AddField(
            model_name='testimonial',
            name='locked_at',
            field=models.DateTimeField(editable=False, null=True, verbose_name='locked at'),
        ),
        migrations.AddField(
            model_name='testimonial',
            name='locked_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='locked_%(class)ss', to=settings.AUTH_USER_MODEL, verbose_name='locked by'),
        ),
        migrations.RunPython(copy_published, copy_back),
        migrations.RemoveField(model_name="testimonial", name="is_published"),
        migrations.RunPython(assign_workflow, migrations.RunPython.noop),
    ]
