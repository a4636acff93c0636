"""The audit log: who did what to which object, when, from where — append-only and chained.

Write an event inside the transaction of the change it records::

    from gridgov.core import audit

    before = audit.snapshot(person)
    ...change and save person...
    old, new = audit.diff(before, audit.snapshot(person))
    audit.record(audit.AuditKind.DATA_CHANGED, actor=user, target=person, before=old, after=new)

``actor`` defaults to the user of the current request; the request id and client IP
come from the request context (``RequestIdMiddleware``). ``before``/``after``/``detail``
must hold no plaintext personal data: :func:`snapshot` masks encrypted fields, and
:func:`record` refuses strings that look like a resident ID or a mobile number.

Every row carries ``chain = HMAC-SM3(audit key, previous chain || canonical JSON of the
row)``; rows are numbered 1, 2, 3 … under a lock on :class:`AuditHead`, so a changed,
removed or inserted row breaks the chain at that row (:func:`verify`). Rows older than
``GRIDGOV_AUDIT_RETENTION_DAYS`` (at least 184) are removed oldest-first by
:func:`purge`, which moves the verification anchor past them.
"""

import ipaddress
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core import context, crypto, keys
from gridgov.core.fields import BlindIndexField, EncryptedTextField
from gridgov.core.models import AuditAnchor, AuditEvent, AuditHead, AuditPurge

GENESIS = "gridgov-audit-genesis-v1"
MIN_RETENTION_DAYS = 184  # 网络安全法 第二十一条: network logs kept no less than six months
HEAD_PK = 1
ANCHOR_PK = 1
# The fields the chain covers. ``actor`` (the FK) is left out on purpose: deleting a
# user sets it to NULL; the username copy is covered instead.
CHAINED_FIELDS = (
    "sequence",
    "at",
    "kind",
    "actor_username",
    "target_type",
    "target_id",
    "target_repr",
    "before",
    "after",
    "detail",
    "purpose",
    "request_id",
    "ip",
)
# Snapshots never include these, masked or not.
SNAPSHOT_EXCLUDED = frozenset({"password"})
TRIGGERS = {
    "sqlite": {"core_auditevent_no_update", "core_auditevent_no_delete"},
    "postgresql": {"core_auditevent_append_only"},
}


