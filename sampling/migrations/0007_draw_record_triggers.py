"""PostgreSQL refuses changes to what a draw has committed to: its frozen pool, nonce and hashes from its
creation; its seed, witness input and counts from its ceremony; its result once drawn; and its state once
approved, rejected or cancelled. Only the services' own transitions pass (created → drawn → approved or
rejected, created → cancelled). The schema owner can still disable triggers: ``verify_audit`` then names
the rows that no longer match the audit trail (core.audit.verify_rows).
"""

from django.db import migrations

TRIGGERS = r"""
CREATE OR REPLACE FUNCTION sampling_draw_committed() RETURNS trigger AS $$
BEGIN
    IF (NEW.bureau_id, NEW.task_id, NEW.year, NEW.quarter, NEW.seq, NEW.policy, NEW.conditions, NEW.quotas,
        NEW.pool_hash, NEW.member_count, NEW.excluded_count, NEW.inspectors_hash, NEW.team_size,
        NEW.max_per_inspector, NEW.nonce, NEW.nonce_hash, NEW.algorithm, NEW.created_by_id, NEW.created_at)
       IS DISTINCT FROM
       (OLD.bureau_id, OLD.task_id, OLD.year, OLD.quarter, OLD.seq, OLD.policy, OLD.conditions, OLD.quotas,
        OLD.pool_hash, OLD.member_count, OLD.excluded_count, OLD.inspectors_hash, OLD.team_size,
        OLD.max_per_inspector, OLD.nonce, OLD.nonce_hash, OLD.algorithm, OLD.created_by_id, OLD.created_at) THEN
        RAISE EXCEPTION 'sampling_draw #%: the frozen pool, nonce and hashes of a draw never change', OLD.id;
    END IF;
    IF OLD.seed <> '' AND
       (NEW.seed, NEW.witness_input, NEW.witnesses, NEW.selected_count, NEW.executed_by_id, NEW.executed_at)
       IS DISTINCT FROM
       (OLD.seed, OLD.witness_input, OLD.witnesses, OLD.selected_count, OLD.executed_by_id, OLD.executed_at) THEN
        RAISE EXCEPTION 'sampling_draw #%: the seed and ceremony of a drawn draw never change', OLD.id;
    END IF;
    IF OLD.status IN ('approved', 'rejected', 'cancelled') AND
       (NEW.status, NEW.approved_by_id, NEW.approved_at, NEW.rejected_by_id, NEW.rejected_at, NEW.rejection_reason,
        NEW.cancelled_at, NEW.cancel_reason)
       IS DISTINCT FROM
       (OLD.status, OLD.approved_by_id, OLD.approved_at, OLD.rejected_by_id, OLD.rejected_at, OLD.rejection_reason,
        OLD.cancelled_at, OLD.cancel_reason) THEN
        RAISE EXCEPTION 'sampling_draw #%: a % draw is closed', OLD.id, OLD.status;
    END IF;
    IF NOT ((OLD.status, NEW.status) IN (('created', 'created'), ('created', 'drawn'), ('created', 'cancelled'),
            ('drawn', 'drawn'), ('drawn', 'approved'), ('drawn', 'rejected'))
            OR OLD.status = NEW.status) THEN
        RAISE EXCEPTION 'sampling_draw #%: % to % is not a transition of a draw', OLD.id, OLD.status, NEW.status;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER sampling_draw_committed
    BEFORE UPDATE ON sampling_draw
    FOR EACH ROW EXECUTE FUNCTION sampling_draw_committed();

CREATE OR REPLACE FUNCTION sampling_drawdata_committed() RETURNS trigger AS $$
BEGIN
    IF (NEW.draw_id, NEW.pool_json, NEW.member_ids, NEW.exclusions, NEW.inspectors, NEW.staffing)
       IS DISTINCT FROM
       (OLD.draw_id, OLD.pool_json, OLD.member_ids, OLD.exclusions, OLD.inspectors, OLD.staffing) THEN
        RAISE EXCEPTION 'sampling_drawdata #%: the frozen pool of a draw never changes', OLD.draw_id;
    END IF;
    IF OLD.result IS NOT NULL AND NEW.result IS DISTINCT FROM OLD.result THEN
        RAISE EXCEPTION 'sampling_drawdata #%: the result of a drawn draw never changes', OLD.draw_id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER sampling_drawdata_committed
    BEFORE UPDATE ON sampling_drawdata
    FOR EACH ROW EXECUTE FUNCTION sampling_drawdata_committed();

CREATE OR REPLACE FUNCTION sampling_drawentry_committed() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'sampling_drawentry #%: the drawn order of a draw never changes', OLD.id;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER sampling_drawentry_committed
    BEFORE UPDATE ON sampling_drawentry
    FOR EACH ROW EXECUTE FUNCTION sampling_drawentry_committed();
"""
DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS sampling_drawentry_committed ON sampling_drawentry;
DROP FUNCTION IF EXISTS sampling_drawentry_committed();
DROP TRIGGER IF EXISTS sampling_drawdata_committed ON sampling_drawdata;
DROP FUNCTION IF EXISTS sampling_drawdata_committed();
DROP TRIGGER IF EXISTS sampling_draw_committed ON sampling_draw;
DROP FUNCTION IF EXISTS sampling_draw_committed();
"""


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGERS, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS, params=None)


class Migration(migrations.Migration):
    dependencies = [("sampling", "0006_draw_changes_and_quota_exceed")]

    operations = [migrations.RunPython(add_triggers, drop_triggers)]
