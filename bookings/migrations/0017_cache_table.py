"""The database cache's table, so `migrate` alone leaves a working site (docs/deploy.md).

Without REDIS_URL the default cache is Django's database cache (config/settings/base.py): the
booking and sign-in rate limits must be shared by every gunicorn worker and every app server,
which a per-process cache is not. Its table used to need `createcachetable`, which only the
Makefile ran; this migration makes it (and does nothing if the table is already there, as it is
on every install that ran `createcachetable` before).
"""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

# Keep in step with CACHES["default"]["LOCATION"] in config/settings/base.py.
CACHE_TABLE = "cache_table"


def create_cache_table(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


def drop_cache_table(apps, schema_editor):
    connection = schema_editor.connection
    if CACHE_TABLE in connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("bookings", "0016_horizon_limit")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table, elidable=False)]
