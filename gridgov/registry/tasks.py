"""Background tasks of the registry (Django Tasks API): the dry run and the import of a
file, the building of an export file, and the periodic removal of expired exports."""

from django_tasks import task


@task()
def check_import(job_pk: int) -> str:
    """The dry run of an uploaded file (every bad row reported, nothing written)."""
    from gridgov.registry.actions_import import run_check

    return run_check(job_pk).status


@task()
def run_import(job_pk: int) -> str:
    """The import of a checked file, chunk by chunk (the page shows the progress)."""
    from gridgov.registry.actions_import import run_import as run

    return run(job_pk).status


@task()
def build_export(request_pk: int) -> str:
    """Write the watermarked export file of an approved (or masked) request."""
    from gridgov.registry.actions_import import run_build_export

    return run_build_export(request_pk).status


@task()
def purge_expired_exports() -> int:
    """Delete export files past their 24 hours (periodic job, hourly)."""
    from gridgov.registry.actions_import import purge_expired_exports as purge

    return purge()
