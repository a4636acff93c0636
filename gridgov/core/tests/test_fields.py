"""EncryptedTextField, BlindIndexField, blind_lookup and `gridgov rotate-keys`."""

import base64
import json

import pytest
from django.core import checks, serializers
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models
from django.db.migrations.writer import MigrationWriter
from django.test.utils import isolate_apps

from gridgov.core import crypto, keys
from gridgov.core.fields import (
    BlindIndexField,
    EncryptedTextField,
    blind_lookup,
    normalise_id_number,
    normalise_phone,
)
from gridgov.core.models import AuditEvent
from gridgov.core.tests.app.models import Pet, Resident

ID = "11010519491231002X"


def raw_column(model, column: str, pk) -> str | None:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [pk]
        )
        return cursor.fetchone()[0]


@pytest.fixture
def resident(db):
    return Resident.objects.create(code="R1", name="张三", id_number=ID, phone="13812345678")


# --- storage ---


def test_the_database_holds_tokens_and_the_model_plaintext(resident):
    token = raw_column(Resident, "phone", resident.pk)
    assert token.startswith("s4g1:1:") and "13812345678" not in token
    assert ID not in raw_column(Resident, "id_number", resident.pk)
    fresh = Resident.objects.get(pk=resident.pk)
    assert (fresh.name, fresh.id_number, fresh.phone) == ("张三", ID, "13812345678")


def test_none_and_empty_are_stored_as_such(db):
    resident = Resident.objects.create(code="R2", id_number=None, phone="")
    assert raw_column(Resident, "id_number", resident.pk) is None
    assert raw_column(Resident, "phone", resident.pk) == ""
    fresh = Resident.objects.get(pk=resident.pk)
    assert fresh.id_number is None and fresh.phone == "" and fresh.phone_index is None


def test_a_ciphertext_moved_to_another_column_does_not_decrypt(resident):
    pet = Pet.objects.create(owner=resident, name="旺财")
    token = raw_column(Resident, "name", resident.pk)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE coretests_pet SET name = %s WHERE id = %s", [token, pet.pk])
    with pytest.raises(crypto.DecryptionError, match=r"coretests\.Pet\.name"):
        Pet.objects.get(pk=pet.pk)


def test_values_are_normalised_before_they_are_stored(db):
    resident = Resident.objects.create(
        code="R3", id_number=" 11010519491231002x ", phone="+86 138-1234-5678"
    )
    fresh = Resident.objects.get(pk=resident.pk)
    assert fresh.id_number == ID and fresh.phone == "13812345678"


# --- search ---


def test_exact_search_goes_through_the_blind_index(resident):
    Resident.objects.create(code="R9", id_number="11010519491231003X", phone="13900000000")
    assert resident.phone_index and len(resident.phone_index) == 64
    for typed in ("13812345678", "+86 138 1234 5678", "138-1234-5678", "8613812345678"):
        assert list(Resident.objects.filter(**blind_lookup(Resident, "phone", typed))) == [resident]
    found = Resident.objects.filter(**blind_lookup(Resident, "id_number", "11010519491231002x"))
    assert list(found) == [resident]
    assert not Resident.objects.filter(**blind_lookup(Resident, "phone", "13812345679")).exists()


def test_the_index_of_one_column_does_not_match_another(db):
    a = Resident.objects.create(code="A", id_number="13812345678")
    b = Resident.objects.create(code="B", phone="13812345678")
    assert a.id_number_index != b.phone_index


def test_encrypted_columns_refuse_lookups_that_cannot_work(resident):
    with pytest.raises(FieldError, match="blind_lookup"):
        Resident.objects.filter(phone="13812345678")
    with pytest.raises(FieldError, match="cannot be searched"):
        Resident.objects.filter(phone__startswith="138")
    with pytest.raises(FieldError, match="add a BlindIndexField"):
        Resident.objects.filter(name__in=["张三"])
    with pytest.raises(FieldError, match="has no blind index"):
        blind_lookup(Resident, "name", "张三")
    assert Resident.objects.filter(id_number__isnull=False).count() == 1
    assert Resident.objects.filter(id_number=None).count() == 0
    assert Resident.objects.filter(phone="").count() == 0


