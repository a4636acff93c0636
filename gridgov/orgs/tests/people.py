"""People for the account, post, staffing and audit tests: the three administrators
(三员), a town agency operator and a grid worker, each a post made with ``grant``."""

from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.utils import timezone

from gridgov.core.testing import VILLAGE_A, grant
from gridgov.orgs.choices import Role

PASSWORD = "Wangge-2024!"
# Plaintexts that must never appear in a page or an answer.
PHONE = "13912345678"
PHONE_MASKED = "139****5678"
ID_NUMBER = "11010519491231002X"
ID_MASKED = "110***********002X"


def person(username, *, full_name="", phone="", id_number="", **extra):
    return get_user_model().objects.create_user(
        username,
        password=PASSWORD,
        full_name=full_name or username,
        phone=phone,
        id_number=id_number,
        password_changed_at=timezone.now(),
        **extra,
    )


def cast(territory) -> SimpleNamespace:
    """The three administrators, a town operator, a grid worker (with a phone and an
    ID number) and a plain account without posts."""
    from gridgov.areas.models import Grid

    sysadmin = person("sysadmin", full_name="系统管理员")
    secadmin = person("secadmin", full_name="安全管理员")
    auditor = person("auditor", full_name="审计管理员")
    grant(sysadmin, Role.SYSTEM_ADMIN)
    grant(secadmin, Role.SECURITY_ADMIN)
    grant(auditor, Role.AUDIT_ADMIN)
    town = person("town_op", full_name="镇操作员")
    grant(town, Role.AGENCY_OPERATOR, area=territory["town"])
    worker = person("worker", full_name="李网格员", phone=PHONE, id_number=ID_NUMBER)
    grant(worker, Role.FULLTIME, grid=Grid.objects.get(code=f"{VILLAGE_A}001"))
    nobody = person("nobody", full_name="无岗位人员")
    return SimpleNamespace(
        sysadmin=sysadmin,
        secadmin=secadmin,
        auditor=auditor,
        town=town,
        worker=worker,
        nobody=nobody,
    )


def fresh(user):
    """The same account read again (cached posts forgotten)."""
    return get_user_model().objects.get(pk=user.pk)
