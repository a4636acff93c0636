"""`gridgov load-matters FILE.json [--dry-run]`: a city's initial matter list.

Every entry is checked first (the same rules as a department's application, 第七条);
one bad entry and nothing is written. New matters become version 1 with a public
notice; a rerun changes nothing, and an entry that differs from the stored matter is
reported, not rewritten (changes go through the adjustment flow, 第九条).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.matters.catalogue import CatalogueError, load_catalogue, read_catalogue


class Command(BaseCommand):
    help = "加载网格服务管理事项清单（JSON）；先校验后写入，重复运行不产生变化"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="事项清单 JSON 文件")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")

    def handle(self, *args, file, dry_run, **options):
        try:
            report = load_catalogue(read_catalogue(file), dry_run=dry_run)
        except CatalogueError as exc:
            for message in exc.errors:
                self.stderr.write(f"  ✗ {message}")
            raise CommandError(
                _("事项清单有 %(n)d 处错误，未写入任何内容") % {"n": len(exc.errors)}
            ) from exc
        for message in report.changed:
            self.stderr.write(f"  ! {message}")
        self.stdout.write(report.summary())
