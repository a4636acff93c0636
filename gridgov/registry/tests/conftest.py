import pytest


@pytest.fixture
def people(territory):
    from gridgov.registry.testing import registry_people

    return registry_people(territory)


@pytest.fixture
def door(territory):
    from gridgov.registry.testing import make_address

    return make_address()


@pytest.fixture
def door_b(territory):
    from gridgov.registry.testing import GRID_B1, make_address

    return make_address(GRID_B1, road="建设路", door="5号")


@pytest.fixture
def client(db):
    """Every response any registry test gets is scanned for plaintext ID and mobile
    numbers; a test that uses the unmask action sets ``client.allow_plain = True``."""
    from django.test import Client

    from gridgov.registry.testing import assert_no_plain_personal_data

    class CheckedClient(Client):
        allow_plain = False
        checked = 0

        def request(self, **request):
            response = super().request(**request)
            if not self.allow_plain and not getattr(response, "streaming", False):
                assert_no_plain_personal_data(response.content)
                CheckedClient.checked += 1
            return response

    return CheckedClient()


@pytest.fixture
def household(people, door):
    """A verified household of two at the door in grid A1 (collected, then verified)."""
    from gridgov.registry import actions
    from gridgov.registry.testing import id_number

    submission = actions.do_submit(
        "household",
        {
            "address": door.code,
            "members": [
                {
                    "name": "张伟",
                    "id_number": id_number(1),
                    "relation": "head",
                    "phone": "13812345678",
                    "ethnicity": "08",
                },
                {"name": "李娜", "id_number": id_number(2), "relation": "spouse"},
            ],
        },
        actor=people["worker"],
    )
    return actions.do_verify(submission, actor=people["leader"])
