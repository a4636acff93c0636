"""A database dump holds no plaintext ID number or phone of an encrypted field."""

from io import StringIO

from django.core.management import call_command
from django.db import connection

from gridgov.accounts.models import User
from gridgov.core.fields import blind_lookup

ID_NUMBER = "11010519491231002X"  # the published GB 11643 sample, fictitious
PHONE = "13907771234"


def every_row_as_text() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_no_table_and_no_dump_contains_the_plaintext(db):
    user = User.objects.create_user(
        "li", password="x", full_name="李四", phone=PHONE, id_number=ID_NUMBER.lower()
    )
    raw = every_row_as_text()
    assert PHONE not in raw and ID_NUMBER not in raw and ID_NUMBER.lower() not in raw
    out = StringIO()
    call_command("dumpdata", "accounts", "core", stdout=out)
    assert PHONE not in out.getvalue() and ID_NUMBER not in out.getvalue()
    # …and yet the application reads it, and finds the account by exact value.
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.phone, fresh.id_number) == (PHONE, ID_NUMBER)  # stored normalised
    assert User.objects.get(**blind_lookup(User, "id_number", ID_NUMBER)) == user
    assert User.objects.get(**blind_lookup(User, "phone", "+86 139-0777-1234")) == user
