"""Search of the registry, always within the searcher's scope (restrict()).

- Exact ID number or phone: through the blind index (an out-of-scope match returns
  nothing, the same as no match).
- Name prefix: names are stored in plain text and shown masked (docs/decisions.md).
- Address: free text parsed (addressing.find) to a standard address; persons living at it
  or below it (codes are hierarchical). Without a structured match, the full address text.
- Care tag: only tags the searcher may see; the search is audited.
- Grid: by grid code (prefix).
"""

import re

from django.db.models import Q

from gridgov.core import audit
from gridgov.core.audit import AuditKind, Target
from gridgov.core.fields import blind_lookup, normalise_phone
from gridgov.registry.addressing import clean_text, find
from gridgov.registry.identity import is_resident_id
from gridgov.registry.models import Address, CareTag, CareTagKind, Person

PHONE_LIKE = re.compile(r"^\+?[\d\s\-()]{7,20}$")
ID_LIKE = re.compile(r"^[0-9A-Za-z]{5,20}$")


def classify(query: str) -> str:
    """What a single search box holds: id_number, phone, address or name."""
    text = (query or "").strip()
    compact = re.sub(r"[\s\-]", "", text)
    if len(compact) == 18 and is_resident_id(compact):
        return "id_number"
    phone = normalise_phone(compact)
    if PHONE_LIKE.match(text) and phone.isdigit() and len(phone) in (11, 12, 13):
        # (+86 / 0086 / 86 before a mobile number is dropped, so it is not taken for an
        # address and sent through a URL)
        return "phone"
    if ID_LIKE.match(compact) and any(ch.isdigit() for ch in compact):
        return "id_number"
    if any(ch.isdigit() for ch in text) or re.search(r"[路街巷号栋单元室村社区]", text[2:]):
        return "address"
    return "name"


def address_filter(text: str, user, field: str = "residence") -> Q:
    addresses = Address.objects.restrict(user, "view")
    found = find(text, addresses, strict=True)
    if found is not None:
        return Q(**{f"{field}__code__startswith": found.code})
    return Q(**{f"{field}__full_name__contains": clean_text(text)})


def addresses(user, text: str, qs=None):
    """Addresses matching a free-text address: the one it names and those below it."""
    qs = Address.objects.restrict(user, "view") if qs is None else qs
    found = find(text, Address.objects.restrict(user, "view"), strict=True)
    if found is not None:
        return qs.filter(code__startswith=found.code)
    return qs.filter(full_name__contains=clean_text(text))


def persons(
    user,
    *,
    q: str = "",
    id_number: str = "",
    phone: str = "",
    name: str = "",
    address: str = "",
    tag: str = "",
    grid: str = "",
    status: str = "",
):
    """Persons ``user`` may see that match every given criterion."""
    qs = Person.objects.restrict(user, "view")
    if q:
        kind = classify(q)
        if kind == "id_number":
            id_number = q
        elif kind == "phone":
            phone = q
        elif kind == "address":
            address = q
        else:
            name = q
    if id_number:
        qs = qs.filter(**blind_lookup(Person, "id_number", id_number.strip()))
    if phone:
        qs = qs.filter(**blind_lookup(Person, "phone", phone.strip()))
    if name:
        qs = qs.filter(name__startswith=name.strip())
    if address:
        qs = qs.filter(address_filter(address, user))
    if grid:
        qs = qs.filter(grid__code__startswith=grid.strip())
    if status:
        qs = qs.filter(status=status)
    if tag:
        kind = CareTagKind.objects.filter(code=tag).first()
        index = CareTag._meta.get_field("kind_code").index_of(tag)
        visible = CareTag.objects.restrict(user, "view").filter(kind_index=index)
        qs = qs.filter(pk__in=visible.values("person_id"))
        if kind is not None:
            audit.record(
                AuditKind.SENSITIVE_READ,
                actor=user,
                target=Target("registry.caretag", tag, kind.name),
                detail={"search": "care_tag", "care_tag": tag},
            )
    return qs.select_related("grid", "residence").order_by("name", "id")
