"""`gridgov locate LON LAT [--crs gcj02] [--json]`: which grid a point lies in."""

import json

from django.core.management.base import BaseCommand, CommandError

from gridgov.areas.locate import locate
from gridgov.core.geo import CRS_CHOICES


class Command(BaseCommand):
    help = "坐标定位：给出经纬度所在的网格、村（社区）、镇（街道）、县（区）及专属网格"

    def add_arguments(self, parser):
        parser.add_argument("lon", type=float, help="经度")
        parser.add_argument("lat", type=float, help="纬度")
        parser.add_argument(
            "--crs", choices=CRS_CHOICES, default="wgs84", help="坐标系（默认 wgs84）"
        )
        parser.add_argument("--json", action="store_true", help="以 JSON 输出")

    def handle(self, *args, lon, lat, crs, **options):
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise CommandError("经纬度超出范围：经度应在 -180～180，纬度应在 -90～90（经度在前）")
        found = locate(lon, lat, crs)
        if options["json"]:
            data = found.as_dict()
            data["message"] = "" if found.inside else "该位置不在本市管辖范围内"
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        elif found.inside:
            self.stdout.write(self.describe(found))
        if not found.inside:
            # CommandError exits with status 1 and prints to stderr.
            raise CommandError(f"({found.lon:.6f}, {found.lat:.6f}) 不在本市管辖范围内")

    @staticmethod
    def describe(found) -> str:
        lines = [f"坐标（WGS-84）：{found.lon:.6f}, {found.lat:.6f}"]
        for label, place in (
            ("县（区）", found.county),
            ("镇（街道）", found.town),
            ("村（社区）", found.village),
        ):
            if place:
                lines.append(f"{label}：{place.name}（{place.code}）")
        if found.grid:
            lines.append(f"网格：{found.grid.name}（{found.grid.code}）")
        elif found.at_sea:
            lines.append("网格：海上，无属地网格")
        else:
            lines.append("网格：此处尚未划分属地网格")
        for grid in found.exclusive:
            lines.append(f"专属网格：{grid.name}（{grid.code}）")
        return "\n".join(lines)
