"""`gridgov start`: prepare the database and run the web server and the worker together."""

import os
import secrets
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

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

    def ensure_admin(self) -> None:
        User = get_user_model()
        if User.objects.filter(username=ADMIN_USERNAME).exists():
            self.stdout.write(f"管理员账户：{ADMIN_USERNAME}（密码在首次启动时已显示）")
            return
        password = secrets.token_urlsafe(12)
        admin = User.objects.create_user(
            username=ADMIN_USERNAME, password=password, full_name="系统管理员"
        )
        # The first system administrator is granted by the installation itself (no
        # granting user); every later post is granted by a security administrator.
        Post.objects.create(
            user=admin, role=Role.SYSTEM_ADMIN, start_date=timezone.localdate(), note="安装时创建"
        )
        self.stdout.write(self.style.SUCCESS("已创建管理员账户（仅显示这一次，请妥善保存）："))
        self.stdout.write(f"  用户名：{ADMIN_USERNAME}")
        self.stdout.write(f"  密码：  {password}")

    def serve(self, bind: str, web_workers: int) -> None:
        python = sys.executable
        web = [
            python,
            "-m",
            "gunicorn",
            "gridgov.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(web_workers),
            "--threads",
            "4",
            "--access-logfile",
            "-",
        ]
        worker = [python, "-m", "gridgov", "worker"]
        procs = [subprocess.Popen(web), subprocess.Popen(worker)]
        self.stdout.write(
            self.style.SUCCESS(f"网站：http://{bind}/ ；后台任务进程已启动。按 Ctrl-C 停止。")
        )

        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in procs):
                time.sleep(0.5)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for p in procs:
                try:
                    p.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()
        failed = [p for p in procs if p.returncode not in (0, -signal.SIGTERM, -signal.SIGINT)]
        if failed and not stopping:
            raise SystemExit("网站或后台任务进程意外退出")
        self.stdout.write("已停止")
