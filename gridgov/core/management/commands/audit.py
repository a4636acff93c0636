"""`gridgov audit verify|purge`: check the audit chain; remove rows past retention."""

from django.core.management.base import BaseCommand, CommandError

from gridgov.core import audit


class Command(BaseCommand):
    help = "审计日志：verify 校验链完整性；purge 清理超过保存期限的记录"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="从锚点起逐条校验审计链，报告第一条异常记录")
        verify.add_argument("--chunk-size", type=int, default=2000)
        purge = sub.add_parser("purge", help="按保存期限从最早的记录开始清理")
        purge.add_argument("--dry-run", action="store_true", help="只统计，不删除")
        purge.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, **options):
        if options["action"] == "verify":
            self.verify(options["chunk_size"])
        else:
            self.purge(options["dry_run"], options["batch_size"])

    def verify(self, chunk_size: int) -> None:
        result = audit.verify(chunk_size=chunk_size)
        if not result.ok:
            # CommandError gives exit status 1 and the message on stderr.
            raise CommandError(result.describe(), returncode=1)
        self.stdout.write(self.style.SUCCESS(result.describe()))

    def purge(self, dry_run: bool, batch_size: int) -> None:
        days = audit.retention_days()
        if dry_run:
            count = audit.purgeable()
            self.stdout.write(f"保存期限 {days} 天；可清理 {count} 条（未删除）")
            return
        try:
            count = audit.purge(batch_size=batch_size)
        except audit.AuditChainBroken as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.stdout.write(self.style.SUCCESS(f"保存期限 {days} 天；已清理 {count} 条"))