class AuditKind(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOCKOUT = "lockout", _("账户锁定")
    LOGOUT = "logout", _("退出登录")
    PASSWORD_CHANGED = "password_changed", _("修改密码")
    PASSWORD_RESET = "password_reset", _("重置密码")
    ACCOUNT_CREATED = "account_created", _("创建账户")
    ACCOUNT_CHANGED = "account_changed", _("修改账户")
    ACCOUNT_DISABLED = "account_disabled", _("停用账户")
    ACCOUNT_ENABLED = "account_enabled", _("启用账户")
    ROLE_GRANTED = "role_granted", _("授予岗位权限")
    ROLE_REVOKED = "role_revoked", _("撤销岗位权限")
    ACCESS_DENIED = "access_denied", _("越权访问被拒绝")
    DATA_CREATED = "data_created", _("新增数据")
    DATA_CHANGED = "data_changed", _("修改数据")
    DATA_DELETED = "data_deleted", _("删除数据")
    PII_UNMASKED = "pii_unmasked", _("查看完整个人信息")
    SENSITIVE_READ = "sensitive_read", _("查看敏感个人信息")
    EXPORT = "export", _("导出数据")
    IMPORT = "import", _("导入数据")
    CONFIG_CHANGED = "config_changed", _("修改配置")
    KEY_ROTATED = "key_rotated", _("轮换密钥")
    AUDIT_PURGED = "audit_purged", _("清理过期审计记录")


class UnmaskedPersonalData(ValueError):
    """An audit event would have stored a plaintext ID number or phone number."""


class AuditChainBroken(Exception):
    """The purge found a tampered row and refused to delete the evidence."""


@dataclass(frozen=True)
class Target:
    """An audit target that is not a model instance (an export, a report, a setting)."""

    type: str
    id: str = ""
    repr: str = ""


# --- Canonical form and chain -----------------------------------------------------------


def _number(value):
    # PostgreSQL's jsonb may give back 1e16 as the integer 10000000000000000: hash every
    # number as a float so the value read back hashes like the value written.
    try:
        return float(value)
    except OverflowError:
        return str(value)


def _canonical_value(value):
    if isinstance(value, dict):
        return {str(key): _canonical_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical_value(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return _number(value)
    return str(value)


def _canonical_ip(value) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return None


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(row: dict) -> bytes:
    """The bytes the chain covers, from a row (an event's fields or a ``values()`` dict)."""
    data = {name: row[name] for name in CHAINED_FIELDS}
    data["at"] = _iso(data["at"])
    data["ip"] = _canonical_ip(data["ip"])
    text = json.dumps(
        _canonical_value(data), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return text.encode("utf-8")


def chain_value(previous: str, row: dict) -> str:
    message = previous.encode("ascii") + b"\n" + canonical(row)
    return crypto.hmac_sm3(keys.audit_key(), message).hex()


def _row_of(event: AuditEvent) -> dict:
    return {name: getattr(event, name) for name in CHAINED_FIELDS}


# --- Recording --------------------------------------------------------------------------


def _without_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def _json(value):
    """Plain JSON data: dates, decimals and lazy strings become strings, tuples lists, and
    NUL characters go (PostgreSQL cannot store them)."""
    if value is None:
        return None
    text = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, allow_nan=False)
    return _without_nul(json.loads(text))


_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"(?![0-9A-Za-z])"
)
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _refuse_plaintext(event: AuditEvent) -> None:
    """Defence in depth: the audit log must never become a copy of personal data."""
    values = (event.before, event.after, event.detail, event.target_repr, event.target_id)
    values += (event.purpose,)
    for text in _strings(list(values)):
        if _ID_NUMBER.search(text) or _MOBILE.search(text):
            raise UnmaskedPersonalData(
                f"审计记录（{event.kind}）含有未脱敏的身份证号或手机号；请用 audit.snapshot() "
                "或 gridgov.core.masking 脱敏后再记录"
            )


def _registered(kind) -> str:
    try:
        return AuditKind(kind).value
    except ValueError:
        raise ValueError(f"unregistered audit event kind {kind!r}; add it to AuditKind") from None


def _describe_target(target) -> tuple[str, str, str]:
    """(type, id, repr). Models may define ``audit_target_id`` (a public code) and
    ``audit_repr()`` (masked wording); otherwise ``code`` or the primary key and str()."""
    if target is None:
        return "", "", ""
    if isinstance(target, Target):
        return target.type, target.id, target.repr
    meta = target._meta
    target_id = getattr(target, "audit_target_id", None)
    if target_id is None:
        has_code = any(f.name == "code" for f in meta.concrete_fields)
        target_id = target.code if has_code else target.pk
    describe = getattr(target, "audit_repr", None)
    return meta.label_lower, str(target_id), str(describe() if describe else target)


def _actor(actor):
    if actor is None:
        actor = context.current_user()
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor


def _initial_head() -> tuple[int, str]:
    """Where a missing head row starts: the last row, else the anchor, else genesis."""
    last = AuditEvent.objects.order_by("-sequence").values("sequence", "chain").first()
    if last:
        return last["sequence"], last["chain"]
    anchor = AuditAnchor.objects.filter(pk=ANCHOR_PK).first()
    if anchor and anchor.sequence:
        return anchor.sequence, anchor.chain
    return 0, GENESIS


def _lock_head() -> AuditHead:
    """The head row, locked until the surrounding transaction ends (creates it once)."""
    head = AuditHead.objects.select_for_update().filter(pk=HEAD_PK).first()
    if head is not None:
        return head
    sequence, chain = _initial_head()
    try:
        with transaction.atomic():
            AuditHead.objects.create(pk=HEAD_PK, last_sequence=sequence, chain=chain)
    except IntegrityError:
        pass  # another writer created it first; its row is now locked by us below
    return AuditHead.objects.select_for_update().get(pk=HEAD_PK)


def record(
    kind,
    *,
    actor=None,
    target=None,
    before=None,
    after=None,
    purpose: str = "",
    detail=None,
) -> AuditEvent:
    """Append one event. Call it inside the transaction of the change it records."""
    actor = _actor(actor)
    target_type, target_id, target_repr = _describe_target(target)
    event = AuditEvent(
        at=timezone.now(),
        kind=_registered(kind),
        actor=actor,
        actor_username=actor.get_username()[:150] if actor else "",
        target_type=target_type[:100],
        target_id=target_id[:100],
        target_repr=target_repr[:200],
        before=_json(before),
        after=_json(after),
        detail=_json(detail),
        purpose=str(purpose or "")[:200],
        request_id=(context.request_id.get() or "")[:64],
        ip=_canonical_ip(context.client_ip.get()),
    )
    _refuse_plaintext(event)
    # No savepoint: if writing the event fails, the caller's change must not commit either.
    with transaction.atomic(savepoint=False):
        head = _lock_head()
        event.sequence = head.last_sequence + 1
        event.chain = chain_value(head.chain, _row_of(event))
        event.save(force_insert=True)
        AuditHead.objects.filter(pk=HEAD_PK).update(last_sequence=event.sequence, chain=event.chain)
    return event


# --- Snapshots --------------------------------------------------------------------------


def snapshot(instance, *, fields=None, exclude=()) -> dict:
    """The instance's concrete fields as JSON data, encrypted fields masked.

    Blind indexes and passwords are left out. Foreign keys appear under the field name
    with the related primary key.
    """
    data = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in exclude or field.name in SNAPSHOT_EXCLUDED:
            continue
        if isinstance(field, BlindIndexField):
            continue
        value = getattr(instance, field.attname)
        if isinstance(field, EncryptedTextField):
            value = field.masked(value)
        data[field.name] = value
    return _json(data)


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, as (before, after)."""
    keys_ = sorted(set(before) | set(after))
    changed = [key for key in keys_ if before.get(key) != after.get(key)]
    return {k: before.get(k) for k in changed}, {k: after.get(k) for k in changed}


# --- Search -----------------------------------------------------------------------------


def search(qs=None, *, kind=None, actor=None, target=None, since=None, until=None, text=None):
    """Filter audit events, newest first. ``actor`` is a user or a username; ``target`` a
    model instance or a :class:`Target`; ``text`` matches object, account and purpose."""
    qs = AuditEvent.objects.all() if qs is None else qs
    if kind:
        qs = qs.filter(kind__in=[kind] if isinstance(kind, str) else list(kind))
    if actor is not None:
        username = actor if isinstance(actor, str) else actor.get_username()
        qs = qs.filter(actor_username=username)
    if target is not None:
        target_type, target_id, _repr = _describe_target(target)
        qs = qs.filter(target_type=target_type, target_id=target_id)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    if text:
        qs = qs.filter(
            Q(target_repr__icontains=text)
            | Q(target_id__icontains=text)
            | Q(actor_username__icontains=text)
            | Q(purpose__icontains=text)
        )
    return qs.order_by("-sequence")


# --- Verification -----------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify`. ``problem`` and ``sequence``/``at``/``kind`` name the
    first broken row; ``warnings`` are weakened guards (missing triggers, …)."""

    ok: bool
    count: int
    problem: str = ""
    sequence: int | None = None
    at: datetime | None = None
    kind: str = ""
    warnings: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.ok:
            return f"审计日志完整：{self.count} 条"
        lines = []
        if self.problem:
            where = ""
            if self.sequence is not None:
                at = timezone.localtime(self.at).isoformat(timespec="seconds") if self.at else "—"
                where = f"（序号 {self.sequence}，时间 {at}，类型 {self.kind or '—'}）"
            lines.append(f"审计日志异常：{self.problem}{where}")
        else:
            lines.append(f"审计链完整：{self.count} 条，但防篡改措施不完整")
        lines += [f"警告：{warning}" for warning in self.warnings]
        return "\n".join(lines)


def _anchor_state() -> tuple[int, str]:
    anchor = AuditAnchor.objects.filter(pk=ANCHOR_PK).first()
    return (anchor.sequence, anchor.chain) if anchor and anchor.sequence else (0, GENESIS)


def installed_triggers() -> set[str]:
    """The enabled append-only triggers present on the audit table."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'core_auditevent'"
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'core_auditevent'::regclass "
                "AND NOT tgisinternal AND tgenabled <> 'D'"
            )
        return {name for (name,) in cursor.fetchall()}


def _walk(anchor: tuple[int, str], chunk_size: int) -> Verification:
    head = AuditHead.objects.filter(pk=HEAD_PK).first()
    expected, previous = anchor[0] + 1, anchor[1]
    rows = AuditEvent.objects.filter(sequence__gt=anchor[0])
    if head is not None:  # rows appended while we walk are for the next run
        rows = rows.filter(sequence__lte=head.last_sequence)
    count = 0
    for row in rows.order_by("sequence").values(*CHAINED_FIELDS, "chain").iterator(chunk_size):
        where = {"sequence": row["sequence"], "at": row["at"], "kind": row["kind"]}
        if row["sequence"] != expected:
            gap = (
                f"{expected}–{row['sequence'] - 1}" if row["sequence"] > expected + 1 else expected
            )
            return Verification(False, count, f"序号 {gap} 的记录缺失（已被删除）", **where)
        if not crypto.constant_time_equal(chain_value(previous, row), row["chain"]):
            return Verification(False, count, "记录被篡改（链值不符）", **where)
        previous, expected, count = row["chain"], expected + 1, count + 1
    if head is not None and head.last_sequence >= expected:
        problem = f"序号 {expected}–{head.last_sequence} 的记录缺失（末尾被删除）"
        return Verification(False, count, problem, sequence=expected)
    if head is not None and head.last_sequence and head.chain != previous:
        return Verification(False, count, "链头与最后一条记录不符", sequence=head.last_sequence)
    return Verification(True, count)


def _guard_warnings() -> list[str]:
    warnings = []
    missing = TRIGGERS.get(connection.vendor, set()) - installed_triggers()
    if missing:
        warnings.append(f"防篡改触发器缺失或已停用：{', '.join(sorted(missing))}")
    if AuditPurge.objects.exists():
        warnings.append("清理标记残留（core_auditpurge 非空），删除不再受触发器阻止")
    return warnings


def verify(*, chunk_size: int = 2000) -> Verification:
    """Walk the chain from the anchor; report the first missing or tampered row.

    Streams the rows, so memory stays flat on millions of rows. Also reports missing or
    disabled triggers and a leftover purge marker (deletion would be unguarded).
    """
    for _attempt in range(2):
        anchor = _anchor_state()
        result = _walk(anchor, chunk_size)
        # A purge that moved the anchor while we walked makes rows vanish: walk again.
        if result.ok or _anchor_state() == anchor:
            break
    warnings = _guard_warnings()
    if warnings:
        result = replace(result, ok=False, warnings=tuple(warnings))
    return result


# --- Retention --------------------------------------------------------------------------


def retention_days() -> int:
    days = getattr(settings, "AUDIT_RETENTION_DAYS", 365)
    if days < MIN_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"GRIDGOV_AUDIT_RETENTION_DAYS 不得少于 {MIN_RETENTION_DAYS} 天（现为 {days}）"
        )
    return days


def _cutoff(now: datetime | None, days: int) -> datetime:
    return (now or timezone.now()) - timedelta(days=days)


def _purge_boundary(cutoff: datetime) -> int:
    """Rows before this sequence may go: the oldest run of rows all older than cutoff
    (a row with a skewed clock does not let a newer row go before it)."""
    first_kept = (
        AuditEvent.objects.filter(at__gte=cutoff)
        .order_by("sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    if first_kept is not None:
        return first_kept
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    return (last or 0) + 1


def purgeable(*, now: datetime | None = None) -> int:
    """How many rows a purge would remove now."""
    boundary = _purge_boundary(_cutoff(now, retention_days()))
    return AuditEvent.objects.filter(sequence__gt=_anchor_state()[0], sequence__lt=boundary).count()


def _purge_batch(boundary: int, batch_size: int, started: datetime) -> tuple[int, int]:
    """Delete up to batch_size rows after the anchor; return (count, last sequence)."""
    with transaction.atomic():
        _lock_head()  # no writer or other purge runs meanwhile
        anchor, _created = AuditAnchor.objects.select_for_update().get_or_create(
            pk=ANCHOR_PK, defaults={"sequence": 0, "chain": GENESIS}
        )
        start, previous = (anchor.sequence, anchor.chain) if anchor.sequence else (0, GENESIS)
        rows = list(
            AuditEvent.objects.filter(sequence__gt=start, sequence__lt=boundary)
            .order_by("sequence")
            .values(*CHAINED_FIELDS, "chain")[:batch_size]
        )
        if not rows:
            return 0, start
        expected = start + 1
        for row in rows:  # never destroy evidence: purge only an intact chain
            if row["sequence"] != expected or chain_value(previous, row) != row["chain"]:
                raise AuditChainBroken(
                    f"审计日志在序号 {row['sequence']} 处异常，已停止清理；请先运行 gridgov audit verify"
                )
            previous, expected = row["chain"], expected + 1
        last = rows[-1]
        marker = AuditPurge.objects.create(started_at=started)
        doomed = AuditEvent.objects.filter(sequence__gt=start, sequence__lte=last["sequence"])
        doomed._raw_delete(doomed.db)
        marker.delete()  # before commit: outside a purge the triggers guard again
        anchor.sequence, anchor.chain, anchor.purged_at = last["sequence"], last["chain"], started
        anchor.save()
    return len(rows), last["sequence"]


def purge(*, now: datetime | None = None, batch_size: int = 5000, actor=None) -> int:
    """Delete rows older than the retention period, oldest first; return how many.

    Each batch is its own transaction (writers wait at most one batch). Records an
    ``audit_purged`` event when anything was removed.
    """
    days = retention_days()
    started = timezone.now()
    cutoff = _cutoff(now, days)
    boundary = _purge_boundary(cutoff)
    total, through = 0, 0
    while True:
        count, last = _purge_batch(boundary, batch_size, started)
        if not count:
            break
        total, through = total + count, last
    if total:
        record(
            AuditKind.AUDIT_PURGED,
            actor=actor,
            detail={
                "count": total,
                "through_sequence": through,
                "cutoff": _iso(cutoff),
                "retention_days": days,
            },
        )
    return total


@contextmanager
def allow_delete(using: str = "default"):
    """Let raw deletes through the triggers inside this block (the test runner's flush,
    see ``core/management/commands/flush.py``). Never use it in the product."""
    with transaction.atomic(using=using):
        marker = AuditPurge.objects.using(using).create(started_at=timezone.now())
        yield
        marker.delete(using=using)
