"""Model fields for personal data: encrypted at rest, exact search through a blind index.

Usage::

    from gridgov.core.fields import (
        BlindIndexField, EncryptedTextField, blind_lookup, normalise_id_number)
    from gridgov.core.masking import mask_id_number

    class Person(models.Model):
        id_number = EncryptedTextField(
            "身份证号", blank=True, blind_index="id_number_index",
            normalise=normalise_id_number, mask=mask_id_number)
        id_number_index = BlindIndexField()

    Person.objects.filter(**blind_lookup(Person, "id_number", "45070219900101123x"))

What is stored is the token of :func:`gridgov.core.crypto.encrypt` with the context
``app_label.Model.field`` (pin it with ``context=`` before renaming a model or field,
or the old ciphertexts no longer decrypt). The Python value is the plaintext (or None).

An encrypted column is **not searchable or sortable**: every encryption uses a fresh
random nonce, so equal values have different ciphertexts, and their order means nothing.
Lookups other than ``isnull`` (and ``= ""``) raise ``FieldError``; search by the blind
index, sort by another column. ``unique=True`` and ``db_index=True`` are refused for the
same reason; put a unique constraint on the blind index instead.

The blind index is filled in ``pre_save``, i.e. by ``save()``, ``create()`` and
``bulk_create()``. ``QuerySet.update()`` and ``bulk_update()`` do not call ``pre_save``:
after them call ``field.sync(instance)`` and save the index too, or use ``save()``.
Empty strings are stored as empty strings (emptiness is not a secret) and index as NULL.

``dumpdata`` writes the ciphertext, not the plaintext; ``loaddata`` accepts both.
"""

import re
from collections.abc import Callable

from django import forms
from django.core import checks, exceptions
from django.db import models
from django.db.models.lookups import Exact, IsNull

from gridgov.core import crypto
from gridgov.core.masking import mask_all


def normalise_id_number(value: str) -> str:
    """Mainland resident ID numbers: no spaces, the check character ``X`` upper-case."""
    return re.sub(r"\s+", "", crypto.normalise_text(value)).upper()


def normalise_phone(value: str) -> str:
    """Phone numbers: no spaces, dashes, dots or brackets, no ``+86``/``0086`` prefix."""
    digits = re.sub(r"[\s\-().]", "", crypto.normalise_text(value))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            return digits[len(prefix) :]
    if digits.startswith("86") and len(digits) == 13:  # 86 + an 11-digit mobile number
        return digits[2:]
    return digits


class _EncryptedExact(Exact):
    """``= None`` and ``= ""`` are fine; anything else cannot match a ciphertext."""

    def __init__(self, lhs, rhs):
        if rhs is not None and rhs != "":
            raise exceptions.FieldError(_not_searchable(lhs.output_field))
        super().__init__(lhs, rhs)


def _not_searchable(field) -> str:
    hint = (
        f"use blind_lookup({field.model.__name__}, {field.name!r}, value)"
        if getattr(field, "blind_index", None)
        else "add a BlindIndexField to search it"
    )
    return f"{field.model.__name__}.{field.name} is encrypted and cannot be searched: {hint}"


