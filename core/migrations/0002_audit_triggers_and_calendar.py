from django.db import migrations

# PostgreSQL refuses UPDATE, DELETE and TRUNCATE on the audit trail. A row trigger does not stop
# TRUNCATE, hence the statement-level trigger as well. The test suite's database flush (TRUNCATE of
# every table between transactional tests) sets the session variable ssj.test_flush; nothing else
# does. (A table owner can disable triggers anyway: in production the app's role should not own it.)
TRIGGERS = """
CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('ssj.test_flush', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'core_auditentry is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditentry_no_update_delete
    BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only();
CREATE TRIGGER core_auditentry_no_truncate
    BEFORE TRUNCATE ON core_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION core_auditentry_append_only();
"""
DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry;
DROP TRIGGER IF EXISTS core_auditentry_no_update_delete ON core_auditentry;
DROP FUNCTION IF EXISTS core_auditentry_append_only();
"""


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGERS, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS, params=None)


def seed_calendar(apps, schema_editor):
    from core.calendar_seed import seed_calendar as seed

    seed(apps.get_model("core", "CalendarYear"), apps.get_model("core", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(add_triggers, drop_triggers),
        migrations.RunPython(seed_calendar, migrations.RunPython.noop),
    ]
