"""The ``gridgov`` command: the project's manage.py, installed as a console script."""

import os
import sys


def _local_secret_key() -> None:
    """`gridgov start` on a workstation: keep a generated secret key under var/."""
    if os.environ.get("GRIDGOV_SECRET_KEY") or os.environ.get("GRIDGOV_SECRET_KEY_FILE"):
        return
    import secrets
    from pathlib import Path

    var_dir = Path(
        os.environ.get("GRIDGOV_VAR_DIR", Path(__file__).resolve().parent.parent / "var")
    )
    var_dir.mkdir(parents=True, exist_ok=True)
    key_file = var_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    os.environ["GRIDGOV_SECRET_KEY_FILE"] = str(key_file)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    if len(sys.argv) > 1 and sys.argv[1] in {"start", "worker"}:
        _local_secret_key()
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    # Operator commands are spelled with dashes (gridgov import-grids); Django's
    # management commands are module names with underscores.
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
