"""What a user is shown of a record: masked on the server (core.masking), always.

Pages and the API both use these functions, so no template or schema can print a
plaintext ID number, phone or name by mistake. The full value comes only through
``masking.reveal`` (audited, daily limit).
"""

import functools
import json
from pathlib import Path

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from gridgov.core.masking import mask_id_number, mask_name, mask_phone
from gridgov.registry.choices import (
    DocumentType,
    Gender,
    PersonCategory,
    PersonEventKind,
    RecordKind,
    Relation,
)


def mask_document(id_type: str, number: str) -> str:
    return mask_id_number(number)


def person_summary(person) -> dict:
    return {
        "id": person.public_id,
        "name": mask_name(person.name),
        "id_type": person.id_type,
        "id_type_label": str(DocumentType(person.id_type).label),
        "id_number": mask_document(person.id_type, person.id_number),
        "gender": str(Gender(person.gender).label),
        "birth_year": person.birth_date.year if person.birth_date else None,
        "phone": mask_phone(person.phone) if person.phone else "",
        "category": person.category,
        "category_label": str(PersonCategory(person.category).label),
        "status": person.status,
        "status_label": person.get_status_display(),
        "grid": person.grid.code,
        "grid_name": person.grid.name,
        "residence": person.residence.full_name if person.residence else "",
        "residence_code": person.residence.code if person.residence else "",
        "version": person.version,
    }


def person_detail(person) -> dict:
    data = person_summary(person)
    data.update(
        {
            "birth_date": None,  # the year is enough unless revealed with the ID number
            "ethnicity": person.ethnicity.name if person.ethnicity else "",
            "nationality": person.nationality,
            "nationality_label": nationality_name(person.nationality),
            "hukou_place": person.hukou_place,
            "household": person.household.public_id if person.household else "",
            "relation": person.relation,
            "relation_label": str(Relation(person.relation).label) if person.relation else "",
            "residence_start": person.residence_start,
            "residence_end": person.residence_end,
            "verified_at": person.verified_at,
        }
    )
    return data


def submission_data(kind: str, data: dict) -> dict:
    """A submission's proposed data with personal fields masked (for verifiers)."""

    def person(member: dict) -> dict:
        masked = dict(member)
        masked["name"] = mask_name(member.get("name", ""))
        masked["id_number"] = mask_id_number(member.get("id_number", ""))
        masked["phone"] = mask_phone(member["phone"]) if member.get("phone") else ""
        masked.pop("birth_date", None)
        return masked

    if kind == "person":
        return person(data)
    if kind == "household":
        return {**data, "members": [person(m) for m in data.get("members", [])]}
    if kind == "unit":
        masked = dict(data)
        if masked.get("contact_phone"):
            masked["contact_phone"] = mask_phone(masked["contact_phone"])
        masked["legal_representative"] = mask_name(masked.get("legal_representative", ""))
        masked["contact_name"] = mask_name(masked.get("contact_name", ""))
        return masked
    return dict(data)


# Labels for people --------------------------------------------------------------------

NATIONALITIES_FILE = Path(__file__).resolve().parent / "data" / "nationalities.json"


@functools.cache
def _nationalities() -> tuple[dict, ...]:
    return tuple(json.loads(NATIONALITIES_FILE.read_text(encoding="utf-8"))["nationalities"])


def nationality_choices() -> list[tuple[str, str]]:
    """The common nationalities offered in forms, in the data file's order."""
    english = get_language() and not get_language().startswith("zh")
    return [(row["code"], row["name_en"] if english else row["name"]) for row in _nationalities()]


def nationality_name(code: str) -> str:
    """国籍 by its ISO alpha-3 code: the name for a known code, else the code itself."""
    return dict(nationality_choices()).get((code or "").upper(), code or "")


def is_change(sub) -> bool:
    """Whether a submission changes an existing record (变更) rather than collects a new one
    (采集), as it was when submitted: ``record_id`` is set on verification, so it cannot
    tell. A change carries the version it was based on; a version kept for a household
    member (created verified, without a base) is a change when it is not the first."""
    return sub.base_version is not None or (sub.version or 0) > 1


# A submission's data for the verifier ---------------------------------------------------

# Keys that are not fields of the record's model.
EXTRA_LABELS = {
    "event": gettext_lazy("人口变动"),
    "person": gettext_lazy("已登记人员"),
    "members": gettext_lazy("成员"),
}
MONO = {"id_number", "phone", "contact_phone", "credit_code", "registration_number"}


def _field(model, key):
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def _label(model, key) -> str:
    field = _field(model, key)
    if field is None and key in EXTRA_LABELS:
        return str(EXTRA_LABELS[key])
    return str(field.verbose_name) if field is not None else key


