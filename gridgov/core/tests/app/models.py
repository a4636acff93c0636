"""Models exercising the encrypted fields in tests."""

from django.db import models

from gridgov.core.fields import (
    BlindIndexField,
    EncryptedTextField,
    normalise_id_number,
    normalise_phone,
)
from gridgov.core.masking import mask_id_number, mask_name, mask_phone
from gridgov.core.querysets import RestrictedManager


class Resident(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = EncryptedTextField(blank=True, mask=mask_name)
    id_number = EncryptedTextField(
        blank=True,
        null=True,
        blind_index="id_number_index",
        normalise=normalise_id_number,
        mask=mask_id_number,
    )
    id_number_index = BlindIndexField()
    phone = EncryptedTextField(
        blank=True, blind_index="phone_index", normalise=normalise_phone, mask=mask_phone
    )
    phone_index = BlindIndexField()
    note = models.CharField(max_length=50, blank=True)

    objects = RestrictedManager()

    def __str__(self) -> str:
        return self.code


class Pet(models.Model):
    """A second table: a ciphertext copied here from Resident must not decrypt."""

    owner = models.ForeignKey(Resident, on_delete=models.CASCADE, null=True)
    name = EncryptedTextField(blank=True)

    def __str__(self) -> str:
        return f"pet {self.pk}"
