"""`gridgov import-grids FILE --town CODE …`: a town's grid proposal from a GeoJSON file.

The file becomes a proposal (网格调整) exactly as if the town had submitted it on the
web: the same validation, and nothing changes on the map until the county approves
(`--approve-by` records that approval at once, for an approval given on paper).
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from gridgov.areas import actions
from gridgov.areas.choices import AdjustmentKind, AdjustmentTrigger, AreaLevel
from gridgov.areas.geojson_io import proposed_grids_from_geojson
from gridgov.areas.models import Area
from gridgov.core.exceptions import ActionError
from gridgov.core.geo import CRS_CHOICES


class Command(BaseCommand):
    help = "从 GeoJSON 文件导入镇（街道）的网格调整方案（与网页提交同样校验）"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="GeoJSON FeatureCollection 文件")
        parser.add_argument("--town", required=True, help="提出调整的镇（街道）9 位代码")
        parser.add_argument(
            "--kind", choices=AdjustmentKind.values, default=AdjustmentKind.CREATE, help="调整类型"
        )
        parser.add_argument(
            "--trigger",
            choices=AdjustmentTrigger.values,
            default=AdjustmentTrigger.OTHER,
            help="第六条所列调整情形",
        )
        parser.add_argument("--reason", required=True, help="调整理由")
        parser.add_argument("--old", nargs="*", default=[], metavar="CODE", help="涉及的原网格编码")
        parser.add_argument("--crs", choices=CRS_CHOICES, default="wgs84", help="文件坐标系")
        parser.add_argument("--proposer", help="提出人用户名（默认不记名，记为导入）")
        parser.add_argument("--approve-by", help="同时记录县级审批，审批人用户名")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")

    def handle(self, *args, **opts):
        path: Path = opts["file"]
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from exc
        town = Area.objects.filter(code=opts["town"], level=AreaLevel.TOWN).first()
        if town is None:
            raise CommandError(f"镇（街道）代码 {opts['town']} 不存在")
        proposer = self._user(opts["proposer"])
        approver = self._user(opts["approve_by"])
        try:
            with transaction.atomic():
                items = proposed_grids_from_geojson(raw, opts["crs"])
                adjustment = actions.do_propose_adjustment(
                    town=town,
                    kind=opts["kind"],
                    trigger=opts["trigger"],
                    reason=opts["reason"],
                    old_grid_codes=opts["old"],
                    items=items,
                    actor=proposer,
                    source="import",
                )
                created = []
                if approver is not None:
                    created = actions.do_approve_adjustment(adjustment, actor=approver)
                if opts["dry_run"]:
                    transaction.set_rollback(True)
        except ValidationError as exc:
            messages = (
                [m for msgs in exc.message_dict.values() for m in msgs]
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            for message in messages:
                self.stderr.write(f"  ✗ {message}")
            raise CommandError(f"校验未通过（{len(messages)} 处问题），未写入任何数据") from exc
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        if opts["dry_run"]:
            self.stdout.write(f"校验通过：{len(items)} 个网格（试运行，未写入）")
            return
        self.stdout.write(f"已提出网格调整 {adjustment.number}（{len(items)} 个网格）")
        if created:
            codes = "、".join(g.code for g in created)
            self.stdout.write(f"已批准并报市备案，新网格编码：{codes}")

    @staticmethod
    def _user(username):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在或已停用")
        return user