class _Lookups:
    """Readable names of the codes and ids a submission refers to, found in one query per
    kind and only within what the viewer may see (else the code is shown)."""

    def __init__(self, user):
        self.user = user
        self.wanted: dict[str, set] = {}
        self.found: dict[str, dict] = {}

    def want(self, kind: str, value) -> None:
        if value:
            self.wanted.setdefault(kind, set()).add(str(value))

    def resolve(self) -> None:
        from gridgov.areas.models import Area, Grid
        from gridgov.registry.models import (
            Address,
            Ethnicity,
            House,
            Household,
            Person,
            Unit,
        )

        def visible(model):
            if self.user is None:
                return model.objects.all()
            return model.objects.restrict(self.user, "view")

        w = self.wanted
        self.found = {
            "address": dict(
                visible(Address)
                .filter(code__in=w.get("address", ()))
                .values_list("code", "full_name")
            ),
            "area": dict(
                visible(Area).filter(code__in=w.get("area", ())).values_list("code", "name")
            ),
            "grid": dict(
                visible(Grid).filter(code__in=w.get("grid", ())).values_list("code", "name")
            ),
            "ethnicity": dict(
                Ethnicity.objects.filter(code__in=w.get("ethnicity", ())).values_list(
                    "code", "name"
                )
            ),
            "person": {
                p.public_id: mask_name(p.name)
                for p in visible(Person).filter(public_id__in=w.get("person", ()))
            },
            "unit": {
                u.public_id: u.name for u in visible(Unit).filter(public_id__in=w.get("unit", ()))
            },
            "house": {
                h.public_id: h.address.full_name
                for h in visible(House)
                .filter(public_id__in=w.get("house", ()))
                .select_related("address")
            },
            "household": {
                h.public_id: household_label(h, self.user)
                for h in visible(Household)
                .filter(public_id__in=w.get("household", ()))
                .select_related("address")
            },
        }

    def name(self, kind: str, value) -> str:
        return self.found.get(kind, {}).get(str(value), "")


# Which lookup a key of the data refers to.
REFERENCES = {
    "residence": "address",
    "address": "address",
    "parent": "address",
    "village": "area",
    "grid": "grid",
    "ethnicity": "ethnicity",
    "owner": "person",
    "landlord": "person",
    "tenants": "person",
    "person": "person",
    "owner_unit": "unit",
    "house": "house",
    "household": "household",
}


def _wants(lookups: _Lookups, data: dict) -> None:
    for key, kind in REFERENCES.items():
        value = data.get(key)
        for item in value if isinstance(value, list) else [value]:
            lookups.want(kind, item)


def _value(model, key, value, lookups: _Lookups) -> dict:
    """One row: label, the value as a reader says it, and a code shown small beside it."""
    row = {"key": key, "label": _label(model, key), "value": "", "code": "", "mono": key in MONO}
    if value in (None, "", []):
        row["value"] = "—"
        return row
    if key in REFERENCES:
        kind = REFERENCES[key]
        items = value if isinstance(value, list) else [value]
        names = [lookups.name(kind, item) for item in items]
        if kind == "ethnicity":
            row["value"] = names[0] or str(value)
            return row
        row["value"] = "、".join(name or str(item) for name, item in zip(names, items, strict=True))
        if kind in ("address", "area", "grid") and any(names):
            row["code"] = "、".join(str(item) for item in items)
        return row
    if key == "nationality":
        row["value"] = nationality_name(value)
        return row
    if key == "event" and isinstance(value, dict):
        kind = dict(PersonEventKind.choices).get(value.get("kind"), value.get("kind") or "")
        row["value"] = " ".join(str(p) for p in (kind, value.get("date"), value.get("note")) if p)
        return row
    field = _field(model, key)
    if isinstance(value, bool):
        row["value"] = str(_("是") if value else _("否"))
    elif field is not None and field.choices:
        row["value"] = str(dict(field.flatchoices).get(value, value))
    else:
        row["value"] = str(value)
    return row


def _ordered(model, data: dict) -> list[str]:
    """The data's keys in the order of the model's fields (others after them)."""
    order = {f.name: i for i, f in enumerate(model._meta.get_fields())}
    return sorted(data, key=lambda key: (order.get(key, len(order)), key))


def submission_rows(kind: str, data: dict, *, user=None) -> dict:
    """A submission's data for the verification page: Chinese labels, readable values
    (choices, ethnicity, nationality, full addresses with the code beside), personal
    fields masked. ``{"rows": [...], "members": [{"title", "rows"}...]}``."""
    from gridgov.registry.actions import MODELS
    from gridgov.registry.models import Person

    masked = submission_data(kind, data)
    model = MODELS[RecordKind(kind)]
    members = masked.pop("members", None) if kind == RecordKind.HOUSEHOLD else None
    lookups = _Lookups(user)
    _wants(lookups, masked)
    for member in members or []:
        _wants(lookups, member)
    lookups.resolve()
    result = {
        "rows": [_value(model, key, masked[key], lookups) for key in _ordered(model, masked)],
        "members": [],
    }
    if kind == RecordKind.ADDRESS and not masked.get("code"):
        for row in result["rows"]:
            if row["key"] == "code":
                row["value"] = _("核实时生成")
    for member in members or []:
        relation = dict(Relation.choices).get(member.get("relation"), "")
        result["members"].append(
            {
                "title": f"{member.get('name', '')}（{relation}）"
                if relation
                else member.get("name"),
                "rows": [
                    _value(Person, key, member[key], lookups) for key in _ordered(Person, member)
                ],
            }
        )
    return result


def household_head(household, user=None):
    """The head of a household (户主) among the members ``user`` may see, or None."""
    from gridgov.registry.models import Person

    members = Person.objects.all() if user is None else Person.objects.restrict(user, "view")
    return members.filter(household=household, relation=Relation.HEAD).order_by("id").first()


def household_label(household, user=None) -> str:
    """户主 张* · 人民路12号 — how a household is named to a reader (not its public id)."""
    head = household_head(household, user)
    parts = []
    if head is not None:
        parts.append(str(_("户主 %(name)s") % {"name": mask_name(head.name)}))
    elif household.number:
        parts.append(str(_("户号 %(n)s") % {"n": household.number}))
    parts.append(household.address.full_name)
    return " · ".join(parts)
