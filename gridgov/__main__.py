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


def _local_keys(*, create: bool) -> None:
    """With GRIDGOV_DEBUG on and no keys given: keep a generated key set in var/keys.json
    (created by `start`/`worker`, used by every command so `gridgov shell` reads the same
    data). Production (DEBUG off) gets no such fallback; missing keys stop the start.
    """
    if os.environ.get("GRIDGOV_KEYS") or os.environ.get("GRIDGOV_KEYS_FILE"):
        return
    import json
    from pathlib import Path

    from django.core.exceptions import ImproperlyConfigured

    from gridgov.conf import env_bool

    try:
        if not env_bool("DEBUG"):
            return
    except ImproperlyConfigured:
        return  # settings will report the bad value
    from gridgov.core.keys import generate_config

    var_dir = Path(
        os.environ.get("GRIDGOV_VAR_DIR", Path(__file__).resolve().parent.parent / "var")
    )
    key_file = var_dir / "keys.json"
    if not key_file.exists():
        if not create:
            return
        var_dir.mkdir(parents=True, exist_ok=True)
        # Created owner-only before the keys are written, so they are never readable by others.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(generate_config(), out, indent=2)
        key_file.chmod(0o600)
    os.environ["GRIDGOV_KEYS_FILE"] = str(key_file)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    serving = len(sys.argv) > 1 and sys.argv[1] in {"start", "worker"}
    if serving:
        _local_secret_key()
    _local_keys(create=serving)
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    # Operator commands are spelled with dashes (gridgov import-grids); Django's
    # management commands are module names with underscores.
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
