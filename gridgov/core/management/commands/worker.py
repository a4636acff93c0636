"""`gridgov worker`: run background tasks (Django Tasks API, database backend)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from gridgov.core.periodic import Scheduler


class Command(BaseCommand):
    help = "运行后台任务进程：处理排队的任务，并按时安排定期任务"

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="处理完已排队的任务后退出")

    def handle(self, *args, **options):
        scheduler = None
        if not options["batch"]:
            scheduler = Scheduler()
            scheduler.start()
        try:
            self.run_tasks(options)
        finally:
            if scheduler is not None:
                scheduler.stop()

    def run_tasks(self, options):
        call_command(
            "db_worker",
            queue_name="*",
            interval=1,
            batch=options["batch"],
            reload=False,
            verbosity=options["verbosity"],
        )
