from django.db import models


class Row(models.Model):
    """One row per request: the least a "create something" endpoint can write."""

    text = models.TextField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return str(self.pk)
