"""`gridgov keys`: make a key set, add a data key, show what is configured."""

import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gridgov.core import keys


class Command(BaseCommand):
    # Generating keys must work before any are configured (the checks would refuse).
    requires_system_checks = []
    help = "密钥管理：generate 生成新密钥集；add-data-key 向密钥文件添加数据密钥；status 查看配置"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("generate", help="输出一套新密钥（JSON），保存为 GRIDGOV_KEYS_FILE")
        add = sub.add_parser("add-data-key", help="向密钥文件添加一个新的数据密钥")
        add.add_argument("file", help="密钥文件（GRIDGOV_KEYS_FILE）")
        add.add_argument("--make-current", action="store_true", help="同时设为当前密钥")
        sub.add_parser("status", help="显示已配置的密钥编号（不显示密钥）")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "generate":
            self.stdout.write(json.dumps(keys.generate_config(), indent=2))
        elif action == "add-data-key":
            self.add_data_key(Path(options["file"]), options["make_current"])
        else:
            self.status()

    def add_data_key(self, path: Path, make_current: bool) -> None:
        try:
            text = path.read_text(encoding="utf-8")
            keys.parse(text)
        except OSError as exc:
            raise CommandError(f"无法读取 {path}：{exc}") from exc
        config = json.loads(text)
        kid = keys.add_data_key(config, make_current=make_current)
        tmp = path.with_name(path.name + ".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(config, out, indent=2)
        os.replace(tmp, path)  # atomic: a crash leaves the old file, never half a file
        state = "并设为当前密钥" if make_current else "（尚未设为当前密钥）"
        self.stdout.write(self.style.SUCCESS(f"已添加数据密钥 {kid}{state}；重启各进程后生效"))

    def status(self) -> None:
        ring = keys.keyring()
        kids = ", ".join(sorted(ring.data_keys))
        self.stdout.write(
            f"数据密钥：{kids}；当前：{ring.current_kid}；盲索引密钥、审计密钥：已配置"
        )
