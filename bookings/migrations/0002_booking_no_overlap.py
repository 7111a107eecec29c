"""The database's own guard against double bookings, on PostgreSQL.

Django's ExclusionConstraint is not declared on the model because SQLite cannot create it and
model validation would try to evaluate it there; on SQLite the booking services run in an
IMMEDIATE transaction with a re-check instead (see bookings/services.py and docs/reliability.md, promise 2).
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CONSTRAINT_SQL = """
ALTER TABLE bookings_booking ADD CONSTRAINT booking_no_overlap
EXCLUDE USING gist (partner_id WITH =, tstzrange(blocked_start, blocked_end, '[)') WITH &&)
WHERE (status IN ('pending', 'confirmed'))
"""


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CONSTRAINT_SQL)


def remove_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE bookings_booking DROP CONSTRAINT IF EXISTS booking_no_overlap")


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]

    operations = [
        # A no-op on other databases; needed for `partner_id WITH =` inside a GiST index.
        BtreeGistExtension(),
        migrations.RunPython(add_constraint, remove_constraint, elidable=False),
    ]
