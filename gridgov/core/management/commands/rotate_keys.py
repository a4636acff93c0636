"""`gridgov rotate-keys`: re-encrypt every encrypted field with the current data key.

Safe to interrupt and to run again: a row is rewritten only when one of its tokens
carries an older key id or its blind index differs from the one the current index key
gives. Each batch is one transaction with its rows locked, so a concurrent edit is not
overwritten with an older value.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models.functions import Cast

from gridgov.core import audit, crypto, keys
from gridgov.core.fields import encrypted_fields


@dataclass
class Tally:
    label: str
    rows: int = 0
    rewritten: int = 0
    by_kid: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def _raw_name(f) -> str:
    return f"rawtoken_{f.attname}"


def _row_update(row: dict, fields, current: str, tally: Tally) -> dict | None:
    """The new plaintext values and indexes of one row, or None if it is up to date."""
    values, stale = {}, False
    for f in fields:
        token = row[_raw_name(f)]
        plaintext = token
        if token:
            kid = crypto.token_kid(token)
            tally.by_kid[kid] += 1
            stale |= kid != current
            plaintext = crypto.decrypt(token, context=f.context)
        values[f.attname] = plaintext
        if f.blind_index:
            index = f.index_of(plaintext)
            stale |= row[f.blind_index] != index
            values[f.blind_index] = index
    return values if stale else None


def _rotate_batch(model, fields, after, batch_size, current, tally, dry_run):
    """One transaction: read (locked), decide, rewrite. Returns the last pk or None."""
    raw = {_raw_name(f): Cast(f.attname, output_field=models.TextField()) for f in fields}
    indexes = [f.blind_index for f in fields if f.blind_index]
    with transaction.atomic():
        qs = model._base_manager.order_by("pk")
        if after is not None:
            qs = qs.filter(pk__gt=after)
        if not dry_run:
            qs = qs.select_for_update()
        rows = list(qs.annotate(**raw).values("pk", *raw, *indexes)[:batch_size])
        if not rows:
            return None
        updates = []
        for row in rows:
            try:
                values = _row_update(row, fields, current, tally)
            except crypto.DecryptionError as exc:
                tally.failures.append(f"{tally.label} #{row['pk']}：{exc}")
                continue
            if values is not None:
                updates.append(model(pk=row["pk"], **values))
        tally.rows += len(rows)
        tally.rewritten += len(updates)
        if updates and not dry_run:
            names = [f.attname for f in fields] + indexes
            model._base_manager.bulk_update(updates, names)
    return rows[-1]["pk"]


def rotate_model(model, *, batch_size: int = 500, dry_run: bool = False) -> Tally:
    fields = encrypted_fields(model)
    current, _key = keys.current_data_key()
    tally = Tally(model._meta.label)
    after = None
    while True:
        after = _rotate_batch(model, fields, after, batch_size, current, tally, dry_run)
        if after is None:
            return tally


def models_with_encrypted_fields():
    return [
        model
        for model in apps.get_models()
        if not model._meta.proxy and model._meta.managed and encrypted_fields(model)
    ]


class Command(BaseCommand):
    help = "用当前数据密钥重新加密所有加密字段，并重算盲索引（可重复运行）"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计，不改写")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        dry_run, batch_size = options["dry_run"], options["batch_size"]
        current, _key = keys.current_data_key()
        self.stdout.write(f"当前数据密钥：{current}")
        tallies = [
            rotate_model(model, batch_size=batch_size, dry_run=dry_run)
            for model in models_with_encrypted_fields()
        ]
        for tally in tallies:
            self.report(tally, dry_run)
        old = sum(n for t in tallies for kid, n in t.by_kid.items() if kid != current)
        rewritten = sum(t.rewritten for t in tallies)
        if dry_run:
            self.stdout.write(f"演练：需重新加密 {rewritten} 行，使用旧密钥的密文 {old} 个")
        else:
            self.stdout.write(self.style.SUCCESS(f"已重新加密 {rewritten} 行"))
            if rewritten:
                audit.record(
                    audit.AuditKind.KEY_ROTATED,
                    detail={
                        "current_kid": current,
                        "rewritten": {t.label: t.rewritten for t in tallies if t.rewritten},
                    },
                )
        failures = [line for t in tallies for line in t.failures]
        if failures:
            shown = "\n".join(failures[:20])
            raise CommandError(
                f"{len(failures)} 个密文无法解密（未改写，旧密钥仍须保留）：\n{shown}",
                returncode=1,
            )

    def report(self, tally: Tally, dry_run: bool) -> None:
        kids = "，".join(f"密钥 {kid} {n} 个" for kid, n in sorted(tally.by_kid.items()))
        kids = f"原有密文：{kids}" if kids else "无密文"
        verb = "需重新加密" if dry_run else "重新加密"
        self.stdout.write(
            f"{tally.label}：检查 {tally.rows} 行，{verb} {tally.rewritten} 行（{kids}）"
        )
