"""`gridgov demo [--scale N] [--seed S]`: the Qinzhou demo data set.

Real divisions (city, 4 counties, 71 towns, 683 villages) and county boundaries from the
shipped files; generated villages for the towns the files leave empty, generated town,
village and grid boundaries inside the real county boundaries, and exclusive grids
(industrial parks, the 平陆运河 hub, markets, schools, hospitals, maritime grids); the
agencies, management zones and linkage departments, made-up staff for every grid, village
and organisation, and persona accounts to log in with (their password is printed once,
when they are created). Running it again changes nothing.
"""

import time

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.areas.loading import LoadError
from gridgov.core.exceptions import ActionError
from gridgov.demo import config
from gridgov.demo.build import DemoConflict, DemoResult, run_demo
from gridgov.orgs.choices import Role


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
    help = (
        "加载钦州市演示数据（真实区划代码和县界，生成的镇村边界和网格，机构、部门、"
        "演示人员和演示账户）；可重复运行"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=positive,
            default=1.0,
            help="网格和人员数量倍数：1 约 6,000 个属地网格、16,000 名人员，5 约 30,000 个网格"
            "（用于性能测试）",
        )
        parser.add_argument(
            "--seed",
            type=non_negative,
            default=config.DEFAULT_SEED,
            help=f"随机种子（默认 {config.DEFAULT_SEED}）；同一种子生成完全相同的数据",
        )
        parser.add_argument(
            "--population-scale",
            type=float,
            default=None,
            help="实有人口（合成数据）规模：默认只为钦南区生成约 3 万人；S 为全市 330 万 × S 人"
            "（1 即 330 万，用于性能测试）；0 不生成",
        )
        parser.add_argument(
            "--cases",
            type=non_negative,
            default=None,
            help="演示事件（联动处置）件数，默认 600；0 不生成；再次运行只补足缺少的",
        )
        parser.add_argument(
            "--county",
            action="append",
            metavar="CODE",
            help="只为这些县（区）生成边界和网格（可重复；默认全部）",
        )

    def handle(self, *args, scale, seed, county, verbosity, population_scale, cases, **options):
        from gridgov.core import keys

        if not keys.configured():
            # Staff phones are stored encrypted and every change is audited (HMAC-SM3):
            # both need the keys, so nothing is loaded without them.
            raise CommandError(
                _(
                    "未配置密钥（GRIDGOV_KEYS 或 GRIDGOV_KEYS_FILE），未加载演示数据。"
                    "开发时 gridgov start（make run）会自动生成；也可用 gridgov keys generate 生成。"
                )
            )
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
        except ImproperlyConfigured as exc:  # malformed keys
            raise CommandError(str(exc)) from exc
        from gridgov.registry.demo import ensure_population

        population = ensure_population(seed=seed, scale=population_scale, counties=county, log=log)
        from gridgov.cases.demo import DEFAULT_CASES, ensure_cases

        demo_cases = ensure_cases(DEFAULT_CASES if cases is None else cases, seed=seed, log=log)
        if verbosity < 1:
            # The personas' password exists only now: shown whatever the verbosity.
            self.show_personas(result)
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
        posts = c["staff_posts"]
        self.stdout.write(
            _(
                "网格化服务管理机构 %(agencies)d 个，管理区 %(zones)d 个，联动部门 %(departments)d 个；"
                "演示人员 %(staff)s 人：网格长 %(leader)s，专职网格员 %(fulltime)s，"
                "兼职网格员 %(parttime)s，专属网格长、网格员 %(exclusive)s，总网格长 %(chief)s，"
                "网格指导员 %(guide)s，机构、管理区和部门人员 %(office)s"
            )
            % {
                **c,
                "staff": f"{c['staff']:,}",
                **{
                    key: f"{sum(posts.get(r, 0) for r in roles):,}"
                    for key, roles in {
                        "leader": [Role.LEADER],
                        "fulltime": [Role.FULLTIME],
                        "parttime": [Role.PARTTIME],
                        "exclusive": [Role.EXCLUSIVE_LEADER, Role.EXCLUSIVE_MEMBER],
                        "chief": [Role.CHIEF],
                        "guide": [Role.GUIDE],
                        "office": [
                            Role.AGENCY_OPERATOR,
                            Role.AGENCY_LEADER,
                            Role.ZONE_OPERATOR,
                            Role.DEPARTMENT_HANDLER,
                            Role.DEPARTMENT_LEADER,
                        ],
                    }.items()
                },
            }
        )
        self.stdout.write(
            _(
                "网格服务管理事项清单（市级）现行 %(matters)d 项（其中临时纳入 %(temporary)d 项）；"
                "任务 %(tasks)d 个，未办结的网格分派 %(open)s 个"
            )
            % {
                "matters": c["matters"],
                "temporary": c["temporary_matters"],
                "tasks": c["tasks"],
                "open": f"{c['open_assignments']:,}",
            }
        )
        seconds = time.monotonic() - started
        if result.changed:
            self.stdout.write(
                _("本次新建网格 %(grids)s 个、人员账户 %(users)s 个，用时 %(s).1f 秒")
                % {
                    "grids": f"{result.grids_created:,}",
                    "users": f"{result.staff.users_created + len(result.personas):,}",
                    "s": seconds,
                }
            )
        elif not population.changed and not demo_cases.created:
            self.stdout.write(_("数据已是最新，未作改动（用时 %(s).1f 秒）") % {"s": seconds})
        self.stdout.write(population.summary())
        self.stdout.write(demo_cases.summary())
        self.show_personas(result)

    def show_personas(self, result: DemoResult) -> None:
        if not result.personas:
            return
        self.stdout.write(self.style.SUCCESS(_("已创建演示账户（密码仅显示这一次，请妥善保存）：")))
        width = max(len(p.username) for p in result.personas)
        for persona in result.personas:
            mark = " *" if persona.second_factor else ""
            self.stdout.write(f"  {persona.username:<{width}}  {persona.what}{mark}")
        self.stdout.write(_("  共用密码：%(password)s") % {"password": result.persona_password})
        if any(p.second_factor for p in result.personas):
            self.stdout.write(
                _(
                    "  * 机构、管理区、部门和管理员岗位首次登录时须绑定动态口令（TOTP）应用"
                    "（如手机上的身份验证器），按页面提示扫码即可。"
                )
            )
        self.stdout.write(
            _(
                "  系统管理员 admin 由 gridgov start 创建；其余一万多个演示人员账户（无密码）不能登录。"
            )
        )
