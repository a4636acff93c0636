"""`gridgov start`: prepare the database and run the web server and the worker together."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.actions import temporary_password
from gridgov.core import audit
from gridgov.core.audit import AuditKind
from gridgov.orgs.choices import Role
from gridgov.orgs.models import Post

ADMIN_USERNAME = "admin"


class Command(BaseCommand):
    help = "迁移数据库、加载钦州演示数据、确保管理员账户，然后同时启动网站和后台任务进程（Ctrl-C 停止）"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("GRIDGOV_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--web-workers", type=int, default=int(os.environ.get("GRIDGOV_WEB_WORKERS", "2"))
        )
        parser.add_argument("--no-demo", action="store_true", help="不加载演示数据")
        parser.add_argument(
            "--prepare-only", action="store_true", help="只准备数据库和账户，不启动服务"
        )

    def handle(self, *args, **options):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("数据库已就绪")
        if not options["no_demo"]:
            call_command("demo", verbosity=options["verbosity"])
        self.ensure_admin()
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        if options["prepare_only"]:
            return
        self.serve(options["bind"], options["web_workers"])

    @transaction.atomic
    def ensure_admin(self) -> None:
        User = get_user_model()
        if User.objects.filter(username=ADMIN_USERNAME).exists():
            self.stdout.write(f"管理员账户：{ADMIN_USERNAME}（密码在首次启动时已显示）")
            return
        password = temporary_password()
        admin = User.objects.create_user(
            username=ADMIN_USERNAME, password=password, full_name="系统管理员"
        )
        # The first system administrator is granted by the installation itself (no
        # granting user); every later post is granted by a security administrator.
        Post.objects.create(
            user=admin, role=Role.SYSTEM_ADMIN, start_date=timezone.localdate(), note="安装时创建"
        )
        audit.record(AuditKind.ACCOUNT_CREATED, target=admin, detail={"by": "gridgov start"})
        self.stdout.write(self.style.SUCCESS("已创建管理员账户（仅显示这一次，请妥善保存）："))
        self.stdout.write(f"  用户名：{ADMIN_USERNAME}")
        self.stdout.write(f"  密码：  {password}")
        self.stdout.write("  首次登录须修改密码，并用手机验证器应用启用动态口令。")

    def serve(self, bind: str, web_workers: int) -> None:
        python = sys.executable
        web = [
            python, "-m", "gunicorn", "gridgov.wsgi:application",
            "--bind", bind,
            "--workers", str(web_workers),
            "--threads", "4",
            "--graceful-timeout", "10",
            "--no-control-socket",
            "--access-logfile", "-",
        ]  # fmt: skip
        worker = [python, "-m", "gridgov", "worker"]
        # Each child leads its own process group: Ctrl-C reaches only this process, which
        # stops the children once and in order (a second SIGINT makes gunicorn's threaded
        # workers hang), and can kill a whole group if something does not stop.
        procs = [
            subprocess.Popen(web, start_new_session=True),
            subprocess.Popen(worker, start_new_session=True),
        ]
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            if self.wait_for_port(bind, procs, lambda: stopping):
                self.stdout.write(
                    self.style.SUCCESS(
                        f"网站：http://{bind}/ ；后台任务进程已启动。按 Ctrl-C 停止。"
                    )
                )
            while not stopping and all(p.poll() is None for p in procs):
                time.sleep(0.5)
        finally:
            self.stop_all(procs)
        if not stopping:
            raise SystemExit("网站或后台任务进程意外退出，请查看上面的日志")
        self.stdout.write("已停止")

    @staticmethod
    def wait_for_port(bind: str, procs, stopping) -> bool:
        host, _, port = bind.rpartition(":")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not stopping():
            if any(p.poll() is not None for p in procs):
                return False
            try:
                with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), 0.5):
                    return True
            except OSError:
                time.sleep(0.2)
        return False

    @staticmethod
    def stop_all(procs, grace: float = 20.0) -> None:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for p in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
        for p in procs:
            # Whatever is left of a group (e.g. a gunicorn worker) goes too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(p.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=5)
