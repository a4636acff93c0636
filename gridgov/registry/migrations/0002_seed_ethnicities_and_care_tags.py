"""Seed the ethnicities (GB/T 3304) and the care-tag kinds with their visibility rules.

Both are data: a city edits the care-tag kinds (who may see which) without a release.
"""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def seed(apps, schema_editor):
    Ethnicity = apps.get_model("registry", "Ethnicity")
    CareTagKind = apps.get_model("registry", "CareTagKind")
    ethnicities = json.loads((DATA / "ethnicities.json").read_text(encoding="utf-8"))
    for row in ethnicities["ethnicities"]:
        Ethnicity.objects.update_or_create(code=row["code"], defaults={"name": row["name"]})
    kinds = json.loads((DATA / "care_tag_kinds.json").read_text(encoding="utf-8"))
    for row in kinds["care_tag_kinds"]:
        code = row.pop("code")
        CareTagKind.objects.get_or_create(code=code, defaults=row)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
