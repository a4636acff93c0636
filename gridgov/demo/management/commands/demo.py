"""`gridgov demo [--scale N] [--seed S]`: the Qinzhou demo data set.

Real divisions (city, 4 counties, 71 towns, 683 villages) and county boundaries from the
shipped files; generated villages for the towns the files leave empty, generated town,
village and grid boundaries inside the real county boundaries, and exclusive grids
(industrial parks, the 平陆运河 hub, markets, schools, hospitals, maritime grids). Running
it again changes nothing.
"""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.areas.loading import LoadError
from gridgov.core.exceptions import ActionError
from gridgov.demo import config
from gridgov.demo.build import DemoConflict, run_demo


def positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError(value)
    return number


def non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "加载钦州市演示数据（真实区划代码和县界，生成的镇村边界和网格）；可重复运行"

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=positive,
            default=1.0,
            help="网格数量倍数：1 约 6,000 个属地网格，5 约 30,000 个（用于性能测试）",
        )
        parser.add_argument(
            "--seed",
            type=non_negative,
            default=config.DEFAULT_SEED,
            help=f"随机种子（默认 {config.DEFAULT_SEED}）；同一种子生成完全相同的数据",
        )
        parser.add_argument(
            "--county",
            action="append",
            metavar="CODE",
            help="只为这些县（区）生成边界和网格（可重复；默认全部）",
        )

    def handle(self, *args, scale, seed, county, verbosity, **options):
        started = time.monotonic()
        log = self.stdout.write if verbosity >= 2 else None
        try:
            result = run_demo(seed=seed, scale=scale, counties=county, log=log)
        except LoadError as exc:
            for message in exc.errors:
                self.stderr.write(f"  ✗ {message}")
            raise CommandError(_("演示数据文件有误，未加载")) from exc
        except DemoConflict as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(f"  ✗ {message}")
            raise CommandError(_("生成的网格未通过校验")) from exc
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        if verbosity < 1:
            return
        c = result.counts
        self.stdout.write(
            _(
                "钦州市演示数据（种子 %(seed)d，倍数 %(scale)g）：县（区）%(counties)d 个，"
                "镇（街道）%(towns)d 个，村（社区）%(villages)d 个（其中演示生成 %(generated)d 个）"
            )
            % {"seed": seed, "scale": scale, **c, "generated": c["generated_villages"]}
        )
        self.stdout.write(
            _(
                "网格 %(total)s 个：城市社区网格 %(urban)s，农村网格 %(rural)s，"
                "专属网格 %(exclusive)s（其中海上 %(maritime)s）"
            )
            % {
                "total": f"{c['urban'] + c['rural'] + c['exclusive']:,}",
                "urban": f"{c['urban']:,}",
                "rural": f"{c['rural']:,}",
                "exclusive": f"{c['exclusive']:,}",
                "maritime": f"{c['maritime']:,}",
            }
        )
        seconds = time.monotonic() - started
        if result.changed:
            self.stdout.write(
                _("本次新建网格 %(grids)s 个，用时 %(s).1f 秒")
                % {"grids": f"{result.grids_created:,}", "s": seconds}
            )
        else:
            self.stdout.write(_("数据已是最新，未作改动（用时 %(s).1f 秒）") % {"s": seconds})
