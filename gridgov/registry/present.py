"""What a user is shown of a record: masked on the server (core.masking), always.

Pages and the API both use these functions, so no template or schema can print a
plaintext ID number, phone or name by mistake. The full value comes only through
``masking.reveal`` (audited, daily limit).
"""

from gridgov.core.masking import mask_id_number, mask_name, mask_phone
from gridgov.registry.choices import DocumentType, Gender, PersonCategory, Relation


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
