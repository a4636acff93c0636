"""Scope rules of import jobs and export requests (imported by models_import).

Import (docs/registry-import.md, 谁可以导入): staff of the grid-management agency of the
city, a county or a town (``AREA_ROLES`` at levels 1–3) import into their own area. A
job is visible to the agency staff whose area contains the job's area; the same staff
may start or cancel it ("add"). Grid staff collect one record at a time instead
(采集 → 核实); department staff hand their files to the agency.

Export: a request is visible to its requester and to the staff of the agency that
approves it (its ``agency_area``); those staff — except the requester — approve it.
"""

from django.db.models import Q

from gridgov.accounts.scope import rule
from gridgov.areas.choices import AreaLevel
from gridgov.orgs.choices import AREA_ROLES

IMPORT_LEVELS = (AreaLevel.CITY, AreaLevel.COUNTY, AreaLevel.TOWN)


def may_import(post) -> bool:
    return post.role in AREA_ROLES and post.area is not None and post.area.level in IMPORT_LEVELS


def is_agency_post(post) -> bool:
    return post.role in AREA_ROLES and post.area is not None


@rule("registry.ImportJob")
def _import_job(post, action):
    if not may_import(post):
        return None
    if action in {"view", "add", "change"}:
        return Q(area__code__startswith=post.area.code)
    return None


@rule("registry.ExportRequest")
def _export_request(post, action):
    own = Q(requested_by=post.user_id)
    if action == "view":
        if is_agency_post(post):
            return own | Q(agency_area__code=post.area.code)
        return own
    if action == "approve" and is_agency_post(post):
        return Q(agency_area__code=post.area.code) & ~own
    if action == "change":
        return own
    return None