class EncryptedTextField(models.TextField):
    """A text column holding an SM4-GCM token; see the module docstring."""

    description = "Encrypted text (SM4-GCM)"

    def __init__(
        self,
        *args,
        blind_index: str | None = None,
        normalise: Callable[[str], str] | None = None,
        mask: Callable[[str | None], str] = mask_all,
        context: str | None = None,
        **kwargs,
    ):
        self.blind_index = blind_index
        self.normalise = normalise
        self.mask = mask
        self.pinned_context = context
        super().__init__(*args, **kwargs)

    # --- model wiring ---

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.context = self.pinned_context or f"{cls._meta.app_label}.{cls.__name__}.{name}"

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        # What the stored data depends on goes into migrations; the mask is presentation.
        if self.blind_index:
            kwargs["blind_index"] = self.blind_index
        if self.normalise is not None:
            kwargs["normalise"] = self.normalise
        if self.pinned_context:
            kwargs["context"] = self.pinned_context
        return name, path, args, kwargs

    def check(self, **kwargs):
        return [*super().check(**kwargs), *self._check_searchability(), *self._check_index()]

    def _check_searchability(self):
        if self.unique or self.db_index:
            return [
                checks.Error(
                    "An EncryptedTextField cannot be unique or indexed (ciphertexts differ "
                    "for equal values).",
                    hint="Put the constraint or index on its BlindIndexField.",
                    obj=self,
                    id="core.E101",
                )
            ]
        return []

    def _check_index(self):
        if not self.blind_index:
            return []
        try:
            sibling = self.model._meta.get_field(self.blind_index)
        except exceptions.FieldDoesNotExist:
            sibling = None
        if not isinstance(sibling, BlindIndexField):
            return [
                checks.Error(
                    f"blind_index={self.blind_index!r} must name a BlindIndexField of "
                    f"{self.model.__name__}.",
                    obj=self,
                    id="core.E102",
                )
            ]
        return []

    # --- values ---

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value, context=self.context)

    def to_python(self, value):
        """Plaintext stays; a token (from dumpdata) is decrypted."""
        if crypto.is_token(value):
            try:
                return crypto.decrypt(value, context=self.context)
            except crypto.DecryptionError as exc:
                raise exceptions.ValidationError(str(exc), code="invalid") from exc
        return super().to_python(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value, context=self.context)

    def value_to_string(self, obj):
        """Serialisers (dumpdata) get the ciphertext: exports hold no plaintext."""
        value = self.value_from_object(obj)
        if value is None or value == "":
            return value
        return crypto.encrypt(value, context=self.context)

    def normalised(self, value):
        if value is None or value == "" or self.normalise is None:
            return value
        return self.normalise(crypto.normalise_text(value))

    def index_of(self, value) -> str | None:
        """The blind index of a plaintext (None for None or empty)."""
        if value is None or value == "":
            return None
        return crypto.blind_index(value, context=self.context, normalise=self.normalise)

    def sync(self, instance) -> None:
        """Normalise the instance's value and fill its blind index (no database write)."""
        value = self.normalised(getattr(instance, self.attname))
        setattr(instance, self.attname, value)
        if self.blind_index:
            setattr(instance, self.blind_index, self.index_of(value))

    def pre_save(self, model_instance, add):
        self.sync(model_instance)
        return getattr(model_instance, self.attname)

    def masked(self, value) -> str:
        return self.mask(value)

    # --- queries ---

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return _EncryptedExact
        if lookup_name == "isnull":
            return IsNull
        raise exceptions.FieldError(_not_searchable(self))

    def get_transform(self, lookup_name):
        return None

    def formfield(self, **kwargs):
        # Encrypted values are short (numbers, names): a single-line input, not a textarea.
        defaults = {"form_class": forms.CharField, "widget": forms.TextInput}
        defaults.update(kwargs)
        return super().formfield(**defaults)


class BlindIndexField(models.CharField):
    """The HMAC-SM3 blind index of an EncryptedTextField (64 hex characters, indexed).

    Filled by the encrypted field named in its ``blind_index=``; never edited by hand.
    """

    description = "Blind index (HMAC-SM3)"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    # Our defaults differ from CharField's; migrations record only departures from ours.
    _OURS = {"max_length": 64, "db_index": True, "null": True, "blank": True, "editable": False}
    _DJANGO = {"db_index": False, "null": False, "blank": False, "editable": True}

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for key, ours in self._OURS.items():
            value = kwargs.get(key, self._DJANGO.get(key))
            if value == ours:
                kwargs.pop(key, None)
            else:
                kwargs[key] = value
        return name, path, args, kwargs


def encrypted_fields(model) -> list[EncryptedTextField]:
    """The encrypted fields stored in ``model``'s own table."""
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField) and field.model is model
    ]


def blind_lookup(model, field_name: str, value: str) -> dict[str, str | None]:
    """Filter kwargs for an exact search: ``Model.objects.filter(**blind_lookup(...))``."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, EncryptedTextField) or not field.blind_index:
        raise exceptions.FieldError(f"{model.__name__}.{field_name} has no blind index")
    return {field.blind_index: field.index_of(value)}
