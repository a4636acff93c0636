"""The matter list's main journeys through the actions."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from gridgov.matters import actions
from gridgov.matters.models import Matter, MatterNotice
from gridgov.matters.testing import matter_people, proposed


@pytest.fixture
def people(territory):
    return matter_people(territory)


def test_admission_appears_on_its_effective_date_then_exits(people):
    today = timezone.localdate()
    start = today + timedelta(days=3)
    application = actions.do_apply(
        kind="admission",
        department=people["department"],
        actor=people["handler"],
        reason="民政服务下沉网格",
        effective_date=start,
        proposed=proposed(),
        staff_provided="每网格配 1 名兼职",
        funds_provided="每网格每年 2000 元",
        training_provided="每季度培训一次",
    )
    matter = actions.do_approve_application(application, actor=people["agency"], note="同意")
    assert matter.code.startswith("0601")
    assert not Matter.objects.in_force(today).filter(code=matter.code).exists()
    assert Matter.objects.in_force(start).filter(code=matter.code).exists()
    assert MatterNotice.objects.filter(matter_code=matter.code, kind="admission").exists()

    with time_machine.travel(start + timedelta(days=1)):
        leave = timezone.localdate() + timedelta(days=10)
        exit_app = actions.do_apply(
            kind="exit",
            department=people["department"],
            actor=people["handler"],
            reason="职能调整",
            effective_date=leave,
            matter_code=matter.code,
        )
        actions.do_approve_application(exit_app, actor=people["agency"])
        assert Matter.objects.in_force(leave - timedelta(days=1)).filter(code=matter.code).exists()
        assert not Matter.objects.in_force(leave).filter(code=matter.code).exists()
    assert Matter.objects.filter(code=matter.code).count() == 1  # still readable for history


def test_task_outside_the_list_cites_article_7(people):
    with pytest.raises(ValidationError, match="第七条"):
        actions.do_assign_task(
            matter_code="0601999",
            title="统计",
            instructions="统计人数",
            due_date=timezone.localdate() + timedelta(days=5),
            actor=people["agency"],
            grid_codes=["990101001001001"],
        )
