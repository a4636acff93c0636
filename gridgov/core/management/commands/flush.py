"""`flush` that also works on SQLite with the audit log's triggers.

Django empties SQLite tables with DELETE, which the append-only triggers of
core_auditevent refuse (PostgreSQL uses TRUNCATE, which row triggers do not see). The
test runner flushes after every transactional test, so a non-interactive flush first
empties the audit table the sanctioned way (inside a purge marker). An interactive
`gridgov flush` keeps refusing: emptying the audit log by hand should not be easy.
"""

from django.core.management.commands import flush
from django.db import connections


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor == "sqlite" and not options["interactive"]:
            self.empty_audit_log(options["database"])
        super().handle(**options)

    def empty_audit_log(self, database: str) -> None:
        from gridgov.core.audit import allow_delete
        from gridgov.core.models import AuditEvent

        with allow_delete(using=database):
            rows = AuditEvent.objects.using(database).all()
            rows._raw_delete(database)
