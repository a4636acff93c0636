"""`gridgov load-divisions CSV… [--boundaries FILE] [--crs gcj02|wgs84]`: official divisions.

Loads a city's statistical division codes (and optionally boundaries) into the areas
table. Everything is checked first; one bad row and nothing is written. Running it again
with the same files changes nothing.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.areas.choices import AreaLevel
from gridgov.areas.loading import (
    LoadError,
    load_divisions,
    load_sea_areas,
    read_boundaries,
    read_divisions,
)
from gridgov.core.geo import CRS_CHOICES


class Command(BaseCommand):
    help = (
        "加载行政区划代码（CSV：code,name,parent_code）和边界（GeoJSON，properties.adcode）；"
        "先校验后写入，重复运行不产生变化"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "csv", nargs="*", type=Path, help="区划代码 CSV 文件（可多个，如县镇表和村表）"
        )
        parser.add_argument("--boundaries", type=Path, help="边界 GeoJSON 文件")
        parser.add_argument(
            "--sea", type=Path, help="沿海县（区）管辖海域 GeoJSON 文件（properties.adcode）"
        )
        parser.add_argument(
            "--crs",
            choices=CRS_CHOICES,
            default="gcj02",
            help="边界文件坐标系（默认 gcj02，DataV 边界即为 GCJ-02）",
        )
        parser.add_argument(
            "--source", default="", help="数据来源说明（默认为文件名），记入每个区划"
        )
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")

    def handle(self, *args, **opts):
        if not opts["csv"] and not opts["boundaries"] and not opts["sea"]:
            raise CommandError(_("请给出区划代码 CSV 文件、--boundaries 边界文件或 --sea 海域文件"))
        try:
            rows = [
                row for path in opts["csv"] for row in read_divisions(path, source=opts["source"])
            ]
            boundaries = (
                read_boundaries(opts["boundaries"], crs=opts["crs"]) if opts["boundaries"] else []
            )
            report = load_divisions(rows, boundaries, dry_run=opts["dry_run"])
            seas = (
                load_sea_areas(
                    read_boundaries(opts["sea"], crs=opts["crs"]), dry_run=opts["dry_run"]
                )
                if opts["sea"]
                else {}
            )
        except LoadError as exc:
            for message in exc.errors:
                self.stderr.write(f"  ✗ {message}")
            raise CommandError(
                _("发现 %(n)d 处问题，未写入任何数据") % {"n": len(exc.errors)}
            ) from exc
        for level in sorted(report.by_level):
            counts = report.by_level[level]
            line = _("%(level)s：新增 %(c)d，更新 %(u)d，未变 %(n)d") % {
                "level": AreaLevel(level).label,
                "c": counts["created"],
                "u": counts["updated"],
                "n": counts["unchanged"],
            }
            if counts["boundary_derived"]:
                line += _("（由下辖县区边界合成市界）")
            self.stdout.write(line)
        for code, outcome in sorted(seas.items()):
            label = {"created": _("新增"), "updated": _("更新"), "unchanged": _("未变")}[outcome]
            self.stdout.write(
                _("管辖海域 %(code)s：%(outcome)s") % {"code": code, "outcome": label}
            )
        prefix = _("试运行，未写入：") if opts["dry_run"] else _("已加载：")
        self.stdout.write(prefix + report.summary())
