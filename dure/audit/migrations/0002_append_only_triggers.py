"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit log, whatever code tries.

Not on SQLite: Django's test flush empties tables with DELETE there (PostgreSQL uses TRUNCATE, which row
triggers do not see), so a trigger would break every transactional test. SQLite relies on the model guard.
"""

from django.db import migrations

POSTGRESQL = [
    "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$;",
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit_auditevent "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only();",
]
REVERSE = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_no_change ON audit_auditevent;",
        "DROP FUNCTION IF EXISTS audit_append_only();",
    ],
}


def forwards(apps, schema_editor):
    statements = {"postgresql": POSTGRESQL}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    for statement in REVERSE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
