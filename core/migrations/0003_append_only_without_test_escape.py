from django.db import migrations

# The append-only function of 0002 let any session that set ``ssj.test_flush`` TRUNCATE the audit trail,
# the schema owner's and the app's alike. In a database migrated normally there is no such escape: the
# function refuses every UPDATE, DELETE and TRUNCATE. Only the test suite's database, created by
# pytest-django, gets a function that honours the setting (tests/conftest.py, ``django_db_setup``), so
# pytest can flush the tables between transactional tests.
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
WITH_TEST_ESCAPE = """
CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('ssj.test_flush', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'core_auditentry is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WITH_TEST_ESCAPE, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_triggers_and_calendar")]

    operations = [migrations.RunPython(forward, backward)]
