"""Reading settings from the environment.

Every setting is ``GRIDGOV_<NAME>``; a secret may instead be given as
``GRIDGOV_<NAME>_FILE`` naming a file that holds it (Docker/Kubernetes secrets).
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

PREFIX = "GRIDGOV_"


def env(name: str, default: str | None = None) -> str | None:
    """The value of GRIDGOV_<name>, or of the file named by GRIDGOV_<name>_FILE."""
    value = os.environ.get(PREFIX + name)
    if value is not None:
        return value
    path = os.environ.get(PREFIX + name + "_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{PREFIX}{name}_FILE: cannot read {path}: {exc}") from exc
    return default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{PREFIX}{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{PREFIX}{name} must be a whole number, not {value!r}") from exc


def env_float(name: str, default: float) -> float:
    value = env(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{PREFIX}{name} must be a number, not {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = env(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]