def test_update_bypasses_the_index_and_sync_repairs_it(resident):
    Resident.objects.filter(pk=resident.pk).update(phone="13900000000")
    assert not Resident.objects.filter(**blind_lookup(Resident, "phone", "13900000000")).exists()
    fresh = Resident.objects.get(pk=resident.pk)
    Resident._meta.get_field("phone").sync(fresh)
    fresh.save(update_fields=["phone_index"])
    assert Resident.objects.filter(**blind_lookup(Resident, "phone", "13900000000")).get() == fresh


# --- masking, forms, serialisation ---


def test_each_field_masks_by_its_own_rule(resident):
    def masked(name):
        field = Resident._meta.get_field(name)
        return field.masked(getattr(resident, name))

    assert masked("phone") == "138****5678"
    assert masked("id_number") == "110***********002X"
    assert masked("name") == "张*"
    assert Pet._meta.get_field("name").masked("旺财") == "******"


def test_form_fields_are_single_line_inputs():
    from django import forms

    formfield = Resident._meta.get_field("phone").formfield()
    assert isinstance(formfield, forms.CharField)
    assert isinstance(formfield.widget, forms.TextInput)


def test_dumpdata_writes_ciphertext_and_loaddata_reads_it(resident):
    dumped = serializers.serialize("json", Resident.objects.all())
    assert "13812345678" not in dumped and "张三" not in dumped and "s4g1:" in dumped
    Resident.objects.all().delete()
    for obj in serializers.deserialize("json", dumped):
        obj.save()
    fresh = Resident.objects.get(code="R1")
    assert (fresh.name, fresh.phone) == ("张三", "13812345678")
    assert Resident.objects.filter(**blind_lookup(Resident, "phone", "13812345678")).exists()


def test_the_fields_serialise_in_migrations():
    field = Resident._meta.get_field("id_number")
    _name, path, args, kwargs = field.deconstruct()
    assert path == "gridgov.core.fields.EncryptedTextField"
    assert kwargs["blind_index"] == "id_number_index"
    assert kwargs["normalise"] is normalise_id_number
    assert "mask" not in kwargs  # presentation, not storage
    source, _imports = MigrationWriter.serialize(field)
    assert "gridgov.core.fields.normalise_id_number" in source
    rebuilt = EncryptedTextField(*args, **kwargs)
    assert rebuilt.deconstruct()[3] == kwargs

    index = Resident._meta.get_field("phone_index")
    assert index.deconstruct()[3] == {}
    assert BlindIndexField(db_index=False).deconstruct()[3] == {"db_index": False}
    source, _imports = MigrationWriter.serialize(EncryptedTextField(context="accounts.User.phone"))
    assert "context='accounts.User.phone'" in source


def test_a_pinned_context_survives_a_rename():
    with isolate_apps("gridgov.core.tests.app"):

        class Renamed(models.Model):
            mobile = EncryptedTextField(context="coretests.Resident.phone")

            class Meta:
                app_label = "coretests"

            def __str__(self):
                return "renamed"

    token = crypto.encrypt("13812345678", context="coretests.Resident.phone")
    field = Renamed._meta.get_field("mobile")
    assert field.from_db_value(token, None, connection) == "13812345678"


def test_field_checks_refuse_unique_and_a_wrong_index_name():
    with isolate_apps("gridgov.core.tests.app"):

        class Broken(models.Model):
            secret = EncryptedTextField(unique=True)
            other = EncryptedTextField(blind_index="nowhere")

            class Meta:
                app_label = "coretests"

            def __str__(self):
                return "broken"

    ids = {error.id for error in Broken.check() if error.level >= checks.ERROR}
    assert {"core.E101", "core.E102"} <= ids


