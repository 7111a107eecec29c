"""Impact (docs/impact.md): feedback after a chat, partners' private reflections, and
involvement payments (rules per offer, lines per chat, months staff approve). Staff may add and
change payment rules, read payment lines and approve months."""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

STAFF_PERMISSIONS = [
    "view_paymentrule",
    "add_paymentrule",
    "change_paymentrule",
    "view_paymentline",
    "view_paymentmonth",
    "change_paymentmonth",
]


def grant_staff(apps, schema_editor):
    # As in 0009: permissions are normally made after all migrations; make them now to give them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group = apps.get_model("auth", "Group").objects.filter(name="Staff").first()
    if group is not None:
        Permission = apps.get_model("auth", "Permission")
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="bookings", codename__in=STAFF_PERMISSIONS)
        )


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0019_bank_holidays_and_waitlist'),
        ('home', '0002_testimonial_drafts_workflow'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='partner',
            name='declines_payment',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='partner',
            name='payment_declined_reason',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.CreateModel(
            name='PartnerReflection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('note', models.TextField(blank=True, max_length=3000)),
                ('updated_at', models.DateTimeField()),
                ('booking', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='reflection', to='bookings.booking')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reflections', to='bookings.partner')),
            ],
            options={
                'ordering': ['-updated_at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='PaymentMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(help_text='The first day of the month', unique=True)),
                ('approved_at', models.DateTimeField(blank=True, null=True)),
                ('approved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-month'],
            },
        ),
        migrations.CreateModel(
            name='PaymentRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('effective_from', models.DateField(help_text='Chats on or after this day (UK time) are paid by this rule.')),
                ('basis', models.CharField(choices=[('per_chat', 'Per chat'), ('per_hour', 'Per hour')], default='per_chat', max_length=16)),
                ('amount', models.DecimalField(decimal_places=2, help_text='£ per chat or per hour', max_digits=8)),
                ('late_cancel_amount', models.DecimalField(decimal_places=2, default=0, help_text='Paid when the booker does not come, or cancels within the window below.', max_digits=8, verbose_name='late cancellation or no-show amount (£)')),
                ('late_cancel_window_hours', models.PositiveSmallIntegerField(default=24, help_text='Cancellations closer to the chat than this.', verbose_name='late cancellation window (hours)')),
                ('offer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payment_rules', to='bookings.offer')),
            ],
            options={
                'ordering': ['offer', '-effective_from', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='PaymentLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('completed', 'Chat completed'), ('late_cancel', 'Late cancellation'), ('no_show', 'Booker did not attend'), ('reversal', 'Reversal')], max_length=16)),
                ('chat_date', models.DateField(help_text="The chat's day, UK time")),
                ('month', models.DateField(db_index=True, help_text='The month this line is paid in (first day)')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=8)),
                ('status', models.CharField(choices=[('open', 'Not yet approved'), ('approved', 'Approved')], default='open', max_length=16)),
                ('reason', models.CharField(blank=True, max_length=200)),
                ('created_at', models.DateTimeField()),
                ('booking', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payment_lines', to='bookings.booking')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('offer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='bookings.offer')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payment_lines', to='bookings.partner')),
                ('reverses', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reversed_by', to='bookings.paymentline')),
                ('rule', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='bookings.paymentrule')),
            ],
            options={
                'ordering': ['month', 'chat_date', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='Feedback',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('submitted_at', models.DateTimeField()),
                ('usefulness', models.PositiveSmallIntegerField(help_text='1 (not useful) to 5 (very useful)')),
                ('next_steps', models.TextField(blank=True, max_length=1000, verbose_name='what they will do next')),
                ('quote', models.TextField(blank=True, max_length=1500)),
                ('consent', models.CharField(choices=[('named', 'Yes, with my role and organisation'), ('anonymous', 'Yes, anonymously'), ('none', 'No, not at all')], default='none', max_length=16)),
                ('consent_wording', models.TextField(blank=True)),
                ('consent_given_at', models.DateTimeField(blank=True, null=True)),
                ('consent_withdrawn_at', models.DateTimeField(blank=True, null=True)),
                ('free_text_removed_at', models.DateTimeField(blank=True, null=True)),
                ('booking', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='feedback', to='bookings.booking')),
                ('ladder_rung', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='home.ladderrung')),
                ('testimonial', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='home.testimonial')),
            ],
            options={
                'ordering': ['-submitted_at', 'pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(('usefulness__gte', 1), ('usefulness__lte', 5)), name='feedback_usefulness_1_to_5')],
            },
        ),
        migrations.AddConstraint(
            model_name='paymentrule',
            constraint=models.UniqueConstraint(fields=('offer', 'effective_from'), name='one_payment_rule_per_day'),
        ),
        migrations.AddConstraint(
            model_name='paymentrule',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='payment_rule_amount_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='paymentrule',
            constraint=models.CheckConstraint(condition=models.Q(('late_cancel_amount__gte', 0)), name='payment_rule_late_amount_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='paymentline',
            constraint=models.UniqueConstraint(condition=models.Q(('reverses__isnull', True)), fields=('booking',), name='one_payment_per_chat'),
        ),
        migrations.RunPython(grant_staff, migrations.RunPython.noop),
    ]
