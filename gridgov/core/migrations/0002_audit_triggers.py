"""Database triggers that keep core_auditevent append-only, whatever the client.

UPDATE is refused, except the one the database itself makes when a user is deleted
(actor_id set to NULL, nothing else changed). DELETE is refused unless a purge marker
row exists in core_auditpurge (gridgov.core.audit.purge inserts it and removes it in the
same transaction).

A later migration that adds a column to core_auditevent must recreate these triggers:
on SQLite the table rebuild drops them, and the SQLite update guard lists the columns.
"""

from django.db import migrations

# Every column but actor_id: none of them may change.
GUARDED_COLUMNS = (
    "sequence",
    "at",
    "kind",
    "actor_username",
    "target_type",
    "target_id",
    "target_repr",
    "before",
    "after",
    "detail",
    "purpose",
    "request_id",
    "ip",
    "chain",
)

_unchanged = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in GUARDED_COLUMNS)

SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
    WHEN NOT (NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL AND {_unchanged})
    BEGIN
        SELECT RAISE(ABORT, 'core_auditevent is append-only: UPDATE refused');
    END
    """,
    """
    CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
    WHEN NOT EXISTS (SELECT 1 FROM core_auditpurge)
    BEGIN
        SELECT RAISE(ABORT, 'core_auditevent is append-only: DELETE refused outside a purge');
    END
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete",
]

POSTGRESQL_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION core_auditevent_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            -- The user was deleted (ON DELETE SET NULL): only actor_id goes to NULL.
            IF NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL
               AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'core_auditevent is append-only: UPDATE refused'
                USING ERRCODE = 'restrict_violation';
        END IF;
        IF EXISTS (SELECT 1 FROM core_auditpurge) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'core_auditevent is append-only: DELETE refused outside a purge'
            USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    """
    CREATE TRIGGER core_auditevent_append_only
    BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_guard()
    """,
]
POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent",
    "DROP FUNCTION IF EXISTS core_auditevent_guard()",
]

STATEMENTS = {
    "sqlite": (SQLITE_INSTALL, SQLITE_REMOVE),
    "postgresql": (POSTGRESQL_INSTALL, POSTGRESQL_REMOVE),
}


def _run(schema_editor, which: int) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise NotImplementedError(f"audit triggers are written for SQLite and PostgreSQL, not {vendor}")
    for statement in STATEMENTS[vendor][which]:
        schema_editor.execute(statement, params=None)


def install(apps, schema_editor):
    _run(schema_editor, 0)


def remove(apps, schema_editor):
    _run(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