def test_normalisers():
    assert normalise_id_number(" 110105 19491231 002x ") == ID
    assert normalise_id_number("１１０１０５１９４９１２３１００２ｘ") == ID  # full-width
    assert normalise_phone("+86 138-1234-5678") == "13812345678"
    assert normalise_phone("0086 13812345678") == "13812345678"
    assert normalise_phone("8613812345678") == "13812345678"
    assert normalise_phone("(0777) 234-5678") == "07772345678"


# --- key rotation ---


def key_config(current: str, index: bytes = b"i" * 32) -> dict:
    data = {kid: base64.b64encode(kid.encode().ljust(16, b"k")).decode() for kid in ("1", "2")}
    return {
        "data": {"current": current, "keys": data},
        "index": base64.b64encode(index).decode(),
        "audit": base64.b64encode(b"a" * 32).decode(),
    }


@pytest.fixture
def use_keys(monkeypatch):
    def apply(config: dict) -> None:
        monkeypatch.setenv("GRIDGOV_KEYS", json.dumps(config))
        keys.reset()

    yield apply
    keys.reset()


def kids_in_table() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, id_number, phone FROM coretests_resident")
        return {crypto.token_kid(token) for row in cursor.fetchall() for token in row if token}


def test_rotate_keys_reencrypts_everything_with_the_current_key(db, use_keys, capsys):
    use_keys(key_config(current="1"))
    for n in range(5):
        Resident.objects.create(
            code=f"R{n}", name=f"居民{n}", id_number=None, phone=f"1380000000{n}"
        )
    Pet.objects.create(name="旺财")
    assert kids_in_table() == {"1"}

    use_keys(key_config(current="2"))
    call_command("rotate_keys", "--dry-run", "--batch-size", "2")
    assert "需重新加密 6 行" in capsys.readouterr().out
    assert kids_in_table() == {"1"}  # a dry run writes nothing

    call_command("rotate_keys", "--batch-size", "2")
    out = capsys.readouterr().out
    assert "coretests.Resident：检查 5 行，重新加密 5 行（原有密文：密钥 1 10 个）" in out
    assert "已重新加密 6 行" in out
    assert kids_in_table() == {"2"}
    assert [r.phone for r in Resident.objects.order_by("code")] == [
        f"1380000000{n}" for n in range(5)
    ]
    assert Pet.objects.get().name == "旺财"
    event = AuditEvent.objects.get(kind="key_rotated")
    assert event.detail["current_kid"] == "2"

    call_command("rotate_keys")
    assert "已重新加密 0 行" in capsys.readouterr().out  # idempotent


def test_rotate_keys_recomputes_blind_indexes_for_a_new_index_key(db, use_keys):
    use_keys(key_config(current="1"))
    resident = Resident.objects.create(code="R1", phone="13812345678")
    use_keys(key_config(current="1", index=b"j" * 32))
    assert not Resident.objects.filter(**blind_lookup(Resident, "phone", "13812345678")).exists()
    call_command("rotate_keys")
    assert (
        Resident.objects.filter(**blind_lookup(Resident, "phone", "13812345678")).get() == resident
    )


def test_rotate_keys_reports_undecryptable_values_and_rotates_the_rest(db, use_keys):
    use_keys(key_config(current="1"))
    good = Resident.objects.create(code="R1", phone="13812345678")
    bad = Resident.objects.create(code="R2", phone="13900000000")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE coretests_resident SET phone = %s WHERE id = %s",
            [raw_column(Resident, "phone", good.pk), bad.pk],
        )  # a token copied between rows still decrypts (same context), so break it
        cursor.execute(
            "UPDATE coretests_resident SET name = %s WHERE id = %s",
            [crypto.encrypt("x", context="elsewhere.X.y"), bad.pk],
        )
    use_keys(key_config(current="2"))
    with pytest.raises(
        CommandError, match=rf"1 个密文无法解密[\s\S]*coretests\.Resident #{bad.pk}"
    ):
        call_command("rotate_keys")
    assert crypto.token_kid(raw_column(Resident, "phone", good.pk)) == "2"
