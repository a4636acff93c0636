"""The ``gridgov`` command: the project's manage.py, installed as a console script."""

import os
import sys


def _may_create_secrets() -> bool:
    """Only a workstation generates its own secrets: GRIDGOV_DEBUG on, or
    GRIDGOV_LOCAL_SECRETS on (what `make run` sets)."""
    from django.core.exceptions import ImproperlyConfigured

    from gridgov.conf import env_bool

    try:
        return env_bool("DEBUG") or env_bool("LOCAL_SECRETS")
    except ImproperlyConfigured:
        return False  # settings will report the bad value


def _var_dir():
    from pathlib import Path

    return Path(os.environ.get("GRIDGOV_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))


def _write_private(path, text: str) -> None:
    """Create ``path`` owner-only before writing, so the secret is never readable by others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def _local_secrets(*, create: bool) -> None:
    """A workstation's secret key and data keys, kept under var/.

    `make run` (`gridgov start` with GRIDGOV_LOCAL_SECRETS on) generates them once; afterwards
    every `gridgov` command on that machine uses them unless the environment names its
    own, so `gridgov locate` or `gridgov shell` read the same data. Production sets
    GRIDGOV_SECRET_KEY(_FILE) and GRIDGOV_KEYS(_FILE) and never creates these files:
    without them it refuses to start.
    """
    import json
    import secrets

    var_dir = _var_dir()
    create = create and _may_create_secrets()
    if not (os.environ.get("GRIDGOV_SECRET_KEY") or os.environ.get("GRIDGOV_SECRET_KEY_FILE")):
        key_file = var_dir / "secret_key"
        if create and not key_file.exists():
            _write_private(key_file, secrets.token_urlsafe(50))
        if key_file.exists():
            os.environ["GRIDGOV_SECRET_KEY_FILE"] = str(key_file)
    if not (os.environ.get("GRIDGOV_KEYS") or os.environ.get("GRIDGOV_KEYS_FILE")):
        keys_file = var_dir / "keys.json"
        if create and not keys_file.exists():
            from gridgov.core.keys import generate_config

            _write_private(keys_file, json.dumps(generate_config(), indent=2))
        if keys_file.exists():
            os.environ["GRIDGOV_KEYS_FILE"] = str(keys_file)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    _local_secrets(create=len(sys.argv) > 1 and sys.argv[1] in {"start", "worker"})
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    # Operator commands are spelled with dashes (gridgov import-grids); Django's
    # management commands are module names with underscores.
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
