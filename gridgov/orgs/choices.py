from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a person does, held as a Post at an area, grid, department or zone (第十一、十三条)."""

    AGENCY_OPERATOR = "agency_operator", _("网格化服务管理机构工作人员")
    AGENCY_LEADER = "agency_leader", _("网格化服务管理机构负责人")
    ZONE_OPERATOR = "zone_operator", _("管理区工作人员")
    DEPARTMENT_HANDLER = "department_handler", _("联动部门经办人")
    DEPARTMENT_LEADER = "department_leader", _("联动部门负责人")
    GUIDE = "guide", _("网格指导员")
    CHIEF = "chief", _("村（社区）总网格长")
    LEADER = "leader", _("网格长")
    FULLTIME = "fulltime", _("专职网格员")
    PARTTIME = "parttime", _("兼职网格员")
    EXCLUSIVE_LEADER = "exclusive_leader", _("专属网格长")
    EXCLUSIVE_MEMBER = "exclusive_member", _("专属网格员")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


# Where each role is held.
AREA_ROLES = (Role.AGENCY_OPERATOR, Role.AGENCY_LEADER)
VILLAGE_ROLES = (Role.GUIDE, Role.CHIEF)
GRID_ROLES = (Role.LEADER, Role.FULLTIME, Role.PARTTIME)
EXCLUSIVE_GRID_ROLES = (Role.EXCLUSIVE_LEADER, Role.EXCLUSIVE_MEMBER)
DEPARTMENT_ROLES = (Role.DEPARTMENT_HANDLER, Role.DEPARTMENT_LEADER)
ZONE_ROLES = (Role.ZONE_OPERATOR,)
# 三员分立: one account may hold at most one of these, and none beside them.
ADMIN_ROLES = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
# Roles whose holders must sign in with a second factor.
SECOND_FACTOR_ROLES = (*AREA_ROLES, *ZONE_ROLES, *DEPARTMENT_ROLES, *ADMIN_ROLES)


class AgencyKind(models.TextChoices):
    AGENCY = "agency", _("网格化服务管理机构")
    ZONE = "zone", _("管理区机构")
